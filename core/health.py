"""/metrics, /healthz and /readyz for every process, as plain functions, a WSGI app and a tiny threaded server.

- ``/healthz``: the process answers (its HTTP thread runs): 200, always.
- ``/readyz``: every dependency this process needs answers — the database, the broker and, where this process
  makes pictures, the loaded image check. Each check runs in its own thread and counts as failed after
  ``timeout_s`` (2 s); a check still hanging from an earlier request is not started twice. 200 or 503, with a JSON
  body naming each dependency and, for a failing one, the kind of error (never its message: a database error can
  quote the URL, password included).
- ``/metrics``: Prometheus's text format (``core/metrics.py``).

The web console (a FastAPI app) mounts the same three answers: :func:`metrics_answer`, :func:`Readiness.live` and
:meth:`Readiness.ready` return (status, content type, body) for any framework, and :func:`wsgi_app` is the whole
thing as WSGI.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from core import metrics

log = logging.getLogger(__name__)

Check = Callable[[], None]  # returns when the dependency is fine; raises when it is not
Answer = tuple[int, str, bytes]  # (HTTP status, content type, body)
_JSON = "application/json"
CHECK_TIMEOUT_S = 2.0


class NotReady(Exception):
    """A check's own sentence for a failing dependency (safe to show: written by us, not by a driver)."""


class _Pending:
    """One check in flight: its thread and what it found."""

    def __init__(self, check: Check) -> None:
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(check,), name="muralist-readyz", daemon=True)
        self.thread.start()

    def _run(self, check: Check) -> None:
        try:
            check()
        except BaseException as exc:  # anything a driver raises means "not ready"
            self.error = exc
        finally:
            self.done.set()


class Readiness:
    def __init__(self, checks: Mapping[str, Check], timeout_s: float = CHECK_TIMEOUT_S) -> None:
        self.checks = dict(checks)
        self.timeout_s = timeout_s
        self._in_flight: dict[str, _Pending] = {}
        self._lock = threading.Lock()

    def live(self) -> Answer:
        return 200, _JSON, b'{"status": "alive"}'

    def ready(self) -> Answer:
        started = time.monotonic()
        with self._lock:
            pending = {}
            for name, check in self.checks.items():
                previous = self._in_flight.get(name)
                # A check that hung past its time is still running: wait on it again rather than pile up threads.
                pending[name] = previous if previous is not None and not previous.done.is_set() else _Pending(check)
                self._in_flight[name] = pending[name]
        report: dict[str, dict[str, Any]] = {}
        for name, run in pending.items():
            finished = run.done.wait(max(0.0, self.timeout_s - (time.monotonic() - started)))
            if not finished:
                report[name] = {"ok": False, "error": f"no answer within {self.timeout_s:g} s"}
            elif run.error is not None:
                report[name] = {"ok": False, "error": _describe(run.error)}
            else:
                report[name] = {"ok": True}
        failing = [name for name, result in report.items() if not result["ok"]]
        if failing:
            log.warning("not ready: %s", ", ".join(f"{n} ({report[n]['error']})" for n in failing))
        body = {"status": "unready" if failing else "ready", "failing": failing, "checks": report}
        return (503 if failing else 200), _JSON, json.dumps(body).encode()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, NotReady):
        return str(exc)
    return type(exc).__name__  # a driver's message may quote a URL with its password


def metrics_answer() -> Answer:
    body, content_type = metrics.exposition()
    return 200, content_type, body


# --- the checks each process wires (core/runtime.py) ------------------------------------------------------------


def database_check(engine: Any) -> Check:
    """One ``SELECT 1`` through the process's own pool (a dead pooled connection is replaced by pre-ping)."""
    from sqlalchemy import text

    def check() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    return check


def broker_check(app: Any) -> Check:
    """A fresh connection to the Celery broker (the in-memory transport always answers)."""

    def check() -> None:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=CHECK_TIMEOUT_S)

    return check


def image_check_loaded(get_checker: Callable[[], Any]) -> Check:
    """The NSFW classifier is loaded in this process; the development override (no classifier) is not ready."""

    def check() -> None:
        from safety.image_check import ImageChecker

        checker = get_checker()
        if checker is None:
            raise NotReady("no image check loaded")
        if not isinstance(checker, ImageChecker):
            raise NotReady("the image check is skipped (MURALIST_UNSAFE_SKIP_IMAGE_CHECK)")

    return check


# --- WSGI and the server ----------------------------------------------------------------------------------------

_REASONS = {200: "200 OK", 404: "404 Not Found", 405: "405 Method Not Allowed", 503: "503 Service Unavailable"}


def wsgi_app(readiness: Readiness) -> Callable[..., Iterable[bytes]]:
    routes: dict[str, Callable[[], Answer]] = {"/metrics": metrics_answer, "/healthz": readiness.live,
                                               "/readyz": readiness.ready}

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        route = routes.get(environ.get("PATH_INFO", ""))
        if route is None:
            status, content_type, body = 404, "text/plain", b"not found\n"
        elif environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            status, content_type, body = 405, "text/plain", b"GET only\n"
        else:
            status, content_type, body = route()
        start_response(_REASONS[status], [("Content-Type", content_type), ("Content-Length", str(len(body))),
                                          ("Cache-Control", "no-store")])
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else body]

    return app


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a scrape in progress never holds the process's exit up


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Scrapes every few seconds would drown the log."""


class HealthServer:
    """The small HTTP port of one process (``MURALIST_METRICS_PORT``), served from a daemon thread."""

    def __init__(self, readiness: Readiness, port: int, host: str = "0.0.0.0") -> None:  # noqa: S104 - probes
        self._server = make_server(host, port, wsgi_app(readiness), _ThreadingServer, _QuietHandler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="muralist-metrics", daemon=True)
        self._thread.start()
        log.info("metrics and health on port %d (/metrics, /healthz, /readyz)", self.port)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
