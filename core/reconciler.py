"""The reconciler: the database is the source of truth and the broker only transport, so what a crash or an outage
left behind is repaired from the database.

- A **queued** job whose message is gone (a broker restart without persistence, an enqueue that never happened
  because the database or the broker failed at the wrong moment, an in-memory queue of a process that died) is
  enqueued again. The broker is asked how many messages wait in each queue; only as many of the oldest queued jobs as
  are missing are re-sent, so a long but healthy queue is left alone. A duplicate message is harmless: a job starts
  once (``start_job`` moves it from queued to running for exactly one taker).
- A **running** job whose worker stopped beating (kill -9, a lost machine, a bot restarted mid-job) or that has run
  far past the job timeout is taken back to the queue and its attempt counted; after ``max_attempts`` it is failed
  and its quota refunded. A job is never generated or charged twice: the idempotent ``start_job``/``finish_job``
  stay the guard.

It runs in every worker process and in the embedded runtime. Every write is conditional on what was read, so any
number of reconcilers may run at once; no leader election is needed.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from core import metrics
from core.domain import JobStatus
from core.events import FINISHED
from core.ports import Clock, Dispatcher, EventBus, JobRepository
from core.storage.leases import QueuedJob, SqlJobLeases

log = logging.getLogger(__name__)


def worker_name(kind: str, instance: object = None) -> str:
    """``kind:host:pid[:instance]`` — a worker's name in the registry, which says where to look for its process."""
    suffix = "" if instance is None else f":{instance}"
    return f"{kind}:{socket.gethostname()}:{os.getpid()}{suffix}"


def process_alive(name: str) -> bool:
    """False only when the named worker ran on this host and its process is gone (a kill -9, a crash): then its job
    need not wait for the heartbeat to go stale. Anything else (another host, an unreadable name) counts as alive."""
    parts = name.split(":")
    if len(parts) < 3 or parts[1] != socket.gethostname() or not parts[2].isdigit():
        return True
    try:
        os.kill(int(parts[2]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process with that pid: alive
        return True
    return True


class BrokerProbe(Protocol):
    def ready_messages(self, queue: str) -> int | None:
        """Messages waiting in ``queue``, or None when the broker cannot say (then time alone decides)."""
        ...


@dataclass
class Repairs:
    requeued: list[str] = field(default_factory=list)  # queued jobs whose message was re-sent
    taken_back: list[str] = field(default_factory=list)  # running jobs whose worker was gone
    failed: list[str] = field(default_factory=list)  # out of attempts: failed and refunded

    def __bool__(self) -> bool:
        return bool(self.requeued or self.taken_back or self.failed)


class Reconciler:
    def __init__(self, leases: SqlJobLeases, jobs: JobRepository, dispatcher: Dispatcher, clock: Clock,
                 bus: EventBus, probe: BrokerProbe | None = None, *, queued_grace_s: float = 20.0,
                 worker_stale_s: float = 30.0, job_timeout_s: float = 600.0, max_attempts: int = 3,
                 queues: tuple[str, ...] = ()) -> None:
        self.leases = leases
        self.jobs = jobs
        self.dispatcher = dispatcher
        self.clock = clock
        self.bus = bus
        self.probe = probe
        self.queued_grace = timedelta(seconds=queued_grace_s)
        self.worker_stale = timedelta(seconds=worker_stale_s)
        # A job running much longer than the timeout is lost even if its worker still beats (a stuck thread).
        self.overdue = timedelta(seconds=job_timeout_s * 1.5 + 60)
        self.max_attempts = max_attempts
        self.queues = queues  # every model queue, so an emptied one reports 0 rather than its last depth

    def run_once(self) -> Repairs:
        repairs = Repairs()
        self._running(repairs)
        counts = self.leases.queued_counts()
        metrics.queue_depths(counts, self.queues)
        self._queued(repairs, counts)
        metrics.reconciled(repairs.requeued, repairs.taken_back, repairs.failed)
        if repairs:
            log.warning("reconciler: re-enqueued %d queued, took back %d running, failed %d out of attempts",
                        len(repairs.requeued), len(repairs.taken_back), len(repairs.failed))
        return repairs

    def _running(self, repairs: Repairs) -> None:
        now = self.clock.now()
        live = self.leases.live_workers(now - self.worker_stale)
        for job in self.leases.running():
            gone = job.worker is None or job.worker not in live or not process_alive(job.worker)
            overdue = job.started_at is not None and job.started_at < now - self.overdue
            if not (gone or overdue):
                continue
            if job.attempts >= self.max_attempts:
                if self.jobs.fail_job(job.id, f"failed: the worker stopped {job.attempts} times while making it",
                                      refund=True, status=JobStatus.FAILED):
                    repairs.failed.append(job.id)
                    self.bus.publish(FINISHED, {"job_id": job.id, "status": "failed"})
                continue
            if self.leases.take_back(job, now):
                self._send(job.id, job.queue)
                repairs.taken_back.append(job.id)

    def _queued(self, repairs: Repairs, counts: dict[str, int]) -> None:
        now = self.clock.now()
        stale = self.leases.stale_queued(now - self.queued_grace)
        if not stale:
            return
        by_queue: dict[str, list[QueuedJob]] = {}
        for job in stale:
            by_queue.setdefault(job.queue, []).append(job)
        for queue, jobs in by_queue.items():
            ready = self.probe.ready_messages(queue) if self.probe is not None else None
            # Messages waiting cover that many queued jobs; the rest (the oldest first) have lost theirs.
            missing = len(jobs) if ready is None else max(0, min(len(jobs), counts.get(queue, 0) - ready))
            for job in jobs[:missing]:
                if self.leases.touch_queued(job, now):
                    self._send(job.id, job.queue)
                    repairs.requeued.append(job.id)

    def _send(self, job_id: str, queue: str) -> None:
        try:
            self.dispatcher.enqueue(job_id, queue)
        except Exception:  # the broker is still down: the job stays queued and the next round tries again
            log.warning("reconciler could not enqueue job %s", job_id, exc_info=True)

    def start(self, interval: float = 10.0) -> threading.Event:
        """Run every ``interval`` seconds in a daemon thread until the returned event is set."""
        stop = threading.Event()

        def loop() -> None:
            while True:  # a first round at once: a restarted process repairs what its predecessor left
                try:
                    self.run_once()
                except Exception:  # the database is down: the next round tries again
                    log.warning("reconciler round failed", exc_info=True)
                if stop.wait(interval):
                    return

        threading.Thread(target=loop, name="muralist-reconciler", daemon=True).start()
        return stop

