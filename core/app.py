"""The application facade: the one object every front door (console, Discord, Telegram) talks to.

An adapter turns a platform update into a call here with a :class:`Requester` and gets a typed outcome back
(:class:`Accepted`, :class:`Rejected` or :class:`Notice`: a code and its values), which it renders through
:mod:`core.catalogue` in the member's language. It never sees a repository, a session, the clock or a server path.
Calls are blocking (database work): async adapters run them with ``asyncio.to_thread``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from core.chat_settings import MOD_CHANNEL, NSFW_ALLOWED, ChatSettings
from core.delivery import DeliveryTemplate, JobWaiter
from core.domain import (
    GenerationParams,
    GenerationRequest,
    Job,
    Notice,
    Outcome,
    Rejected,
    Reply,
    Requester,
)
from core.moderation import Moderation
from core.retrying import is_outage
from core.service import GenerationService
from core.styles import load_styles
from safety.image_input import BadImage
from safety.moderation import Event, ModerationError

log = logging.getLogger(__name__)
CHAT_SETTINGS = (MOD_CHANNEL, NSFW_ALLOWED)


@dataclass(frozen=True)
class ModelInfo:
    name: str
    default_size: int
    default_steps: int
    licence_id: str
    served: bool


def _refused(exc: ModerationError) -> Rejected:
    return Rejected("moderation", {"detail": str(exc)})


P = ParamSpec("P")
R = TypeVar("R")


def _busy_when_storage_is_down(method: Callable[P, R]) -> Callable[P, R | Rejected]:
    """The database is unreachable: the member hears "busy, try again" and nothing is charged (a submit writes its
    job and quota in one transaction, so an outage leaves either both or neither)."""
    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Rejected:
        try:
            return method(*args, **kwargs)
        except Exception as exc:
            if not is_outage(exc):
                raise
            log.warning("database unreachable during %s", method.__name__, exc_info=True)
            return Rejected("busy")
    return wrapper


class Muralist:
    def __init__(self, service: GenerationService, moderation: Moderation, chat_settings: ChatSettings,
                 waiter: JobWaiter) -> None:
        self._service = service
        self._moderation = moderation
        self._chat_settings = chat_settings
        self._waiter = waiter

    # --- licence --------------------------------------------------------------------------------------------------

    def licence_text(self) -> str:
        return self._service.licence_text()

    @_busy_when_storage_is_down
    def accept_licence(self, who: Requester) -> Notice:
        return self._service.accept_licence(who)

    # --- pictures -------------------------------------------------------------------------------------------------

    @_busy_when_storage_is_down
    def imagine(self, who: Requester, params: GenerationParams, model: str | None = None) -> Outcome:
        return self._service.submit(GenerationRequest(who, params, model, self._nsfw(who), who.tiers))

    def upload(self, data: bytes) -> str | Rejected:
        """Keep a picture a member sent; the upload id goes into ``GenerationParams.image``."""
        try:
            return self._service.store_upload(data)
        except BadImage as exc:
            return Rejected("input", {"detail": str(exc)})

    @_busy_when_storage_is_down
    def act_on_result(self, who: Requester, action: str, job_id: str, idx: int | None = None) -> Reply:
        """The one dispatcher for the buttons under a result: every adapter gets the same rules — the presser's
        tiers and the chat's NSFW setting, charged to the presser."""
        picture = f"{job_id}:{(idx or 0) + 1}"
        if action == "reroll":
            return self.reroll(who, job_id)
        if action == "variations":
            return self.variations(who, picture)
        if action == "upscale":
            return self.upscale(who, picture)
        if action == "report":
            return self.report(who, job_id, idx or 0)
        return Rejected("gone")

    @_busy_when_storage_is_down
    def reroll(self, who: Requester, job_id: str) -> Outcome:
        """Same prompt and settings, a new seed, through every gate again."""
        return self._service.reroll(job_id, who, nsfw_allowed=self._nsfw(who), tiers=who.tiers)

    @_busy_when_storage_is_down
    def variations(self, who: Requester, picture: str, *, strength: float = 0.6, count: int = 2) -> Outcome:
        """New pictures near one picture (``JOB[:N]``, an upload id, or a file for the local operator)."""
        return self.imagine(who, GenerationParams("", image=picture, strength=strength, count=count))

    @_busy_when_storage_is_down
    def upscale(self, who: Requester, picture: str, factor: int = 2) -> Outcome:
        return self.imagine(who, GenerationParams("", image=picture, upscale=factor))

    @_busy_when_storage_is_down
    def cancel(self, who: Requester, job_id: str) -> Reply:
        return self._service.cancel(job_id, who)

    @_busy_when_storage_is_down
    def quota(self, who: Requester) -> Notice:
        return self._service.describe_quota(who, who.tiers)

    def history(self, who: Requester, limit: int = 10) -> list[Job]:
        return self._service.history(who, limit)

    def queue_places(self, job_ids: list[str]) -> dict[str, int | None]:
        """Where each unfinished job stands: jobs ahead of it in its queue, or None while it is generating; finished
        jobs are left out. For progress messages: not tied to who asks, because job ids are only known to the chat
        that holds them and a position says nothing about anyone's job."""
        return self._service.queue_places(job_ids)

    def wait(self, job_id: str, timeout: float, on_progress: Callable[[int, int], None] | None = None,
             on_place: Callable[[int | None], None] | None = None) -> Job | None:
        """Block until the job is finished (or ``timeout`` seconds pass: None) — the console's way to follow: its
        steps, and its place in the queue while it waits (jobs ahead; None once generating)."""
        return self._waiter.wait(job_id, timeout, on_progress, on_place)

    def styles(self) -> list[tuple[str, str]]:
        return [(s.name, s.description) for s in load_styles().values()]

    def models(self) -> list[ModelInfo]:
        served = self._service.served
        return [ModelInfo(s.name, s.default_size, s.default_steps, s.licence_id, served is None or served(s.name))
                for s in self._service.models.values()]

    def deliveries(self, platform: str, claimed_by: str) -> DeliveryTemplate:
        return DeliveryTemplate(self._service.repo, self._moderation.records, self._chat_settings, self._service.clock,
                                platform, claimed_by)

    # --- members: reports, appeals, linked accounts ---------------------------------------------------------------

    @_busy_when_storage_is_down
    def report(self, who: Requester, job_id: str, idx: int, reason: str = "") -> Reply:
        if not 0 <= idx < 100:
            return Rejected("moderation", {"detail": f"There is no delivered picture {idx + 1} in job {job_id[:20]}."})
        return self._moderated(lambda m: m.reports.report(self._user(who), job_id, idx, reason))

    @_busy_when_storage_is_down
    def appeal(self, who: Requester, target: str, reason: str = "") -> Reply:
        if any(part.lstrip("#").isdigit() and len(part.lstrip("#")) > 12 for part in target.split()):
            # No strike or picture number is that long; the database would only overflow on it.
            return Rejected("moderation", {"detail": "Appeal a blocked picture with /appeal JOB [N], or a strike "
                                                     "with /appeal strike ID."})
        user_id = self._service.repo.find_user(who.platform, who.user_id)
        if user_id is None:
            return Rejected("moderation", {"detail": "There is nothing of yours to appeal yet."})
        return self._moderated(lambda m: m.reports.appeal(user_id, target, reason))

    @_busy_when_storage_is_down
    def link(self, who: Requester, code: str | None = None) -> Reply:
        return self._moderated(lambda m: m.identity.redeem_link(who, code) if code else m.identity.link_code(who))

    @_busy_when_storage_is_down
    def unlink(self, who: Requester) -> Reply:
        return self._moderated(lambda m: m.identity.unlink(who))

    # --- moderators (the adapter has checked the platform's permission) -------------------------------------------

    def refuse_non_moderator(self, who: Requester, what: str) -> Rejected:
        """Audit an attempt by someone who is not a moderator, and say so."""
        log.warning("non-moderator %s:%s tried %s", who.platform, who.user_id, what)
        self._moderation.sanctions.record_denied(f"{who.platform}:{who.user_id}", what)
        return Rejected("moderators_only")

    @_busy_when_storage_is_down
    def ban(self, actor: Requester, target: Requester | str, duration: str, reason: str) -> Reply:
        return self._as_moderator(actor, lambda m, me, name: m.sanctions.ban(self._target(target), name, duration,
                                                                             reason, me))

    @_busy_when_storage_is_down
    def unban(self, actor: Requester, target: Requester | str) -> Reply:
        return self._as_moderator(actor, lambda m, me, name: m.sanctions.unban(self._target(target), name, "", me))

    @_busy_when_storage_is_down
    def ban_author(self, actor: Requester, job_id: str, idx: int, duration: str, reason: str) -> Reply:
        """Ban whoever made a picture (a moderator's button under a reviewed picture)."""
        image = self._moderation.review.picture(job_id, idx)
        if image is None:
            return Rejected("gone")
        return self._as_moderator(actor, lambda m, me, name: m.sanctions.ban(image.user_id, name, duration, reason,
                                                                             me))

    @_busy_when_storage_is_down
    def decide_picture(self, actor: Requester, job_id: str, idx: int, decision: str) -> Reply:
        return self._as_moderator(actor, lambda m, me, name: m.review.decide(f"img:{job_id}:{idx + 1}", decision,
                                                                             name, me))

    def member_history(self, target: Requester | str) -> list[Event] | Rejected:
        try:
            return self._moderation.sanctions.history(self._target(target))
        except ModerationError as exc:
            return _refused(exc)

    def set_chat_setting(self, actor: Requester, scope: str, key: str, value: str) -> None:
        if key not in CHAT_SETTINGS:
            raise ValueError(f"unknown chat setting {key!r}")
        self._chat_settings.set(actor.platform, scope, key, value, f"{actor.platform}:{actor.user_id}")

    # --- helpers --------------------------------------------------------------------------------------------------

    def _nsfw(self, who: Requester) -> bool:
        """An NSFW context: the platform marks the channel, or the chat's admins switched it on (/nsfw on)."""
        if who.nsfw_chat:
            return True
        return who.chat_id is not None and self._chat_settings.get(who.platform, who.chat_id, NSFW_ALLOWED) == "on"

    def _user(self, who: Requester) -> int:
        return self._service.repo.ensure_user(who)

    def _target(self, target: Requester | str) -> int:
        return self._user(target) if isinstance(target, Requester) else self._moderation.identity.resolve_user(target)

    def _moderated(self, action: Callable[[Moderation], str]) -> Reply:
        try:
            return Notice("moderation", {"detail": action(self._moderation)})
        except ModerationError as exc:
            return _refused(exc)

    def _as_moderator(self, actor: Requester, action: Callable[[Moderation, int, str], str]) -> Reply:
        """Run a moderator's action as ``platform:id`` (the audit log's actor) with their user id (so nobody judges
        their own case)."""
        me = self._user(actor)
        return self._moderated(lambda m: action(m, me, f"{actor.platform}:{actor.user_id}"))
