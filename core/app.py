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

from core.chat_settings import GLOBAL_SCOPE, MOD_CHANNEL, NSFW_ALLOWED, ChatSettings
from core.delivery import DeliveryTemplate, JobWaiter, ModeratorOutcome
from core.domain import (
    Decision,
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
from core.moderation.refusal import Refusal
from core.retrying import is_outage
from core.service import GenerationService
from core.styles import load_styles
from safety.image_input import BadImage
from safety.moderation import ModerationError

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
    if isinstance(exc, Refusal):  # a sentence of its own in the catalogue, in the reader's language
        return Rejected(exc.code, dict(exc.values))
    return Rejected("moderation", {"detail": str(exc)})


BAN_FOR_PICTURE = "picture removed by a moderator"  # the reason a member banned from a picture's post reads


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

    def wait(self, job_id: str, timeout: float,
             on_progress: Callable[[int, int], None] | None = None) -> Job | None:
        """Block until the job is finished (or ``timeout`` seconds pass: None) — the console's way to follow."""
        return self._waiter.wait(job_id, timeout, on_progress)

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
        """``target``: the member themself (a mention the platform resolved, the author of a replied-to message),
        or what a moderator typed: @username, a Discord mention, platform:id or #ID."""
        return self._as_moderator(actor, lambda m, me, name: m.sanctions.ban(
            (user := self._target(target, actor.platform)), name, duration, reason, me,
            label=m.identity.label(user, actor.platform)))

    @_busy_when_storage_is_down
    def unban(self, actor: Requester, target: Requester | str) -> Reply:
        return self._as_moderator(actor, lambda m, me, name: m.sanctions.unban(
            (user := self._target(target, actor.platform)), name, "", me,
            label=m.identity.label(user, actor.platform)))

    @_busy_when_storage_is_down
    def ban_author(self, actor: Requester, job_id: str, idx: int, duration: str,
                   reason: str = BAN_FOR_PICTURE) -> ModeratorOutcome | Rejected:
        """Ban whoever made a picture (a moderator's button under it). The picture itself is removed too — the ban
        says it broke the rules — and the member reads the moderation reason, never where the button was."""
        m, desk = self._moderation, self.deliveries(actor.platform, "moderators")
        image = m.review.picture(job_id, idx)
        if image is None:
            return Rejected("gone")
        me, name = self._user(actor), f"{actor.platform}:{actor.user_id}"
        state = m.review.state(job_id, idx)
        if state.ban is not None and m.sanctions.ban_status(image.user_id).banned:
            return desk.moderator_outcome(job_id, idx, Notice("mod_already_banned",
                                                              {"by": desk.actor_name(state.ban)}))
        try:
            sentence = m.sanctions.ban(image.user_id, name, duration, reason, me,
                                       label=m.identity.label(image.user_id, actor.platform), picture=(job_id, idx))
            removing = state.decision is None or state.decision.action == "approve"
            if removing:
                m.review.decide(f"img:{job_id}:{idx + 1}", "remove", name, me, "its author was banned")
        except ModerationError as exc:
            return _refused(exc)
        return desk.moderator_outcome(job_id, idx, Notice("moderation", {"detail": sentence}),
                                      "remove" if removing else None)

    @_busy_when_storage_is_down
    def decide_picture(self, actor: Requester, job_id: str, idx: int, decision: str) -> ModeratorOutcome | Rejected:
        """Approve or remove a picture from its moderators' post. Pressing again is harmless: the answer says who
        already decided, and the post is brought up to date."""
        m, desk = self._moderation, self.deliveries(actor.platform, "moderators")
        image = m.review.picture(job_id, idx)
        if image is None or decision not in ("approve", "remove"):
            return Rejected("gone")
        me, name = self._user(actor), f"{actor.platform}:{actor.user_id}"
        earlier = m.review.state(job_id, idx).decision
        if earlier is not None and earlier.action in (decision, "remove"):
            return desk.moderator_outcome(job_id, idx, Notice(f"mod_already_{earlier.action}d",
                                                              {"by": desk.actor_name(earlier)}))
        try:
            m.review.decide(f"img:{job_id}:{idx + 1}", decision, name, me)
        except ModerationError as exc:
            return _refused(exc)
        values = {"job_id": job_id, "number": idx + 1}
        if decision == "remove":
            return desk.moderator_outcome(job_id, idx, Notice("mod_removed", values), "remove")
        # An approved picture no longer hides behind its spoiler (only review-band pictures were posted behind one).
        hidden = image.decision in (Decision.REVIEW.value, Decision.UNCHECKED.value)
        return desk.moderator_outcome(job_id, idx, Notice("mod_approved", values), "unspoiler" if hidden else None)

    def member_history(self, target: Requester | str, platform: str = "console") -> tuple[Notice, ...] | Rejected:
        """A member's moderation history as moderators on ``platform`` read it: a heading that names the member,
        then one line per event (newest last, at most 20), with who did it by name."""
        try:
            user = self._target(target, platform)
        except ModerationError as exc:
            return _refused(exc)
        m, desk = self._moderation, self.deliveries(platform, "moderators")
        lines = [Notice("mod_history_of", {"member": m.identity.label(user, platform)})]
        for event in m.sanctions.history(user)[-20:]:
            lines.append(Notice("mod_history_line", {
                "when": f"{event.created_at:%Y-%m-%d %H:%M}", "action": event.action, "by": desk.actor_name(event),
                "reason_text": f": {event.reason}" if event.reason else "",
                "until_text": f" (until {event.expires_at:%Y-%m-%d %H:%M} UTC)" if event.expires_at else ""}))
        if len(lines) == 1:
            lines.append(Notice("mod_history_empty"))
        return tuple(lines)

    def is_moderators_chat(self, platform: str, chat_id: str | None, scope: str | None = None) -> bool:
        """Whether ``chat_id`` is the moderators' chat of ``scope`` (a guild; None: the platform's one chat). Its
        own admins moderate there, by the same rule for every moderator's command and button."""
        return chat_id is not None and self._chat_settings.get(platform, scope or GLOBAL_SCOPE,
                                                               MOD_CHANNEL) == chat_id

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

    def _target(self, target: Requester | str, platform: str | None = None) -> int:
        if isinstance(target, Requester):
            return self._user(target)
        return self._moderation.identity.resolve_user(target[:200], platform)

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
