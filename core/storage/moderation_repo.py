"""SQL for moderation, grants, identity links and admin reports: the moderation ports
(:mod:`core.moderation.ports`), answered with plain values. Every write here is an insert (append-only tables) except
the account pointer of a platform account, whose every change is also recorded in ``account_links``."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.moderation.ports import Account, AccountName, DuplicateReport, Reservation, ReviewImage
from core.storage.models import (
    AccountLinkRow,
    ImageRow,
    JobRow,
    LinkCodeRow,
    ModerationEventRow,
    PlatformAccount,
    QuotaLedgerRow,
    SafetyVerdictRow,
    User,
)
from safety.moderation import Event


def _event(row: ModerationEventRow) -> Event:
    return Event(id=row.id, action=row.action, actor=row.actor, created_at=row.created_at,
                 actor_user_id=row.actor_user_id, target_user_id=row.target_user_id,
                 target_job_id=row.target_job_id, target_image_idx=row.target_image_idx,
                 related_event_id=row.related_event_id, reason=row.reason, expires_at=row.expires_at,
                 details=dict(row.details or {}))


def code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


class SqlModerationRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    # --- events ---------------------------------------------------------------------------------------------------

    def add_event(self, action: str, actor: str, *, now: datetime, **fields: Any) -> int:
        try:
            with self.sessions.begin() as s:
                row = ModerationEventRow(action=action, actor=actor, created_at=now, **fields)
                s.add(row)
                s.flush()
                return row.id
        except IntegrityError:
            if action == "report":  # uq_moderation_one_report: this member's earlier report stands
                raise DuplicateReport from None
            raise

    def event(self, event_id: int) -> Event | None:
        with self.sessions() as s:
            row = s.get(ModerationEventRow, event_id)
            return None if row is None else _event(row)

    def events_for_user(self, user_id: int) -> list[Event]:
        with self.sessions() as s:
            rows = s.scalars(select(ModerationEventRow).where(ModerationEventRow.target_user_id == user_id)
                             .order_by(ModerationEventRow.created_at, ModerationEventRow.id))
            return [_event(r) for r in rows]

    def events_for_picture(self, job_id: str, idx: int) -> list[Event]:
        """Every event about one picture (reports, decisions, a ban for it), oldest first."""
        with self.sessions() as s:
            rows = s.scalars(select(ModerationEventRow).where(ModerationEventRow.target_job_id == job_id,
                                                              ModerationEventRow.target_image_idx == idx)
                             .order_by(ModerationEventRow.created_at, ModerationEventRow.id))
            return [_event(r) for r in rows]

    def all_events(self, actions: tuple[str, ...] | None = None) -> list[Event]:
        with self.sessions() as s:
            query = select(ModerationEventRow).order_by(ModerationEventRow.created_at, ModerationEventRow.id)
            if actions:
                query = query.where(ModerationEventRow.action.in_(actions))
            return [_event(r) for r in s.scalars(query)]

    # --- review queue ---------------------------------------------------------------------------------------------

    def image(self, job_id: str, idx: int) -> ReviewImage | None:
        with self.sessions() as s:
            row = s.execute(select(ImageRow, JobRow).join(JobRow, ImageRow.job_id == JobRow.id)
                            .where(ImageRow.job_id == job_id, ImageRow.idx == idx)).first()
            if row is None:
                return None
            image, job = row
            return ReviewImage(job.id, image.idx, job.user_id, job.prompt, image.nsfw_score, image.decision,
                               image.path, image.created_at)

    def images_awaiting_review(self, limit: int = 100) -> list[ReviewImage]:
        """Pictures in the review band (or unchecked) that no moderator has approved or removed, oldest first."""
        with self.sessions() as s:
            decided = set(s.execute(select(ModerationEventRow.target_job_id, ModerationEventRow.target_image_idx)
                                    .where(ModerationEventRow.action.in_(("approve", "remove")))).tuples())
            rows = s.execute(select(ImageRow, JobRow).join(JobRow, ImageRow.job_id == JobRow.id)
                             .where(ImageRow.decision.in_(("review", "unchecked")))
                             .order_by(ImageRow.created_at, ImageRow.idx)).all()
        waiting = [ReviewImage(j.id, i.idx, j.user_id, j.prompt, i.nsfw_score, i.decision, i.path, i.created_at)
                   for i, j in rows if (j.id, i.idx) not in decided]
        return waiting[:limit]

    def set_image_path(self, job_id: str, idx: int, path: str | None) -> None:
        with self.sessions.begin() as s:
            s.execute(update(ImageRow).where(ImageRow.job_id == job_id, ImageRow.idx == idx).values(path=path))

    # --- quota grants and refunds ---------------------------------------------------------------------------------

    def add_ledger(self, user_id: int, delta: int, reason: str, *, now: datetime, period: str,
                   job_id: str | None = None, charged_at: datetime | None = None) -> None:
        with self.sessions.begin() as s:
            s.add(QuotaLedgerRow(user_id=user_id, delta=delta, reason=reason, job_id=job_id, period=period,
                                 charged_at=charged_at or now, created_at=now))

    def reservation(self, job_id: str) -> Reservation | None:
        with self.sessions() as s:
            row = s.scalars(select(QuotaLedgerRow).where(QuotaLedgerRow.job_id == job_id,
                                                         QuotaLedgerRow.reason == "reserve")).first()
            return None if row is None else Reservation(row.period, row.charged_at)

    # --- identity -------------------------------------------------------------------------------------------------

    def user_exists(self, user_id: int) -> bool:
        with self.sessions() as s:
            return s.get(User, user_id) is not None

    def accounts_of(self, user_id: int) -> list[tuple[str, str]]:
        with self.sessions() as s:
            return [(a.platform, a.external_id) for a in s.scalars(
                select(PlatformAccount).where(PlatformAccount.user_id == user_id).order_by(PlatformAccount.id))]

    def account_names(self, user_id: int) -> list[AccountName]:
        with self.sessions() as s:
            return [AccountName(a.platform, a.external_id, a.display_name, a.username) for a in s.scalars(
                select(PlatformAccount).where(PlatformAccount.user_id == user_id).order_by(PlatformAccount.id))]

    def users_by_username(self, username: str, platform: str | None = None) -> list[int]:
        """Members whose account has this @username (any case), on ``platform`` when given."""
        with self.sessions() as s:
            query = select(PlatformAccount.user_id).where(func.lower(PlatformAccount.username) == username.lower())
            if platform is not None:
                query = query.where(PlatformAccount.platform == platform)
            return sorted(set(s.scalars(query.limit(10))))

    def account(self, platform: str, external_id: str) -> Account | None:
        with self.sessions() as s:
            row = s.scalars(select(PlatformAccount).where(PlatformAccount.platform == platform,
                                                          PlatformAccount.external_id == external_id)).first()
            return None if row is None else Account(row.id, row.user_id)

    def create_link_code(self, user_id: int, platform: str, code: str, *, now: datetime, expires_at: datetime) -> None:
        with self.sessions.begin() as s:
            s.add(LinkCodeRow(code_sha256=code_hash(code), user_id=user_id, platform=platform, created_at=now,
                              expires_at=expires_at))

    def redeem_link_code(self, code: str, *, now: datetime) -> tuple[int, str] | None:
        """Use a code once (a conditional update, so two redeemers cannot both win); (user, platform) or None."""
        with self.sessions.begin() as s:
            row = s.scalars(select(LinkCodeRow).where(LinkCodeRow.code_sha256 == code_hash(code))).first()
            if row is None or row.used_at is not None or row.expires_at <= now:
                return None
            won = s.scalar(update(LinkCodeRow).where(LinkCodeRow.id == row.id, LinkCodeRow.used_at.is_(None))
                           .values(used_at=now).returning(LinkCodeRow.id))
            return (row.user_id, row.platform) if won is not None else None

    def move_account(self, account_id: int, to_user_id: int, action: str, *, now: datetime) -> None:
        with self.sessions.begin() as s:
            account = s.get(PlatformAccount, account_id)
            if account is None:
                raise LookupError(account_id)
            s.add(AccountLinkRow(account_id=account_id, from_user_id=account.user_id, to_user_id=to_user_id,
                                 action=action, created_at=now))
            account.user_id = to_user_id

    def original_user(self, account_id: int) -> int | None:
        """The user an account belonged to before its first link."""
        with self.sessions() as s:
            first = s.scalars(select(AccountLinkRow).where(AccountLinkRow.account_id == account_id)
                              .order_by(AccountLinkRow.id)).first()
            return None if first is None else first.from_user_id

    # --- reports --------------------------------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        with self.sessions() as s:
            jobs = dict(s.execute(select(JobRow.status, func.count()).group_by(JobRow.status)).all())
            verdicts = s.execute(select(SafetyVerdictRow.subject, SafetyVerdictRow.decision,
                                        SafetyVerdictRow.categories)).all()
            users = s.scalar(select(func.count()).select_from(User)) or 0
        blocks: dict[str, int] = {}
        decisions: dict[str, int] = {}
        for subject, decision, categories in verdicts:
            decisions[f"{subject}:{decision}"] = decisions.get(f"{subject}:{decision}", 0) + 1
            if decision == "block":
                for category in categories or ["(none)"]:
                    key = f"{subject}:{category}"
                    blocks[key] = blocks.get(key, 0) + 1
        return {"users": users, "jobs": jobs, "decisions": decisions, "blocks_by_category": blocks}
