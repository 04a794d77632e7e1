"""`muralist web`: the moderation console, a Starlette application with Jinja2 pages and htmx for in-place actions.

An adapter like the chat bots: it reads through :class:`core.web_console.ModerationConsole` and acts through the
facade :class:`core.app.Muralist` (decide_picture, ban_author, ban, unban, decide_appeal) as the signed-in
moderator's own platform account, so every click lands in the same append-only moderation log as a chat button.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bots.web.charts import CHARTS, draw
from bots.web.i18n import kbd, preferred_language, translator
from bots.web.security import SESSION_KEY, csrf_ok, csrf_token
from core.app import Muralist
from core.catalogue import render, text
from core.delivery import ModeratorOutcome
from core.domain import Rejected, Reply
from core.web_console import AuditFilter, Grant, ModerationConsole

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
BAN_DURATIONS = ("1d", "7d", "30d", "permanent")  # each button labelled by its catalogue code web_ban_<duration>
_HEADERS = {
    # Scripts and styles come from this server only; nothing frames the console; a sign-in link never leaks in a
    # Referer.
    "Content-Security-Policy": "default-src 'self'; img-src 'self'; script-src 'self'; style-src 'self'; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}

Handler = Callable[[Request], Awaitable[Response]]


class WebConsole:
    """The routes, bound to the facade, the console and the cookie secret."""

    def __init__(self, app: Muralist, console: ModerationConsole, secret: str) -> None:
        self.app = app
        self.console = console
        self.secret = secret
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))

    # --- plumbing -------------------------------------------------------------------------------------------------

    def _lang(self, request: Request) -> str:
        return preferred_language(request.headers.get("accept-language"))

    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        sid = request.session.get(SESSION_KEY)
        context.setdefault("grant", None)
        context["csrf"] = csrf_token(self.secret, sid) if sid else ""
        context["durations"] = BAN_DURATIONS
        lang = self._lang(request)
        context.update(lang=lang, t=translator(lang), kbd=kbd)
        response = self.templates.TemplateResponse(request, name, context, status_code=status)
        response.headers.update(_HEADERS)
        return response

    def message(self, request: Request, code: str, status: int, **values: Any) -> Response:
        return self.page(request, "message.html", status, text=text(code, self._lang(request), **values),
                         grant=getattr(request.state, "grant", None))

    async def grant(self, request: Request) -> Grant | None:
        sid = request.session.get(SESSION_KEY)
        found = await run_in_threadpool(self.console.session, sid if isinstance(sid, str) else None)
        request.state.grant = found
        return found

    def signed_in(self, handler: Callable[[Request, Grant], Awaitable[Response]]) -> Handler:
        async def wrapped(request: Request) -> Response:
            grant = await self.grant(request)
            if grant is None:
                return self.message(request, "web_sign_in_needed", 401)
            return await handler(request, grant)
        return wrapped

    def posting(self, handler: Callable[[Request, Grant, dict[str, str]], Awaitable[Response]]) -> Handler:
        """A signed-in POST with a valid CSRF token (form field or htmx header); anything else changes nothing."""
        async def wrapped(request: Request) -> Response:
            grant = await self.grant(request)
            if grant is None:
                return self.message(request, "web_sign_in_needed", 401)
            form = await request.form(max_files=0, max_fields=20, max_part_size=4096)
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            sent = fields.get("csrf") or request.headers.get("x-csrf-token")
            if not csrf_ok(self.secret, request.session.get(SESSION_KEY), sent):
                log.warning("web: refused a form without a valid CSRF token from %s", grant.account)
                return self.message(request, "web_csrf", 403)
            return await handler(request, grant, fields)
        return wrapped

    def outcome(self, request: Request, reply: Reply, back: str) -> Response:
        """An action's one sentence: in place for htmx, else back to the page it came from."""
        sentence = render(reply, self._lang(request))
        status = 400 if isinstance(reply, Rejected) else 200
        if request.headers.get("hx-request"):
            return self.page(request, "_outcome.html", status, text=sentence, refused=status != 200)
        if status != 200:
            return self.page(request, "message.html", status, text=sentence, grant=request.state.grant)
        return RedirectResponse(back, status_code=303)

    def refuse(self, request: Request, grant: Grant, what: str) -> Response:
        """Not a moderator of that chat: audited like a chat button pressed by a non-moderator."""
        self.app.refuse_non_moderator(grant.requester(), f"web {what}")
        return self.message(request, "web_not_your_chat", 403)

    # --- sign-in --------------------------------------------------------------------------------------------------

    async def login_page(self, request: Request) -> Response:
        # A GET never uses the link (chat apps fetch links to preview them): the button posts it.
        return self.page(request, "login.html", token=request.path_params["token"])

    async def login(self, request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=5, max_part_size=1024)
        token = form.get("token")
        found = await run_in_threadpool(self.console.sign_in, token if isinstance(token, str) else "")
        if found is None:
            return self.message(request, "web_link_invalid", 400)
        session_id, grant = found
        request.session.clear()
        request.session[SESSION_KEY] = session_id
        log.info("web: %s signed in (%s)", grant.account, "operator" if grant.admin else ", ".join(sorted(grant.chats)))
        return RedirectResponse("/", status_code=303)

    async def logout(self, request: Request, grant: Grant, _: dict[str, str]) -> Response:
        await run_in_threadpool(self.console.sign_out, str(request.session.get(SESSION_KEY, "")))
        request.session.clear()
        return self.message(request, "web_signed_out", 200)

    # --- pages ----------------------------------------------------------------------------------------------------

    async def queue(self, request: Request, grant: Grant) -> Response:
        cases = await run_in_threadpool(self.console.queue, grant)
        return self.page(request, "queue.html", grant=grant, cases=cases, tab="queue")

    async def picture(self, request: Request, grant: Grant) -> Response:
        path = await run_in_threadpool(self.console.picture, grant, request.path_params["job_id"],
                                       request.path_params["idx"])
        if path is None:
            return Response(status_code=404, headers=_HEADERS)
        return FileResponse(path, media_type="image/png", headers=_HEADERS)

    async def member(self, request: Request, grant: Grant) -> Response:
        page = await run_in_threadpool(self.console.member, grant, request.path_params["user_id"])
        if page is None:
            return self.message(request, "web_gone", 404)
        return self.page(request, "member.html", grant=grant, m=page, tab="queue")

    async def filed(self, request: Request, grant: Grant) -> Response:
        items = await run_in_threadpool(self.console.filed, grant)
        return self.page(request, "filed.html", grant=grant, items=items, tab="filed")

    async def audit(self, request: Request, grant: Grant) -> Response:
        q = request.query_params
        member, before = q.get("member", ""), q.get("before", "")
        filters = AuditFilter(action=q.get("action", "")[:32] or None, actor=q.get("actor", "")[:100] or None,
                              member=int(member) if member.isdigit() and len(member) < 12 else None,
                              before=int(before) if before.isdigit() and len(before) < 12 else None)
        events = await run_in_threadpool(self.console.audit, grant, filters)
        return self.page(request, "audit.html", grant=grant, events=events, filters=filters, tab="audit")

    async def dashboard(self, request: Request, grant: Grant) -> Response:
        return self.page(request, "dashboard.html", grant=grant, charts=CHARTS, tab="dashboard")

    async def chart(self, request: Request, grant: Grant) -> Response:
        name = request.path_params["name"]
        if name not in CHARTS:
            return Response(status_code=404, headers=_HEADERS)
        data = await run_in_threadpool(self.console.dashboard, grant)
        svg = await run_in_threadpool(draw, name, data, self._lang(request))
        return Response(svg, media_type="image/svg+xml", headers=_HEADERS)

    # --- actions --------------------------------------------------------------------------------------------------

    async def decide(self, request: Request, grant: Grant, fields: dict[str, str]) -> Response:
        job_id, idx, action = (request.path_params[k] for k in ("job_id", "idx", "action"))
        if not await run_in_threadpool(self.console.may_act_on_job, grant, job_id):
            return self.refuse(request, grant, f"{action} {job_id}:{idx + 1}")
        who = grant.requester()
        if action in ("approve", "remove"):
            result = await run_in_threadpool(self.app.decide_picture, who, job_id, idx, action)
        else:  # ban: the author is banned and the picture removed (two entries in the log), as the chat button does
            duration = fields.get("duration", "")
            reason = fields.get("reason", "").strip()[:500] or text("web_ban_reason_default", self._lang(request))
            result = await run_in_threadpool(self.app.ban_author, who, job_id, idx, duration, reason)
        reply = result.reply if isinstance(result, ModeratorOutcome) else result
        return self.outcome(request, reply, fields.get("back", "/") if fields.get("back") == "/filed" else "/")

    async def appeal(self, request: Request, grant: Grant, fields: dict[str, str]) -> Response:
        appeal_id, action = request.path_params["appeal_id"], request.path_params["action"]
        items = await run_in_threadpool(self.console.filed, grant)
        if not any(i.event.id == appeal_id and i.event.action == "appeal" for i in items):
            return self.refuse(request, grant, f"{action} appeal #{appeal_id}")
        reply = await run_in_threadpool(self.app.decide_appeal, grant.requester(), appeal_id, action)
        return self.outcome(request, reply, "/filed")

    async def member_action(self, request: Request, grant: Grant, fields: dict[str, str]) -> Response:
        user_id, action = request.path_params["user_id"], request.path_params["action"]
        if await run_in_threadpool(self.console.member, grant, user_id) is None:
            return self.refuse(request, grant, f"{action} #{user_id}")
        who = grant.requester()
        if action == "unban":
            reply = await run_in_threadpool(self.app.unban, who, f"#{user_id}")
        else:
            reply = await run_in_threadpool(self.app.ban, who, f"#{user_id}", fields.get("duration", ""),
                                            fields.get("reason", "")[:500])
        return self.outcome(request, reply, f"/members/{user_id}")

    # --- the application ------------------------------------------------------------------------------------------

    def routes(self) -> list[Route | Mount]:
        return [
            Route("/", self.signed_in(self.queue)),
            Route("/login/{token}", self.login_page),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", self.posting(self.logout), methods=["POST"]),
            Route("/pictures/{job_id}/{idx:int}.png", self.signed_in(self.picture)),
            Route("/members/{user_id:int}", self.signed_in(self.member)),
            Route("/filed", self.signed_in(self.filed)),
            Route("/audit", self.signed_in(self.audit)),
            Route("/dashboard", self.signed_in(self.dashboard)),
            Route("/charts/{name}.svg", self.signed_in(self.chart)),
            Route("/cases/{job_id}/{idx:int}/{action:str}", self.posting(self._case_action), methods=["POST"]),
            Route("/appeals/{appeal_id:int}/{action}", self.posting(self._appeal_action), methods=["POST"]),
            Route("/members/{user_id:int}/{action}", self.posting(self._member_action), methods=["POST"]),
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ]

    async def _case_action(self, request: Request, grant: Grant, fields: dict[str, str]) -> Response:
        if request.path_params["action"] not in ("approve", "remove", "ban"):
            return self.message(request, "web_gone", 404)
        return await self.decide(request, grant, fields)

    async def _appeal_action(self, request: Request, grant: Grant, fields: dict[str, str]) -> Response:
        if request.path_params["action"] not in ("uphold", "deny"):
            return self.message(request, "web_gone", 404)
        return await self.appeal(request, grant, fields)

    async def _member_action(self, request: Request, grant: Grant, fields: dict[str, str]) -> Response:
        if request.path_params["action"] not in ("ban", "unban"):
            return self.message(request, "web_gone", 404)
        return await self.member_action(request, grant, fields)


