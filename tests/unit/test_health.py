"""/healthz, /readyz and /metrics over real HTTP: a slow or failing dependency answers 503 in bounded time, naming
the dependency and never the driver's message (it may quote a password)."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from core.health import HealthServer, NotReady, Readiness


def get(port: int, path: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


@pytest.fixture
def released() -> Iterator[threading.Event]:
    gate = threading.Event()
    yield gate
    gate.set()  # let a hanging check's thread end with the test


def serve(checks: dict, timeout_s: float = 2.0) -> HealthServer:  # type: ignore[type-arg]
    return HealthServer(Readiness(checks, timeout_s), 0, "127.0.0.1")


def test_all_dependencies_answering_is_ready_and_metrics_are_prometheus_text() -> None:
    server = serve({"database": lambda: None, "broker": lambda: None})
    try:
        assert get(server.port, "/healthz")[0] == 200
        status, content_type, body = get(server.port, "/readyz")
        assert status == 200 and content_type == "application/json"
        assert json.loads(body) == {"status": "ready", "failing": [],
                                    "checks": {"database": {"ok": True}, "broker": {"ok": True}}}
        status, content_type, body = get(server.port, "/metrics")
        assert status == 200 and content_type.startswith("text/plain")
        assert "# TYPE muralist_jobs_submitted_total counter" in body
        assert get(server.port, "/../../etc/passwd")[0] == 404
    finally:
        server.close()


def test_a_failing_dependency_is_named_without_the_drivers_message() -> None:
    def database() -> None:
        raise ConnectionRefusedError("could not connect to postgresql://muralist:hunter2@db:5432/muralist")

    def image_check() -> None:
        raise NotReady("the image check is skipped (MURALIST_UNSAFE_SKIP_IMAGE_CHECK)")

    server = serve({"database": database, "broker": lambda: None, "image_check": image_check})
    try:
        status, _, body = get(server.port, "/readyz")
        assert status == 503
        assert "hunter2" not in body
        report = json.loads(body)
        assert report["failing"] == ["database", "image_check"]
        assert report["checks"]["database"] == {"ok": False, "error": "ConnectionRefusedError"}
        assert "MURALIST_UNSAFE_SKIP_IMAGE_CHECK" in report["checks"]["image_check"]["error"]
        assert get(server.port, "/healthz")[0] == 200  # alive, just not ready
    finally:
        server.close()


def test_a_hanging_dependency_answers_503_within_its_time_limit_and_is_not_started_twice(
        released: threading.Event) -> None:
    started = []

    def broker() -> None:
        started.append(1)
        released.wait(30)

    server = serve({"database": lambda: None, "broker": broker}, timeout_s=0.5)
    try:
        for _ in range(3):
            t0 = time.monotonic()
            status, _, body = get(server.port, "/readyz")
            assert time.monotonic() - t0 < 2.0
            assert status == 503 and json.loads(body)["failing"] == ["broker"]
        assert len(started) == 1  # the hung check is waited on again, not piled up
        released.set()
        assert get(server.port, "/readyz")[0] == 200
    finally:
        server.close()
