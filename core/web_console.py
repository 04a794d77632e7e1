"""The moderation web console's side of core: one-time sign-in links, sessions, who may see which chat's cases, and
the read-side queries the pages show (the queue with its scores, a member's page, reports and appeals, the audit log,
the dashboard's numbers).

Actions are not here: the web adapter (:mod:`bots.web`) decides, bans and unbans through the facade
(:class:`core.app.Muralist`), the same methods the chat buttons call, so every action lands in the one append-only
moderation log. Sign-in tokens and session ids are random, stored only as SHA-256 hashes, and compared by hash.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from core.domain import QuotaStatus, Requester
from core.moderation import Moderation
from core.moderation.ports import Members
from core.ports import Clock
from safety.moderation import BanStatus, Event, ModerationError, StrikePolicy, active_strikes, ban_status

JOB_ID = re.compile(r"[a-z0-9]{1,16}")
CHAT_REF = re.compile(r"[a-z]{1,32}:[A-Za-z0-9_.-]{1,64}")
AUDIT_PAGE = 100


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


# --- what the pages show ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """What a sign-in link (and the session it opens) allows: the moderator's own account, and the chats whose cases
    they see (``platform:chat_id``), or all of them for an operator."""

    user_id: int
    platform: str
    external_id: str
    admin: bool
    chats: frozenset[str]

    @property
    def account(self) -> str:
        return f"{self.platform}:{self.external_id}"

    def requester(self) -> Requester:
        """The moderator as the facade's actor: the audit log records their own platform account."""
        return Requester(self.platform, self.external_id)

    def sees(self, platform: str | None, chat_id: str | None) -> bool:
        return self.admin or (platform is not None and chat_id is not None and f"{platform}:{chat_id}" in self.chats)


@dataclass(frozen=True)
class Case:
    """A picture waiting for a moderator (or the picture a report is about)."""

    job_id: str
    idx: int
    user_id: int
    member: str
    platform: str
    chat_id: str | None
    prompt: str
    negative_prompt: str
    nsfw_score: float | None
    decision: str
    created_at: datetime
    available: bool  # a file is there to show (False once blocked)
    prompt_scores: dict[str, float] = field(default_factory=dict)
    prompt_categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class Filed:
    """An open report or appeal."""

    event: Event
    member: str  # whose picture or strike it is about
    platform: str | None
    chat_id: str | None
    prompt: str | None
    picture: bool  # a file to show (a blocked picture has none)


@dataclass(frozen=True)
class JobLine:
    id: str
    status: str
    prompt: str
    platform: str
    chat_id: str | None
    created_at: datetime
    pictures: int


@dataclass(frozen=True)
class MemberPage:
    user_id: int
    name: str
    accounts: list[tuple[str, str]]
    ban: BanStatus
    strikes: list[Event]
    events: list[Event]
    appeals: list[Event]
    jobs: list[JobLine]
    quota: QuotaStatus


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    actor: str | None = None
    member: int | None = None
    before: int | None = None  # an event id: the next page


@dataclass(frozen=True)
class Dashboard:
    jobs_per_hour: list[tuple[datetime, int]]
    verdicts: dict[str, dict[str, int]]  # category -> decision -> count
    backlog: int
    decision_minutes: list[float]  # from picture to moderator decision, the last 7 days
    refusals: dict[str, int]  # prompt and picture blocks by category, failed and cancelled jobs


# --- the store this needs -----------------------------------------------------------------------------------------


class ConsoleStore(Protocol):
    """Implemented by :class:`core.storage.web_repo.SqlWebConsoleRepository`."""

    def add_login_token(self, token_sha256: str, grant: Grant, issued_by: str, *, now: datetime,
                        expires_at: datetime) -> None: ...
    def redeem_login_token(self, token_sha256: str, *, now: datetime) -> tuple[int, Grant] | None: ...
    def add_session(self, session_sha256: str, token_id: int, grant: Grant, *, now: datetime,
                    expires_at: datetime) -> None: ...
    def session(self, session_sha256: str, *, now: datetime) -> Grant | None: ...
    def end_session(self, session_sha256: str, *, now: datetime) -> None: ...
    def member_name(self, user_id: int) -> str: ...
    def awaiting_review(self, grant: Grant, limit: int) -> list[Case]: ...
    def case(self, job_id: str, idx: int) -> Case | None: ...
    def job_chat(self, job_id: str) -> tuple[str, str | None] | None: ...
    def jobs_of(self, user_id: int, grant: Grant, limit: int) -> list[JobLine]: ...
    def member_in_scope(self, user_id: int, grant: Grant) -> bool: ...
    def audit(self, grant: Grant, filters: AuditFilter, limit: int) -> list[Event]: ...
    def dashboard(self, grant: Grant, *, now: datetime) -> Dashboard: ...
    def picture_file(self, job_id: str, idx: int) -> str | None: ...