class BodyLimit:
    """Forms here are a few hundred bytes: a POST must say its length and stay under ``limit`` (a client that sends
    more than it said is cut off), so nobody makes the console read megabytes into memory."""

    def __init__(self, app: ASGIApp, limit: int = 16 * 1024) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length", b"")
        if not length.isdigit() or int(length) > self.limit:
            lang = preferred_language(dict(scope["headers"]).get(b"accept-language", b"").decode("latin-1"))
            await Response(text("web_form_too_large", lang), status_code=413)(scope, receive, send)
            return
        seen = 0

        async def bounded() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > int(length):
                raise ValueError("the body is longer than its Content-Length")
            return message

        await self.app(scope, bounded, send)


def create_app(app: Muralist, console: ModerationConsole, secret: str, *, https_only: bool = False,
               session_hours: int = 12, extra_routes: list[Route | Mount] | None = None) -> Starlette:
    """The ASGI application. ``extra_routes``: the hook for /metrics, /healthz and /readyz."""
    web = WebConsole(app, console, secret)
    cookie = Middleware(SessionMiddleware, secret_key=secret, session_cookie="muralist_console",
                        max_age=session_hours * 3600, same_site="strict", https_only=https_only)
    return Starlette(routes=[*(extra_routes or []), *web.routes()], middleware=[Middleware(BodyLimit), cookie])
