"""Serving the console with uvicorn: the composition (facade + console + cookie key) and an access log that never
writes a sign-in token."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bots.web.app import create_app
from bots.web.security import cookie_secret
from core.config import Settings

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


def build_asgi(settings: Settings) -> tuple[ASGIApp, object]:
    """The application on the configured database, and the runtime to close when it stops."""
    from core.runtime import build_web

    runtime, console = build_web(settings)
    secret = cookie_secret(settings.web_secret.get_secret_value() if settings.web_secret else None,
                           settings.data_dir)
    app = create_app(runtime.app, console, secret, https_only=settings.web_https_only,
                     session_hours=settings.web_session_hours)
    return AccessLog(app), runtime


def serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    app, runtime = build_asgi(settings)
    try:
        # uvicorn's own access log would print the sign-in link's token; AccessLog above writes it without.
        uvicorn.run(app, host=host, port=port, access_log=False, log_config=None, server_header=False)
    finally:
        runtime.close()  # type: ignore[attr-defined]
