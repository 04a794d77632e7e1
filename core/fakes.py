"""In-memory fakes of the ports, shipped with core so unit tests (ours and adapters') need no database or broker."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from PIL import Image

from core.domain import (
    FINAL_STATUSES,
    ImageRecord,
    Job,
    JobStatus,
    QuotaRules,
    QuotaStatus,
    Requester,
    Verdict,
    next_midnight,
    utc_day,
)
from core.events import InMemoryEventBus
from core.pipelines import TextToImageOutput
from core.ports import NewJob, QuotaRefusal
from core.spec import JobSpec

__all__ = ["FakeClock", "FakeDispatcher", "FakeImageStore", "FakePipeline", "FakeRepository", "InMemoryEventBus"]


@dataclass
class FakeClock:
    current: datetime = field(default_factory=lambda: datetime(2026, 1, 1, 12, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)


@dataclass
class FakeDispatcher:
    sent: list[tuple[str, str]] = field(default_factory=list)
    fail_with: Exception | None = None

    def enqueue(self, job_id: str, queue: str) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append((job_id, queue))


@dataclass
class FakeImageStore:
    saved: dict[str, Image.Image] = field(default_factory=dict)

    def save(self, image: Image.Image, metadata: dict[str, str]) -> tuple[str, str]:
        digest = hashlib.sha256(image.tobytes() + repr(sorted(metadata.items())).encode()).hexdigest()
        self.saved[digest] = image
        return f"/fake/{digest}.png", digest


@dataclass
class FakePipeline:
    """Solid-colour pictures whose colour comes from the seed; counts calls so tests can see redelivery effects."""

    calls: int = 0
    fail_with: Exception | None = None

    def __call__(self, spec: JobSpec,
                 progress: Callable[[int, int], None] | None = None) -> TextToImageOutput:
        self.calls += 1
        if self.fail_with is not None:
            raise self.fail_with
        seeds = [spec.seed + i for i in range(spec.count)]
        images = [Image.new("RGB", (spec.width, spec.height), (s % 256, (s // 256) % 256, 90)) for s in seeds]
        for step in range(1, spec.steps + 1):
            if progress:
                progress(step, spec.steps)
        return TextToImageOutput(images, seeds, "fake")


@dataclass
class _Acceptance:
    user_id: int
    licence_id: str
    sha256: str
    message_id: str | None


class FakeRepository:
    """The JobRepository contract in dictionaries, including the conditional updates that make workers idempotent."""

    def __init__(self) -> None:
        self.accounts: dict[tuple[str, str], int] = {}
        self.acceptances: list[_Acceptance] = []
        self.prompt_verdicts: list[tuple[int | None, Verdict, str, str | None]] = []
        self.image_verdicts: list[tuple[str, Verdict]] = []
        self.jobs: dict[str, Job] = {}
        self.queues: dict[str, str] = {}
        self.ledger: list[tuple[int, int, str, str, str]] = []  # user, delta, reason, job, period
        self.deliveries: dict[str, list[str] | None] = {}
        self._ids = itertools.count(1)

    def find_user(self, platform: str, external_id: str) -> int | None:
        return self.accounts.get((platform, external_id))

    def ensure_user(self, requester: Requester) -> int:
        key = (requester.platform, requester.user_id)
        if key not in self.accounts:
            self.accounts[key] = len(set(self.accounts.values())) + 1
        return self.accounts[key]

    def record_acceptance(self, user_id: int, requester: Requester, licence_id: str, licence_version: str,
                          text_sha256: str, app_version: str) -> bool:
        if self.has_accepted(user_id, licence_id, text_sha256):
            return False
        self.acceptances.append(_Acceptance(user_id, licence_id, text_sha256, requester.message_id))
        return True

    def has_accepted(self, user_id: int, licence_id: str, text_sha256: str) -> bool:
        return any(a.user_id == user_id and a.licence_id == licence_id and a.sha256 == text_sha256
                   for a in self.acceptances)

    def record_prompt_verdict(self, user_id: int | None, verdict: Verdict, prompt: str, job_id: str | None) -> None:
        self.prompt_verdicts.append((user_id, verdict, prompt, job_id))

    def _used(self, user_id: int, period: str) -> int:
        return sum(d for u, d, r, _, p in self.ledger if u == user_id and p == period and r != "grant")

    def _granted(self, user_id: int, period: str) -> int:
        return -sum(d for u, d, r, _, p in self.ledger if u == user_id and p == period and r == "grant")

    def _active(self, user_id: int) -> int:
        return sum(1 for j in self.jobs.values() if j.user_id == user_id and j.status not in FINAL_STATUSES)

    def create_job(self, new: NewJob, *, rules: QuotaRules, now: datetime) -> str | QuotaRefusal:
        """The day window only (the rolling window is exercised against SQLite/PostgreSQL)."""
        period, used, queued = utc_day(now), self._used(new.user_id, utc_day(now)), self._active(new.user_id)
        granted, resets = self._granted(new.user_id, period), next_midnight(now)
        if queued >= rules.max_queued:
            return QuotaRefusal(used, rules.daily_limit, queued, resets, "queued", granted)
        recent = sorted(j.created_at for j in self.jobs.values() if j.user_id == new.user_id
                        and j.created_at > now - timedelta(seconds=rules.burst_seconds))
        if len(recent) >= rules.burst_jobs:
            retry = recent[len(recent) - rules.burst_jobs] + timedelta(seconds=rules.burst_seconds)
            return QuotaRefusal(used, rules.daily_limit, queued, resets, "rate", granted, retry)
        if used + new.spec.count > rules.daily_limit + granted:
            return QuotaRefusal(used, rules.daily_limit, queued, resets, "daily", granted)
        job_id = f"job{next(self._ids)}"
        self.jobs[job_id] = Job(job_id, new.user_id, new.requester.platform, new.requester.chat_id, JobStatus.QUEUED,
                                new.model, new.spec, now, nsfw_allowed=new.nsfw_allowed,
                                prompt_review=new.prompt_review)
        self.queues[job_id] = new.queue
        self.ledger.append((new.user_id, new.spec.count, "reserve", job_id, period))
        return job_id

    def queue_position(self, job_id: str) -> int:
        job = self.jobs.get(job_id)
        if job is None or job.status is not JobStatus.QUEUED:
            return 0
        return sum(1 for j in self.jobs.values() if j.status is JobStatus.QUEUED and j.created_at <= job.created_at)

    def fail_job(self, job_id: str, error: str, *, refund: bool, status: JobStatus = JobStatus.FAILED,
                 user_id: int | None = None) -> bool:
        job = self.jobs.get(job_id)
        if job is None or job.status in FINAL_STATUSES or (user_id is not None and job.user_id != user_id):
            return False
        self.jobs[job_id] = replace(job, status=status, error=error)
        if refund:
            for user, delta, reason, jid, period in list(self.ledger):
                if jid == job_id and reason == "reserve":
                    self.ledger.append((user, -delta, "refund", job_id, period))
        return True

    def quota_status(self, user_id: int, *, rules: QuotaRules, now: datetime) -> QuotaStatus:
        period = utc_day(now)
        return QuotaStatus(self._used(user_id, period), rules.daily_limit, next_midnight(now), self._active(user_id),
                           self._granted(user_id, period))

    def is_cancelled(self, job_id: str) -> bool:
        job = self.jobs.get(job_id)
        return job is not None and job.status is JobStatus.CANCELLED

    def get_job(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def history(self, user_id: int, limit: int) -> list[Job]:
        mine = [j for j in self.jobs.values() if j.user_id == user_id]
        return sorted(mine, key=lambda j: j.created_at, reverse=True)[:limit]

    def start_job(self, job_id: str, now: datetime, worker: str | None = None) -> Job | None:
        job = self.jobs.get(job_id)
        if job is None or job.status is not JobStatus.QUEUED:
            return None
        self.jobs[job_id] = replace(job, status=JobStatus.RUNNING)
        return self.jobs[job_id]

    def hand_back(self, job_id: str, worker: str | None, now: datetime) -> bool:
        job = self.jobs.get(job_id)
        if job is None or job.status is not JobStatus.RUNNING:
            return False
        self.jobs[job_id] = replace(job, status=JobStatus.QUEUED)
        return True

    def finish_job(self, job_id: str, images: list[ImageRecord], verdicts: list[Verdict], now: datetime) -> bool:
        job = self.jobs.get(job_id)
        if job is None or job.status is not JobStatus.RUNNING:
            return False
        self.jobs[job_id] = replace(job, status=JobStatus.DONE, images=tuple(images), finished_at=now)
        self.image_verdicts.extend((job_id, v) for v in verdicts)
        return True

    def claim_delivery(self, job_id: str, platform: str, claimed_by: str, lease_s: float = 300.0) -> bool:
        if job_id in self.deliveries:
            return False
        self.deliveries[job_id] = None
        return True

    def release_delivery(self, job_id: str, claimed_by: str, retry_in_s: float, lease_s: float = 300.0) -> None:
        if self.deliveries.get(job_id, []) is None:
            del self.deliveries[job_id]

    def mark_delivered(self, job_id: str, message_ids: list[str], now: datetime) -> None:
        self.deliveries[job_id] = message_ids

    def delivered_message_ids(self, job_id: str) -> list[str]:
        return list(self.deliveries.get(job_id) or [])

    def undelivered_jobs(self, platform: str, limit: int = 50, lease_s: float = 300.0) -> list[str]:
        return [j.id for j in self.jobs.values()
                if j.platform == platform and j.status in FINAL_STATUSES and j.id not in self.deliveries][:limit]