class ModerationConsole:
    def __init__(self, store: ConsoleStore, moderation: Moderation, members: Members, clock: Clock,
                 policy: StrikePolicy, picture_roots: tuple[Path, ...], link_minutes: int = 10,
                 session_hours: int = 12, base_url: str = "http://127.0.0.1:8080") -> None:
        self._store = store
        self._mod = moderation
        self._members = members
        self.clock = clock
        self._policy = policy
        self._roots = tuple(root.resolve() for root in picture_roots)
        self.link_minutes = link_minutes
        self.session_hours = session_hours
        self.base_url = base_url.rstrip("/")

    # --- sign-in --------------------------------------------------------------------------------------------------

    def issue_link(self, member: str, *, admin: bool, chats: list[str], issued_by: str) -> str:
        """A one-time sign-in token for ``member`` (platform:id): the caller builds the link around it."""
        if admin == bool(chats):
            raise ModerationError("Say what they moderate: --chat platform:chat_id (repeatable) or --admin.")
        bad = [c for c in chats if not CHAT_REF.fullmatch(c)]
        if bad:
            raise ModerationError(f"{bad[0][:40]!r} is not a chat: use platform:chat_id, e.g. telegram:-100123.")
        platform, _, external = member.strip().partition(":")
        if not (platform and external and CHAT_REF.fullmatch(f"{platform.lower()}:{external}")):
            raise ModerationError(f"No member {member[:40]!r}: use platform:id, e.g. discord:1234.")
        who = Requester(platform.lower(), external)
        user_id = self._members.ensure_user(who)
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        grant = Grant(user_id, who.platform, who.user_id, admin, frozenset(chats))
        self._store.add_login_token(token_hash(token), grant, issued_by, now=now,
                                    expires_at=now + timedelta(minutes=self.link_minutes))
        return token

    def link_url(self, token: str) -> str:
        return f"{self.base_url}/login/{token}"

    def sign_in(self, token: str) -> tuple[str, Grant] | None:
        """Use a link once: a new session id (for the signed cookie) and what it allows; None when the token is
        unknown, used or expired (the same answer for all three)."""
        if not 20 <= len(token) <= 100:
            return None
        now = self.clock.now()
        found = self._store.redeem_login_token(token_hash(token), now=now)
        if found is None:
            return None
        token_id, grant = found
        session_id = secrets.token_urlsafe(32)
        self._store.add_session(token_hash(session_id), token_id, grant, now=now,
                                expires_at=now + timedelta(hours=self.session_hours))
        return session_id, grant

    def session(self, session_id: str | None) -> Grant | None:
        if not session_id or len(session_id) > 100:
            return None
        return self._store.session(token_hash(session_id), now=self.clock.now())

    def sign_out(self, session_id: str) -> None:
        self._store.end_session(token_hash(session_id), now=self.clock.now())

    # --- reading --------------------------------------------------------------------------------------------------

    def queue(self, grant: Grant, limit: int = 100) -> list[Case]:
        return self._store.awaiting_review(grant, limit)

    def case(self, grant: Grant, job_id: str, idx: int) -> Case | None:
        """A picture the moderator may see (None: no such picture, or not in their chats: the same answer)."""
        if not JOB_ID.fullmatch(job_id) or not 0 <= idx < 100:
            return None
        case = self._store.case(job_id, idx)
        return case if case is not None and grant.sees(case.platform, case.chat_id) else None

    def may_act_on_job(self, grant: Grant, job_id: str) -> bool:
        chat = self._store.job_chat(job_id) if JOB_ID.fullmatch(job_id) else None
        return chat is not None and grant.sees(*chat)

    def picture(self, grant: Grant, job_id: str, idx: int) -> Path | None:
        """The file of a picture — kept or quarantined — for a moderator of its chat. The path comes from the
        database, never from the URL, and must lie under the data dir's pictures or quarantine."""
        if self.case(grant, job_id, idx) is None:
            return None
        stored = self._store.picture_file(job_id, idx)
        if stored is None:
            return None
        path = Path(stored).resolve()
        if not path.is_file() or not any(path.is_relative_to(root) for root in self._roots):
            return None
        return path

    def filed(self, grant: Grant) -> list[Filed]:
        """Open reports and appeals the moderator may see, oldest first (a strike's appeal: operators only)."""
        out = []
        for item in self._mod.review.waiting(limit=10_000):
            if item.kind == "picture":
                continue
            event = self._mod.records.event(int(item.ref))
            if event is None:
                continue
            chat = self._store.job_chat(event.target_job_id) if event.target_job_id else None
            if not grant.sees(*(chat or (None, None))):
                continue
            case = self._store.case(event.target_job_id, event.target_image_idx or 0) \
                if event.target_job_id else None
            member = self._store.member_name(event.target_user_id) if event.target_user_id else "?"
            out.append(Filed(event, member, chat[0] if chat else None, chat[1] if chat else None,
                             case.prompt if case else None, case is not None and case.available))
        return out

    def member(self, grant: Grant, user_id: int) -> MemberPage | None:
        """A member's page, for an operator or a moderator of a chat the member made pictures in."""
        if not 0 < user_id < 2**62 or not self._mod.records.user_exists(user_id):
            return None
        if not grant.admin and not self._store.member_in_scope(user_id, grant):
            return None
        now = self.clock.now()
        events = self._mod.sanctions.history(user_id)
        rules, _ = self._mod.tiers.quota_rules(user_id)
        return MemberPage(
            user_id=user_id, name=self._store.member_name(user_id), accounts=self._mod.identity.accounts_of(user_id),
            ban=ban_status(events, now), strikes=active_strikes(events, now, self._policy), events=events,
            appeals=[e for e in self._mod.records.all_events(("appeal",)) if e.actor_user_id == user_id],
            jobs=self._store.jobs_of(user_id, grant, 30),
            quota=self._members.quota_status(user_id, rules=rules, now=now))

    def audit(self, grant: Grant, filters: AuditFilter) -> list[Event]:
        return self._store.audit(grant, filters, AUDIT_PAGE)

    def dashboard(self, grant: Grant) -> Dashboard:
        return self._store.dashboard(grant, now=self.clock.now())
