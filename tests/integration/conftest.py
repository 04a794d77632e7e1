"""Integration fixtures: a fresh PostgreSQL database per test module, Redis on localhost, a real worker process."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_ADMIN = os.environ.get("MURALIST_TEST_PG_ADMIN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
REDIS_URL = os.environ.get("MURALIST_TEST_REDIS", "redis://127.0.0.1:6379")
MURALIST = Path(sys.executable).with_name("muralist")


def _services_up() -> str | None:
    try:
        import psycopg
        import redis

        psycopg.connect(PG_ADMIN, connect_timeout=3).close()
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:
        return str(exc)
    return None


@pytest.fixture(scope="session", autouse=True)
def _require_services() -> None:
    problem = _services_up()
    if problem and os.environ.get("CI"):
        pytest.fail(f"PostgreSQL/Redis must run on localhost in CI: {problem}")
    if problem:
        pytest.skip(f"PostgreSQL/Redis not reachable: {problem}")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A brand-new, empty database (nothing migrated), dropped afterwards."""
    import psycopg

    name = f"muralist_test_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url() -> Iterator[str]:
    """An empty Redis database number of its own, so a run never sees another run's messages."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for db in range(8, 16):
        url = f"{REDIS_URL}/{db}"
        if client.set(f"muralist:test-lock:{db}", "1", nx=True, ex=600):
            redis.Redis.from_url(url).flushdb()
            try:
                yield url
            finally:
                redis.Redis.from_url(url).flushdb()
                client.delete(f"muralist:test-lock:{db}")
            return
    pytest.skip("no free Redis database number for this test")


class WorkerProcess:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self._fh = log.open("w")
        self.proc = subprocess.Popen([str(MURALIST), "worker", "--pool", "solo", "--loglevel", "INFO"],
                                     env=env, stdout=self._fh, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited early:\n{self.log.read_text()}")
            if " ready." in self.log.read_text():
                return
            time.sleep(0.3)
        raise AssertionError(f"worker not ready:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._fh.close()


@pytest.fixture
def worker_env(pg_url: str, redis_url: str, tmp_path: Path, models_dir: Path) -> dict[str, str]:
    return {**os.environ, "MURALIST_DATABASE_URL": pg_url, "MURALIST_BROKER_URL": redis_url,
            "MURALIST_DATA_DIR": str(tmp_path / "data"), "MURALIST_WORKER_POOL": "solo"}
