"""The reconciler on a real SQLite database: what a broker restart, a dead worker or an outage left behind is
repaired from the database — nothing lost, nothing started twice, nothing charged for a job that never ran."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from core.config import Settings
from core.domain import GenerationParams, GenerationRequest, JobStatus, QuotaSettings, Requester
from core.events import InMemoryEventBus
from core.models_registry import model_spec
from core.reconciler import Reconciler
from core.service import GenerationService
from core.storage.db import build_engine, ensure_schema, session_factory
from core.storage.leases import SqlJobLeases
from core.storage.repositories import SqlJobRepository
from core.worker_registry import WorkerRegistry
from safety.license import get_licence
from safety.prompt_filter import PromptFilter
from tests.fakes import FakeClock

ADA = Requester("console", "ada")


class Broker:
    """A dispatcher that can lose everything (a Redis restart without persistence) and says what it holds."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.sent: list[str] = []

    def enqueue(self, job_id: str, queue: str) -> None:
        self.messages.append(job_id)
        self.sent.append(job_id)

    def ready_messages(self, queue: str) -> int | None:
        return len(self.messages)


class World:
    def __init__(self, tmp_path: Path, prompt_filter: PromptFilter) -> None:
        self.engine = build_engine(Settings(data_dir=tmp_path))
        ensure_schema(self.engine, auto_migrate=True)
        sessions = session_factory(self.engine)
        self.repo = SqlJobRepository(sessions)
        self.clock = FakeClock()
        self.broker = Broker()
        spec = model_spec(Settings())
        self.service = GenerationService(self.repo, self.broker, prompt_filter, spec, get_licence(spec.licence_id),
                                         QuotaSettings(default_limit=20, max_queued=10), self.clock)
        self.service.accept_licence(ADA)
        self.registry = WorkerRegistry(sessions)
        self.leases = SqlJobLeases(sessions)

    def reconciler(self, probe: bool = True, max_attempts: int = 3) -> Reconciler:
        return Reconciler(self.leases, self.repo, self.broker, self.clock, InMemoryEventBus(),
                          self.broker if probe else None, queued_grace_s=20, worker_stale_s=30,
                          max_attempts=max_attempts)

    def submit(self) -> str:
        outcome = self.service.submit(GenerationRequest(ADA, GenerationParams("a red fox", seed=1)))
        return outcome.job_id  # type: ignore[union-attr]

    def status(self, job_id: str) -> JobStatus:
        job = self.repo.get_job(job_id)
        assert job is not None
        return job.status


@pytest.fixture
def world(tmp_path: Path, prompt_filter: PromptFilter):  # type: ignore[no-untyped-def]
    w = World(tmp_path, prompt_filter)
    yield w
    w.engine.dispose()


def test_queued_jobs_the_broker_lost_are_sent_again_once(world: World) -> None:
    jobs = [world.submit() for _ in range(3)]
    assert world.reconciler().run_once().requeued == []  # within the grace period nothing is touched
    world.broker.messages.clear()  # the broker restarts without persistence
    world.clock.advance(seconds=21)
    first, second = world.reconciler(), world.reconciler()  # two workers reconcile at the same moment
    assert sorted(first.run_once().requeued + second.run_once().requeued) == sorted(jobs)
    assert sorted(world.broker.messages) == sorted(jobs)  # each lost job re-sent exactly once


def test_a_long_healthy_queue_is_left_alone(world: World) -> None:
    for _ in range(4):
        world.submit()
    world.clock.advance(minutes=10)  # old, but every message still waits in the broker
    assert world.reconciler().run_once().requeued == []
    world.broker.messages.pop()  # one message lost: only one job (the oldest stale one) is re-sent
    assert len(world.reconciler().run_once().requeued) == 1


def test_a_running_job_whose_worker_died_is_taken_back_and_runs_once_more(world: World) -> None:
    job_id = world.submit()
    world.registry.beat("w1", ["miniature"])
    assert world.repo.start_job(job_id, world.clock.now(), "w1") is not None
    assert world.repo.start_job(job_id, world.clock.now(), "w2") is None  # a duplicate message does nothing
    world.registry.beat("w1", ["miniature"])
    assert world.reconciler().run_once().taken_back == []  # w1 is alive: hands off
    world.clock.advance(seconds=31)
    # The registry beats in real time; make w1's last word old by the reconciler's clock.
    with world.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE workers SET last_seen = ?", (world.clock.now() - timedelta(minutes=5),))
    repairs = world.reconciler().run_once()
    assert repairs.taken_back == [job_id] and world.status(job_id) is JobStatus.QUEUED
    assert world.broker.sent.count(job_id) == 2  # the original message and the re-send
    assert world.repo.start_job(job_id, world.clock.now(), "w2") is not None
    assert world.service.quota(ADA).used == 1  # charged once


def test_a_job_that_keeps_killing_its_worker_is_failed_and_refunded(world: World) -> None:
    job_id = world.submit()
    for attempt in range(3):
        assert world.repo.start_job(job_id, world.clock.now(), f"w{attempt}") is not None
        world.clock.advance(seconds=31)
        world.reconciler(max_attempts=3).run_once()
    assert world.status(job_id) is JobStatus.FAILED
    assert world.service.quota(ADA).used == 0
    job = world.repo.get_job(job_id)
    assert job is not None and "stopped 3 times" in (job.error or "")


def test_a_worker_whose_process_is_gone_on_this_host_is_dead_at_once() -> None:
    import socket
    import subprocess

    from core.reconciler import process_alive, worker_name

    gone = subprocess.Popen(["true"])
    gone.wait()
    host = socket.gethostname()
    assert not process_alive(f"worker:{host}:{gone.pid}")
    assert process_alive(worker_name("worker"))  # this very process
    assert process_alive(f"worker:another-host:{gone.pid}")  # elsewhere: only the heartbeat can tell


def test_jobs_of_a_dead_worker_do_not_lock_the_member_out_of_the_queue(world: World) -> None:
    jobs = []
    for _ in range(10):  # the cap in this world is 10 waiting jobs
        jobs.append(world.submit())
        world.clock.advance(minutes=1)  # clear of the burst limit
    world.registry.beat("w1", ["miniature"])
    for job_id in jobs:
        assert world.repo.start_job(job_id, world.clock.now(), "w1") is not None
    refused = world.service.submit(GenerationRequest(ADA, GenerationParams("a red fox", seed=2)))
    assert refused.code == "queue_cap"  # type: ignore[union-attr]
    # w1 dies (kill -9): until the reconciler takes its jobs back they must not count against the member.
    with world.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE workers SET last_seen = ?", (world.clock.now() - timedelta(minutes=5),))
    assert world.service.quota(ADA).queued_jobs == 0
    assert world.submit()
    assert world.service.quota(ADA).used == 11  # their quota stays reserved until they finish or are refunded
