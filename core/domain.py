"""The neutral vocabulary every adapter speaks: frozen dataclasses and enums, stdlib only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from core.catalogue import render
from core.spec import ChatLimits, GenerationParams, JobSpec, Kind
from safety.verdict import Decision, Verdict

__all__ = ["ChatLimits", "Decision", "GenerationParams", "Verdict"]  # re-exported: adapters speak one vocabulary


PURGED = "[prompt removed after the retention period]"  # what a job's prompt becomes after purge-prompts


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL_STATUSES = frozenset({JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED})
# A worker process is taken for dead (its running job taken back, no longer holding a place under the member's cap)
# after this long without a heartbeat.
WORKER_STALE_S = 30.0


@dataclass(frozen=True)
class Requester:
    """Who asked, in platform terms. ``user_id`` is the platform's own id, kept as text."""

    platform: str
    user_id: str
    chat_id: str | None = None
    display_name: str | None = None
    message_id: str | None = None
    language: str = "en"  # the catalogue language replies are rendered in
    # What the platform vouches for: quota tiers (a Discord role, a Telegram chat) and an NSFW-marked channel.
    tiers: frozenset[str] = frozenset()
    nsfw_chat: bool = False
    # A local operator at the console may name files on this machine; a chat member never may.
    local: bool = False
    # The platform's handle (Telegram @username, Discord user name), so moderators can name the member with it.
    username: str | None = None


@dataclass(frozen=True)
class GenerationRequest:
    requester: Requester
    params: GenerationParams
    model: str | None = None
    # Per-context policy (e.g. a channel marked NSFW); the safety layer decides what it may relax.
    nsfw_allowed: bool = False
    # Quota tiers the platform vouches for (a Discord role, membership of a Telegram chat), by tier name.
    tiers: frozenset[str] = frozenset()
    # The chat's limits, and which parameters the member's own defaults (/prefs) filled in: a limit refuses what the
    # member asked for (or their default), and quietly lowers what nobody asked for (the model's default size).
    limits: ChatLimits = ChatLimits()
    defaulted: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ImageRecord:
    index: int
    seed: int
    width: int
    height: int
    sha256: str
    decision: Decision
    nsfw_score: float | None
    path: str | None  # None when the picture was blocked: it never leaves the worker
    # The invisible provenance mark (core/provenance.py): its id, and "robust" | "fragile" | "none" (no mark could
    # be embedded); both None for blocked pictures and pictures made before marks existed.
    mark_id: str | None = None
    mark_status: str | None = None
    # C2PA content credentials (core/content_credentials.py): "signed", or "no content credentials: REASON" when
    # signing this picture failed; None where the operator configured no signing certificate.
    credentials: str | None = None


@dataclass(frozen=True)
class Job:
    id: str
    user_id: int
    platform: str
    chat_id: str | None
    status: JobStatus
    model: str
    spec: JobSpec
    created_at: datetime
    finished_at: datetime | None = None
    error: str | None = None
    images: tuple[ImageRecord, ...] = ()
    nsfw_allowed: bool = False
    prompt_review: bool = False  # the prompt filter was unsure: every picture goes to a moderator
    # The requester's catalogue language when they asked (None for jobs made before it was kept): the result speaks it.
    language: str | None = None

    # The names the chat adapters read, so they need not know where a job keeps its parameters.
    @property
    def prompt(self) -> str:
        return self.spec.prompt

    @property
    def negative_prompt(self) -> str:
        return self.spec.negative_prompt

    @property
    def seed(self) -> int:
        return self.spec.seed

    @property
    def count(self) -> int:
        return self.spec.count

    @property
    def kind(self) -> Kind:
        return self.spec.kind

    @property
    def width(self) -> int:
        return self.spec.width

    @property
    def height(self) -> int:
        return self.spec.height

    @property
    def steps(self) -> int:
        return self.spec.steps

    @property
    def cfg(self) -> float:
        return self.spec.cfg


# --- outcomes: a code and its values, rendered by each adapter through core.catalogue ---------------------------


def queue_place(ahead: int | None) -> tuple[str, dict[str, object]]:
    """Where a job stands, as a catalogue message: generating now, next in line, or how many jobs are ahead."""
    if ahead is None:
        return "queue_running", {}
    return ("queue_next", {}) if ahead == 0 else ("queue_ahead", {"ahead": ahead})


@dataclass(frozen=True)
class Accepted:
    job_id: str
    ahead: int | None  # queued jobs ahead of this one in its model's queue; None: a worker is already on it
    params: GenerationParams
    # A catalogue message (code, values) said after the acceptance, e.g. that someone else's picture is charged to
    # whoever pressed its button.
    note: tuple[str, dict[str, object]] | None = None
    code = "accepted"

    @property
    def values(self) -> dict[str, object]:
        return {"job_id": self.job_id, "position_code": queue_place(self.ahead), "note_code": self.note}

    @property
    def message(self) -> str:
        return render(self, "en")


@dataclass(frozen=True)
class Rejected:
    """A refusal: ``code`` is stable for adapters and tests; ``values`` fill its sentence in the catalogue."""

    code: str
    values: dict[str, object] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return render(self, "en")


@dataclass(frozen=True)
class Notice:
    """Anything else core answers a member or moderator with ("licence accepted", "job cancelled", …)."""

    code: str
    values: dict[str, object] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return render(self, "en")


Outcome = Accepted | Rejected
Reply = Accepted | Rejected | Notice


@dataclass(frozen=True)
class QuotaRules:
    """One user's quota rules at submit time, derived from :class:`QuotaSettings` (their tier decides
    ``daily_limit``)."""

    daily_limit: int
    max_queued: int
    window: str  # "day": resets at 00:00 UTC; "rolling": the last 24 hours
    burst_jobs: int  # at most this many submits …
    burst_seconds: int  # … in this many seconds


@dataclass(frozen=True)
class QuotaSettings:
    """The quota as configured, built once from the settings in the composition root: the default daily limit, the
    tiers above it (name, pictures a day) and the caps every tier shares. Each member's :class:`QuotaRules` come
    from :meth:`rules_for`."""

    default_limit: int = 25
    tiers: tuple[tuple[str, int], ...] = (("supporter", 100), ("staff", 500))
    max_queued: int = 3
    window: str = "day"
    burst_jobs: int = 5
    burst_seconds: int = 60

    def rules_for(self, held: Iterable[str] = ()) -> tuple[QuotaRules, str]:
        """The rules of the best tier among ``held`` (a name that is not configured counts for nothing), and that
        tier's name: "default" when none applies."""
        limits = dict(self.tiers)
        best = max(set(held) & set(limits), key=lambda t: limits[t], default=None)
        limit = max(self.default_limit, limits[best]) if best else self.default_limit
        return QuotaRules(limit, self.max_queued, self.window, self.burst_jobs, self.burst_seconds), best or "default"


@dataclass(frozen=True)
class QuotaStatus:
    used: int
    limit: int
    resets_at: datetime
    queued_jobs: int
    granted: int = 0  # extra pictures a moderator granted for this period
    window: str = "day"
    tier: str = "default"

    @property
    def left(self) -> int:
        return max(0, self.limit + self.granted - self.used)


def utc_day(now: datetime) -> str:
    """The quota period a charge counts against: the UTC calendar day."""
    return now.date().isoformat()


def next_midnight(now: datetime) -> datetime:
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
