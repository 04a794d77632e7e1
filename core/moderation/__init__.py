"""Moderation, one small service per job, each on the ports it needs (:mod:`core.moderation.ports`):

- :mod:`~core.moderation.identity` — one member across platforms: user references, linked accounts;
- :mod:`~core.moderation.sanctions` — bans, strikes and suspensions, and the member's history;
- :mod:`~core.moderation.reports` — what members file: reports and appeals;
- :mod:`~core.moderation.review` — the moderators' queue and their decisions, with quarantine;
- :mod:`~core.moderation.tiers` — quota tiers and grants, and each member's quota rules.

The rules themselves live in :mod:`safety.moderation`; state is the append-only event history in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.domain import QuotaSettings
from core.moderation.identity import Identity
from core.moderation.ports import Members, ModerationRecords
from core.moderation.reports import ReportsAndAppeals
from core.moderation.review import ReviewItem, ReviewQueue
from core.moderation.sanctions import Sanctions
from core.moderation.tiers import QuotaTiers
from core.ports import Clock
from safety.moderation import StrikePolicy

__all__ = ["Identity", "Moderation", "QuotaTiers", "ReportsAndAppeals", "ReviewItem", "ReviewQueue", "Sanctions",
           "build_moderation"]


@dataclass(frozen=True)
class Moderation:
    """The moderation services wired together, and the records they share (which delivery also reads)."""

    identity: Identity
    sanctions: Sanctions
    reports: ReportsAndAppeals
    review: ReviewQueue
    tiers: QuotaTiers
    records: ModerationRecords


def build_moderation(records: ModerationRecords, members: Members, clock: Clock, policy: StrikePolicy,
                     quota: QuotaSettings, quarantine_dir: Path, link_code_minutes: int = 10) -> Moderation:
    sanctions = Sanctions(records, clock, policy)
    tiers = QuotaTiers(records, records, quota, clock)
    return Moderation(identity=Identity(records, members, records, sanctions, tiers, clock, link_code_minutes),
                      sanctions=sanctions, reports=ReportsAndAppeals(records, records, clock),
                      review=ReviewQueue(records, records, records, clock, quarantine_dir), tiers=tiers,
                      records=records)
