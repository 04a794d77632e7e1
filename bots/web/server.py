"""Serving the console with uvicorn: the composition (facade + console + cookie key) and an access log that never
writes a sign-in token."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bots.web.app import create_app
from bots.web.security import cookie_secret
from core.config import Settings
from core.health import Answer, metrics_answer

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger("muralist.web.access")


class AccessLog:
    """One line per request: method, path (a sign-in link's token replaced), status, milliseconds."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.monotonic(), [0]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            path = "/login/…" if scope["path"].startswith("/login/") else scope["path"][:200]
            log.info("%s %s %s %.0f ms", scope["method"], path, status[0], (time.monotonic() - start) * 1000)


def probe_routes(runtime: Runtime) -> list[Route | Mount]:
    """/metrics, /healthz and /readyz beside the console's pages, answered as every other process answers them
    (``core/health.py``); the checks block for up to 2 s, so they run off the event loop."""
    from core.runtime import readiness

    checks = readiness(runtime)

    def endpoint(answer: Callable[[], Answer]) -> Callable[[Request], Awaitable[Response]]:
        async def probe(request: Request) -> Response:
            status, content_type, body = await run_in_threadpool(answer)
            return Response(body, status_code=status, media_type=content_type, headers={"Cache-Control": "no-store"})
        return probe

    return [Route("/metrics", endpoint(metrics_answer)), Route("/healthz", endpoint(checks.live)),
            Route("/readyz", endpoint(checks.ready))]


def build_asgi(settings: Settings) -> tuple[ASGIApp, object]:
    """The application on the configured database, and the runtime to close when it stops."""
    from core.runtime import build_web

    runtime, console = build_web(settings)
    secret = cookie_secret(settings.web_secret.get_secret_value() if settings.web_secret else None,
                           settings.data_dir)
    app = create_app(runtime.app, console, secret, https_only=settings.web_https_only,
                     session_hours=settings.web_session_hours, extra_routes=probe_routes(runtime))
    return AccessLog(app), runtime


def serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    app, runtime = build_asgi(settings)
    try:
        # uvicorn's own access log would print the sign-in link's token; AccessLog above writes it without.
        uvicorn.run(app, host=host, port=port, access_log=False, log_config=None, server_header=False)
    finally:
        runtime.close()  # type: ignore[attr-defined]
