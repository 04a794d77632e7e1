"""The neutral vocabulary every adapter speaks: frozen dataclasses and enums, stdlib only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from safety.verdict import Decision, Verdict

if TYPE_CHECKING:  # core.spec builds GenerationParams from this module
    from core.spec import JobSpec, Kind

__all__ = ["Decision", "Verdict"]  # re-exported: adapters speak one vocabulary


PURGED = "[prompt removed after the retention period]"  # what a job's prompt becomes after purge-prompts


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL_STATUSES = frozenset({JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED})


@dataclass(frozen=True)
class Requester:
    """Who asked, in platform terms. ``user_id`` is the platform's own id, kept as text."""

    platform: str
    user_id: str
    chat_id: str | None = None
    display_name: str | None = None
    message_id: str | None = None


@dataclass(frozen=True)
class GenerationParams:
    prompt: str
    negative_prompt: str = ""
    seed: int | None = None
    steps: int | None = None
    width: int | None = None
    height: int | None = None
    cfg: float | None = None
    count: int = 1
    sampler: str | None = None
    style: str | None = None
    image: str | None = None  # an input picture (path) for image-to-image, inpainting or upscaling
    strength: float | None = None  # how far from the input picture to go (0..1)
    box: str | None = None  # "x,y,w,h": the rectangle to repaint (inpainting)
    mask: str | None = None  # or a mask picture (path or JOB[:N]): white is repainted
    upscale: int | None = None  # 2 or 4: enlarge the input picture instead of generating


@dataclass(frozen=True)
class GenerationRequest:
    requester: Requester
    params: GenerationParams
    model: str | None = None
    # Per-context policy (e.g. a channel marked NSFW); the safety layer decides what it may relax.
    nsfw_allowed: bool = False
    # Quota tiers the platform vouches for (a Discord role, membership of a Telegram chat), by tier name.
    tiers: frozenset[str] = frozenset()


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


# --- outcomes of submit -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    job_id: str
    position: int
    params: GenerationParams

    @property
    def message(self) -> str:
        ahead = "you are next" if self.position <= 1 else f"position {self.position} in the queue"
        return f"Job {self.job_id} accepted ({ahead})."


@dataclass(frozen=True)
class Rejected:
    """A refusal a user can read. ``code`` is stable for adapters and tests; ``message`` is one clear sentence."""

    code: str
    message: str
    details: dict[str, object] = field(default_factory=dict)


Outcome = Accepted | Rejected


@dataclass(frozen=True)
class QuotaRules:
    """One user's quota rules at submit time (their tier decides ``daily_limit``)."""

    daily_limit: int = 25
    max_queued: int = 3
    window: str = "day"  # "day": resets at 00:00 UTC; "rolling": the last 24 hours
    burst_jobs: int = 5  # at most this many submits …
    burst_seconds: int = 60  # … in this many seconds


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
