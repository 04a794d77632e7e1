"""Delivery: finished jobs reach their chat exactly once.

A job is claimed (a unique row in ``deliveries``) before it is sent and marked delivered after; the event bus wakes
the waiter at once, and a database poll catches what the bus missed (restarts, lost events).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from core.domain import FINAL_STATUSES, Job
from core.events import FINISHED, PROGRESS
from core.ports import Clock, EventBus, JobRepository


class JobWaiter:
    def __init__(self, repo: JobRepository, bus: EventBus, poll_interval: float = 1.0) -> None:
        self.repo = repo
        self.bus = bus
        self.poll_interval = poll_interval

    def wait(self, job_id: str, timeout: float, on_progress: Callable[[int, int], None] | None = None) -> Job | None:
        """The finished job, or None if it did not finish within ``timeout`` seconds (it keeps running)."""
        finished = threading.Event()

        def on_finished(payload: dict[str, Any]) -> None:
            if payload.get("job_id") == job_id:
                finished.set()

        def on_step(payload: dict[str, Any]) -> None:
            if on_progress is not None and payload.get("job_id") == job_id:
                on_progress(int(payload["step"]), int(payload["total"]))

        unsubscribe = [self.bus.subscribe(FINISHED, on_finished), self.bus.subscribe(PROGRESS, on_step)]
        try:
            waited = 0.0
            while True:
                job = self.repo.get_job(job_id)
                if job is None or job.status in FINAL_STATUSES:
                    return job
                if waited >= timeout:
                    return None
                step = min(self.poll_interval, timeout - waited)
                finished.wait(step)
                waited += step
        finally:
            for undo in unsubscribe:
                undo()


class Delivery:
    """Claim → send → mark delivered. ``send`` is the adapter's function returning platform message ids."""

    def __init__(self, repo: JobRepository, clock: Clock, platform: str, claimed_by: str) -> None:
        self.repo = repo
        self.clock = clock
        self.platform = platform
        self.claimed_by = claimed_by

    def deliver(self, job: Job, send: Callable[[Job], list[str]]) -> bool:
        if not self.repo.claim_delivery(job.id, self.platform, self.claimed_by):
            return False
        message_ids = send(job)
        self.repo.mark_delivered(job.id, message_ids, self.clock.now())
        return True
