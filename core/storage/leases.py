"""SQL behind the reconciler: which queued jobs may have lost their broker message, which running jobs lost their
worker, and the conditional updates that take them back. Every write is conditional on what was read, so two
reconcilers (one per worker process) can run at once and only one of them acts on each job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from core.domain import JobStatus
from core.storage.models import JobRow, WorkerRow


@dataclass(frozen=True)
class QueuedJob:
    id: str
    queue: str
    enqueued_at: datetime | None


@dataclass(frozen=True)
class RunningJob:
    id: str
    queue: str
    worker: str | None
    started_at: datetime | None
    attempts: int


class SqlJobLeases:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def queued_counts(self) -> dict[str, int]:
        """Queued jobs per broker queue."""
        with self.sessions() as s:
            rows = s.execute(select(JobRow.queue, func.count()).where(JobRow.status == JobStatus.QUEUED.value)
                             .group_by(JobRow.queue)).tuples().all()
        return {queue: int(n) for queue, n in rows}

    def stale_queued(self, enqueued_before: datetime, limit: int = 500) -> list[QueuedJob]:
        """Queued jobs last handed to the broker before ``enqueued_before``, oldest first."""
        with self.sessions() as s:
            rows = s.execute(select(JobRow.id, JobRow.queue, JobRow.enqueued_at).where(
                JobRow.status == JobStatus.QUEUED.value,
                (JobRow.enqueued_at < enqueued_before) | JobRow.enqueued_at.is_(None))
                .order_by(JobRow.created_at).limit(limit)).tuples().all()
        return [QueuedJob(*row) for row in rows]

    def touch_queued(self, job: QueuedJob, now: datetime) -> bool:
        """Claim the right to re-enqueue a queued job: True for exactly one caller."""
        with self.sessions.begin() as s:
            seen = JobRow.enqueued_at.is_(None) if job.enqueued_at is None else JobRow.enqueued_at == job.enqueued_at
            done = s.execute(update(JobRow).where(JobRow.id == job.id, JobRow.status == JobStatus.QUEUED.value, seen)
                             .values(enqueued_at=now))
            return bool(done.rowcount == 1)  # type: ignore[attr-defined]

    def running(self, limit: int = 500) -> list[RunningJob]:
        with self.sessions() as s:
            rows = s.execute(select(JobRow.id, JobRow.queue, JobRow.worker, JobRow.started_at, JobRow.attempts)
                             .where(JobRow.status == JobStatus.RUNNING.value).limit(limit)).tuples().all()
        return [RunningJob(*row) for row in rows]

    def take_back(self, job: RunningJob, now: datetime) -> bool:
        """A running job whose worker is gone goes back to the queue (True for exactly one caller)."""
        with self.sessions.begin() as s:
            same_worker = JobRow.worker.is_(None) if job.worker is None else JobRow.worker == job.worker
            done = s.execute(update(JobRow).where(
                JobRow.id == job.id, JobRow.status == JobStatus.RUNNING.value, same_worker,
                JobRow.attempts == job.attempts).values(status=JobStatus.QUEUED.value, worker=None, enqueued_at=now))
            return bool(done.rowcount == 1)  # type: ignore[attr-defined]

    def live_workers(self, seen_since: datetime) -> set[str]:
        with self.sessions() as s:
            return set(s.scalars(select(WorkerRow.name).where(WorkerRow.last_seen >= seen_since)))
