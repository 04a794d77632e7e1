"""Fault drills on the distributed mode, as an operator meets them: real `muralist worker` processes, PostgreSQL and
Redis. Each drill asserts what members would notice — every job finishes exactly once, its pictures exist once, no
quota stays held — and how long it took to settle after the fault ended."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.config import Settings
from core.domain import Accepted, GenerationParams, JobStatus, Requester
from core.runtime import Runtime, build_runtime
from core.storage.models import ImageRow, QuotaLedgerRow
from tests.integration.conftest import MURALIST, WorkerProcess

pytestmark = pytest.mark.integration
ADA = Requester("console", "ada", "c1")
SETTLE_S = 60  # the bound: everything settles within a minute of the fault ending
LONG = GenerationParams("a long job", seed=1, steps=50, width=384, height=384, count=2)  # seconds on this CPU
MAKE_S = 240  # generous time to *make* a long job on a busy 2-core machine, once it is back in a worker's hands


def _migrate(env: dict[str, str]) -> None:
    done = subprocess.run([str(MURALIST), "db", "upgrade"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def _bot(env: dict[str, str]) -> Runtime:
    """A front door in broker mode: submits and reads, runs no worker."""
    rt = build_runtime(Settings(database_url=env["MURALIST_DATABASE_URL"], broker_url=env["MURALIST_BROKER_URL"],
                                data_dir=Path(env["MURALIST_DATA_DIR"]), rate_limit_jobs=1000,
                                max_queued_jobs_per_user=50, quota_daily_images=500))
    rt.app.accept_licence(ADA)
    return rt


def _submit(rt: Runtime, params: GenerationParams) -> str:
    outcome = rt.app.imagine(ADA, params)
    assert isinstance(outcome, Accepted), outcome
    return outcome.job_id


def _wait_for(predicate, timeout: float, what: str) -> float:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.25)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


def _settled(rt: Runtime, jobs: list[str]) -> None:
    """0 lost, 0 made twice, 0 quota held by a finished job."""
    for job_id in jobs:
        job = rt.repo.get_job(job_id)
        assert job is not None and job.status is JobStatus.DONE, job
    with rt.engine.connect() as conn:
        for job_id in jobs:
            pictures = conn.execute(select(func.count()).select_from(ImageRow).where(ImageRow.job_id == job_id))
            assert pictures.scalar_one() == rt.repo.get_job(job_id).count  # type: ignore[union-attr]
        charged = conn.execute(select(func.sum(QuotaLedgerRow.delta))).scalar_one()
    assert charged == sum(rt.repo.get_job(j).count for j in jobs)  # type: ignore[union-attr]


def _status(rt: Runtime, job_id: str) -> JobStatus | None:
    job = rt.repo.get_job(job_id)
    return None if job is None else job.status


class Drill:
    """A front door, the workers it started (stopped at the end, whatever happens) and a long job on the first."""

    def __init__(self, env: dict[str, str], tmp_path: Path) -> None:
        self.env, self.tmp_path = env, tmp_path
        _migrate(env)
        self.rt = _bot(env)
        self.workers: list[WorkerProcess] = []

    def start_worker(self, name: str) -> WorkerProcess:
        worker = WorkerProcess(self.env, self.tmp_path / f"{name}.log")
        self.workers.append(worker)
        worker.wait_ready()
        return worker

    def long_job_running(self) -> tuple[WorkerProcess, str]:
        """A worker, and a long job it is in the middle of making."""
        worker = self.start_worker("first")
        job_id = _submit(self.rt, LONG)
        _wait_for(lambda: _status(self.rt, job_id) is JobStatus.RUNNING, 60, "the job starts")
        return worker, job_id

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.rt.close()


@pytest.fixture
def drill(worker_env: dict[str, str], tmp_path: Path) -> Iterator[Drill]:
    made = Drill(worker_env, tmp_path)
    yield made
    made.close()


def test_kill_9_of_a_worker_mid_job_is_taken_back_and_made_once(drill: Drill) -> None:
    rt = drill.rt
    first, job_id = drill.long_job_running()
    first.proc.kill()  # kill -9: no goodbye, no ack, the heartbeat just stops
    first.proc.wait(10)
    killed_at = time.monotonic()
    survivor = drill.start_worker("second")
    _wait_for(lambda: "took back 1 running" in survivor.log.read_text(), SETTLE_S, "the job is taken back")
    print(f"kill -9: the job was taken back {time.monotonic() - killed_at:.1f} s after the kill")
    _wait_for(lambda: _status(rt, job_id) is JobStatus.DONE, MAKE_S, "the job is made by the survivor")
    _settled(rt, [job_id])
    assert rt.repo.get_job(job_id).images  # type: ignore[union-attr]
    assert "took back 1 running" in survivor.log.read_text()


def test_sigterm_hands_the_job_back_and_exits_within_10_s(drill: Drill) -> None:
    rt = drill.rt
    first, job_id = drill.long_job_running()
    first.proc.send_signal(signal.SIGTERM)
    start = time.monotonic()
    first.proc.wait(10)  # raises if the worker is still busy after 10 s
    print(f"SIGTERM: exited in {time.monotonic() - start:.1f} s")
    assert "goes back to the queue" in first.log.read_text()
    assert _status(rt, job_id) is JobStatus.QUEUED
    drill.start_worker("second")
    _wait_for(lambda: _status(rt, job_id) is not JobStatus.QUEUED, SETTLE_S, "another worker takes it")
    _wait_for(lambda: _status(rt, job_id) is JobStatus.DONE, MAKE_S, "another worker makes it")
    _settled(rt, [job_id])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateRedis:
    """A Redis of this test's own, without persistence, that the test may stop and start (never the shared one)."""

    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(self.port),
                                      "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                      "--dir", str(self.workdir)], stdout=subprocess.DEVNULL)
        _wait_for(self._up, 10, "private redis starts")

    def _up(self) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def test_a_broker_restart_without_persistence_loses_no_queued_job(worker_env: dict[str, str], tmp_path: Path,
                                                                   private_redis: PrivateRedis) -> None:
    env = {**worker_env, "MURALIST_BROKER_URL": f"redis://127.0.0.1:{private_redis.port}/0"}
    _migrate(env)
    rt = _bot(env)
    worker = WorkerProcess(env, tmp_path / "before.log")
    try:
        worker.wait_ready()
        worker.stop()  # the model was served a moment ago, so the front door queues jobs for it
        jobs = [_submit(rt, GenerationParams(f"a queued job {i}", seed=i, steps=4)) for i in range(8)]
        private_redis.stop()  # every message is gone: Redis kept nothing
        private_redis.start()
        restarted_at = time.monotonic()
        worker = WorkerProcess(env, tmp_path / "worker.log")
        worker.wait_ready()
        took = _wait_for(lambda: all(_status(rt, j) is JobStatus.DONE for j in jobs), SETTLE_S + 60,
                         "every queued job is made")
        print(f"broker restart settled {time.monotonic() - restarted_at:.1f} s after the restart ({took:.1f} s "
              f"after the worker was ready)")
        _settled(rt, jobs)
    finally:
        if worker is not None:
            worker.stop()
        rt.close()


