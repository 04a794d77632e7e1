"""The ports the service and the worker depend on. Adapters (SQLAlchemy, Celery, Redis, disk) implement them;
tests run the SQL ones on a SQLite file and stand in for the rest with the doubles in ``tests/fakes.py``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from PIL import Image

from core.domain import ImageRecord, Job, JobStatus, QuotaRules, QuotaStatus, Requester, Verdict
from core.spec import JobSpec


@dataclass(frozen=True)
class NewJob:
    user_id: int
    requester: Requester
    spec: JobSpec
    model: str
    queue: str
    nsfw_allowed: bool
    prompt_review: bool = False


@dataclass(frozen=True)
class QuotaRefusal:
    used: int
    limit: int
    queued: int
    resets_at: datetime
    reason: str  # "daily" | "queued" | "rate"
    granted: int = 0
    retry_at: datetime | None = None


class JobRepository(Protocol):
    def find_user(self, platform: str, external_id: str) -> int | None: ...
    def ensure_user(self, requester: Requester) -> int: ...
    def record_acceptance(self, user_id: int, requester: Requester, licence_id: str, licence_version: str,
                          text_sha256: str, app_version: str) -> None: ...
    def has_accepted(self, user_id: int, licence_id: str, text_sha256: str) -> bool: ...
    def record_prompt_verdict(self, user_id: int | None, verdict: Verdict, prompt: str, job_id: str | None) -> None: ...
    def create_job(self, new: NewJob, *, rules: QuotaRules, now: datetime) -> str | QuotaRefusal: ...
    def queue_position(self, job_id: str) -> int: ...
    def fail_job(self, job_id: str, error: str, *, refund: bool, status: JobStatus = JobStatus.FAILED,
                 user_id: int | None = None) -> bool: ...
    def is_cancelled(self, job_id: str) -> bool: ...
    def quota_status(self, user_id: int, *, rules: QuotaRules, now: datetime) -> QuotaStatus: ...
    def get_job(self, job_id: str) -> Job | None: ...
    def history(self, user_id: int, limit: int) -> list[Job]: ...
    def start_job(self, job_id: str, now: datetime) -> Job | None: ...
    def finish_job(self, job_id: str, images: list[ImageRecord], verdicts: list[Verdict], now: datetime) -> bool: ...
    def claim_delivery(self, job_id: str, platform: str, claimed_by: str, lease_s: float = 300.0) -> bool: ...
    def mark_delivered(self, job_id: str, message_ids: list[str], now: datetime) -> None: ...
    def undelivered_jobs(self, platform: str, limit: int = 50, lease_s: float = 300.0) -> list[str]: ...
    def delivered_message_ids(self, job_id: str) -> list[str]: ...


class Dispatcher(Protocol):
    def enqueue(self, job_id: str, queue: str) -> None: ...


class ImageStore(Protocol):
    def save(self, image: Image.Image, metadata: dict[str, str]) -> tuple[str, str]:
        """Write a PNG; return (absolute path, sha256)."""
        ...


class EventBus(Protocol):
    def publish(self, topic: str, payload: dict[str, Any]) -> None: ...
    def subscribe(self, topic: str, handler: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        """Register a handler; return a function that unregisters it."""
        ...


class Clock(Protocol):
    def now(self) -> datetime: ...
