"""The ports the moderation services depend on. :class:`core.storage.moderation_repo.SqlModerationRepository`
implements them all; each service names only the ones it uses, and gets plain values back, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from core.domain import QuotaRules, QuotaStatus, Requester
from safety.moderation import Event


@dataclass(frozen=True)
class ReviewImage:
    """A generated picture as a moderator judges it."""

    job_id: str
    image_idx: int
    user_id: int
    prompt: str
    nsfw_score: float | None
    decision: str
    path: str | None  # None once it was blocked or removed
    created_at: datetime


@dataclass(frozen=True)
class Account:
    """A platform account and the user it belongs to now."""

    id: int
    user_id: int


@dataclass(frozen=True)
class AccountName:
    """One platform account of a member, as that platform shows them."""

    platform: str
    external_id: str
    display_name: str | None = None
    username: str | None = None


@dataclass(frozen=True)
class Reservation:
    """Where a job's quota reservation was charged, so a refund goes back to the same period."""

    period: str
    charged_at: datetime


class DuplicateReport(Exception):
    """The member already reported this picture (the database holds one report per member per picture)."""


class ModerationLog(Protocol):
    """The append-only history: every ban, strike, report, appeal, decision and grant is an event."""

    def add_event(self, action: str, actor: str, *, now: datetime, **fields: Any) -> int:
        """Append an event; a second report of a picture by the same member raises :class:`DuplicateReport`."""
        ...
    def event(self, event_id: int) -> Event | None: ...
    def events_for_user(self, user_id: int) -> list[Event]: ...
    def events_for_picture(self, job_id: str, idx: int) -> list[Event]: ...
    def all_events(self, actions: tuple[str, ...] | None = None) -> list[Event]: ...


class QuotaLedger(Protocol):
    """Grants, refunds and carried-over usage (the job repository writes the reservations themselves)."""

    def add_ledger(self, user_id: int, delta: int, reason: str, *, now: datetime, period: str,
                   job_id: str | None = None, charged_at: datetime | None = None) -> None: ...
    def reservation(self, job_id: str) -> Reservation | None: ...


class Pictures(Protocol):
    """Generated pictures as moderators see them."""

    def image(self, job_id: str, idx: int) -> ReviewImage | None: ...
    def images_awaiting_review(self, limit: int = 100) -> list[ReviewImage]: ...
    def set_image_path(self, job_id: str, idx: int, path: str | None) -> None: ...


class Accounts(Protocol):
    """Platform accounts, the user each belongs to, and the one-time codes that link them."""

    def user_exists(self, user_id: int) -> bool: ...
    def accounts_of(self, user_id: int) -> list[tuple[str, str]]: ...
    def account_names(self, user_id: int) -> list[AccountName]: ...
    def users_by_username(self, username: str, platform: str | None = None) -> list[int]: ...
    def account(self, platform: str, external_id: str) -> Account | None: ...
    def create_link_code(self, user_id: int, platform: str, code: str, *, now: datetime,
                         expires_at: datetime) -> None: ...
    def redeem_link_code(self, code: str, *, now: datetime) -> tuple[int, str] | None: ...
    def move_account(self, account_id: int, to_user_id: int, action: str, *, now: datetime) -> None: ...
    def original_user(self, account_id: int) -> int | None: ...


class Members(Protocol):
    """What linking needs of the job repository: users by platform account, and what they used so far."""

    def find_user(self, platform: str, external_id: str) -> int | None: ...
    def ensure_user(self, requester: Requester) -> int: ...
    def quota_status(self, user_id: int, *, rules: QuotaRules, now: datetime) -> QuotaStatus: ...


class ModerationRecords(ModerationLog, QuotaLedger, Pictures, Accounts, Protocol):
    """Everything the moderation store offers, for the composition root and the readers beside the services
    (delivery, the operator's export)."""