class PrivatePostgres:
    """A PostgreSQL cluster of this test's own (initdb as a non-root user), which the test may stop and start."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="muralist-pg-"))
        self.root.chmod(0o755)  # the postgres user must reach its data folder
        self.data = self.root / "data"
        self.port = _free_port()
        bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        self.bin = bindir[-1] if bindir else Path(shutil.which("initdb") or "initdb").parent
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            shutil.chown(self.root, "postgres")
        subprocess.run([*self.as_owner, str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                        "--auth=trust", "-E", "UTF8"], check=True, capture_output=True, timeout=120)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/muralist"

    def start(self) -> None:
        subprocess.run([*self.as_owner, str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-l",
                        str(self.root / "pg.log"), "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 "
                        f"-k {self.root}", "start"], check=True, capture_output=True, timeout=60)

    def stop(self) -> None:
        subprocess.run([*self.as_owner, str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-m", "fast", "stop"],
                       capture_output=True, timeout=60)

    def create_database(self) -> None:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute("CREATE DATABASE muralist")


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    if not (Path("/usr/lib/postgresql").exists() or shutil.which("initdb")):
        pytest.skip("PostgreSQL server binaries are not installed")
    server = PrivatePostgres()
    server.start()
    server.create_database()
    yield server
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)


def test_a_20_s_database_outage_mid_run_loses_nothing(worker_env: dict[str, str], tmp_path: Path,
                                                        private_postgres: PrivatePostgres) -> None:
    env = {**worker_env, "MURALIST_DATABASE_URL": private_postgres.url}
    _migrate(env)
    rt = _bot(env)
    worker = WorkerProcess(env, tmp_path / "worker.log")
    try:
        worker.wait_ready()
        jobs = [_submit(rt, GenerationParams(f"job {i}", seed=i, steps=10, width=128, height=128))
                for i in range(8)]
        _wait_for(lambda: any(_status(rt, j) is JobStatus.DONE for j in jobs), 60, "the first job is made")
        private_postgres.stop()
        busy = rt.app.imagine(ADA, GenerationParams("during the outage"))
        assert busy.code == "busy" and "nothing was charged" in busy.message
        time.sleep(20)  # the outage itself (not a wait for something to not happen)
        private_postgres.start()
        restored_at = time.monotonic()
        _wait_for(lambda: all(_status(rt, j) is JobStatus.DONE for j in jobs), SETTLE_S,
                  "every job is made after the database is back")
        print(f"database outage settled {time.monotonic() - restored_at:.1f} s after it ended")
        _settled(rt, jobs)
        assert worker.proc.poll() is None  # the worker rode the outage out
    finally:
        worker.stop()
        rt.close()


def test_two_workers_share_one_host_on_rabbitmq(worker_env: dict[str, str], tmp_path: Path) -> None:
    """Before unique node names, the second worker on a host exited with ResourceLocked (celery@host.celery.pidbox)."""
    amqp = "amqp://guest:guest@127.0.0.1:5672//"
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 5672)) != 0:
            pytest.skip("RabbitMQ is not running on 127.0.0.1:5672")
    env = {**worker_env, "MURALIST_BROKER_URL": amqp, "MURALIST_EVENTS_URL": worker_env["MURALIST_BROKER_URL"]}
    _migrate(env)
    workers = [WorkerProcess(env, tmp_path / f"worker{i}.log") for i in range(2)]
    rt: Runtime | None = None
    try:
        for worker in workers:
            worker.wait_ready()
        rt = _bot(env)
        jobs = [_submit(rt, GenerationParams(f"job {i}", seed=i, steps=4, width=128, height=128)) for i in range(6)]
        _wait_for(lambda: all(_status(rt, j) is JobStatus.DONE for j in jobs), MAKE_S, "both workers make the jobs")
        _settled(rt, jobs)
        assert all(w.proc.poll() is None for w in workers)
        assert not any("ResourceLocked" in w.log.read_text() for w in workers)
    finally:
        for worker in workers:
            worker.stop()
        if rt is not None:
            rt.close()
