"""A real `muralist worker` with MURALIST_METRICS_PORT: Prometheus sees the job it made, /healthz answers, /readyz is
ready with the database, the broker and the image check — and says 503, naming the database, once the database's
port is dead."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.config import Settings
from core.domain import Accepted, GenerationParams, JobStatus, Requester
from core.runtime import build_runtime
from tests.integration.conftest import MURALIST, WorkerProcess

pytestmark = pytest.mark.integration
ADA = Requester("console", "ada", "c1")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TcpRelay:
    """A port of the test's own in front of PostgreSQL; closing it makes the worker's database port dead (nothing
    listens, every relayed connection is cut) while the shared PostgreSQL keeps running for everyone else."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # closed
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        # shutdown first: closing alone leaves a socket that a blocked accept() still holds listening (Linux).
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=15) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_a_worker_serves_metrics_health_and_readiness_and_turns_unready_when_the_database_goes(
        worker_env: dict[str, str], tmp_path: Path) -> None:
    upgraded = subprocess.run([str(MURALIST), "db", "upgrade"], env=worker_env, capture_output=True, text=True,
                              timeout=120)
    assert upgraded.returncode == 0, upgraded.stderr
    relay = TcpRelay(("127.0.0.1", 5432))
    port = _free_port()
    direct_url = worker_env["MURALIST_DATABASE_URL"]
    env = {**worker_env, "MURALIST_METRICS_PORT": str(port),
           "MURALIST_DATABASE_URL": direct_url.replace("127.0.0.1:5432", f"127.0.0.1:{relay.port}")}
    bot = build_runtime(Settings(database_url=direct_url, broker_url=worker_env["MURALIST_BROKER_URL"],
                                 data_dir=Path(worker_env["MURALIST_DATA_DIR"])))
    worker = WorkerProcess(env, tmp_path / "worker.log")
    try:
        worker.wait_ready()
        assert get(port, "/healthz")[0] == 200
        status, body = get(port, "/readyz")
        assert status == 200, body
        assert json.loads(body)["checks"] == {"database": {"ok": True}, "broker": {"ok": True},
                                              "image_check": {"ok": True}}

        bot.app.accept_licence(ADA)
        accepted = bot.app.imagine(ADA, GenerationParams("a red fox in the snow", seed=3, count=2))
        assert isinstance(accepted, Accepted)
        job = bot.app.wait(accepted.job_id, timeout=120)
        assert job is not None and job.status is JobStatus.DONE, worker.log.read_text()

        status, text = get(port, "/metrics")
        assert status == 200
        seen = samples(text)
        model = (("model", job.model),)
        assert seen[("muralist_jobs_started_total", model)] == 1
        assert seen[("muralist_jobs_finished_total", model)] == 1
        assert seen[("muralist_job_generation_seconds_count", model)] == 1
        assert seen[("muralist_pictures_total", (("category", "none"), ("decision", "allow")))] == 2
        assert 0 <= seen[("muralist_worker_heartbeat_age_seconds", ())] < 30
        # The submit happened in the bot's process: it counts there, not in the worker.
        assert ("muralist_jobs_submitted_total", model) not in seen

        relay.close()  # the worker's database port is dead now
        started = time.monotonic()
        status, body = get(port, "/readyz")
        assert time.monotonic() - started < 5  # each check is bounded (2 s)
        assert status == 503, body
        report = json.loads(body)
        assert report["failing"] == ["database"]
        assert report["checks"]["broker"] == {"ok": True} and report["checks"]["image_check"] == {"ok": True}
        assert "postgres" not in body  # the driver's message (with the URL) stays in the log
        assert get(port, "/healthz")[0] == 200  # the process is alive: restarting it would not bring the DB back
    finally:
        worker.stop()
        relay.close()
        bot.close()
