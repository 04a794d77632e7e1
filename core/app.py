"""The application facade: the one object every front door (console, Discord, Telegram) talks to.

An adapter turns a platform update into a call here with a :class:`Requester` and gets a typed outcome back
(:class:`Accepted`, :class:`Rejected` or :class:`Notice`: a code and its values), which it renders through
:mod:`core.catalogue` in the member's language. It never sees a repository, a session, the clock or a server path.
Calls are blocking (database work): async adapters run them with ``asyncio.to_thread``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ParamSpec, Protocol, TypeVar

from core.chat_policy import ServiceLimits, fill_defaults, limits_of
from core.chat_settings import (
    GLOBAL_SCOPE,
    MOD_CHANNEL,
    NSFW_ALLOWED,
    OTHERS_BUTTONS,
    OTHERS_BUTTONS_VALUES,
    ChatSettings,
)
from core.command_syntax import imagine_line
from core.delivery import DeliveryTemplate, JobWaiter, ModeratorOutcome, PictureDeleted
from core.domain import (
    PURGED,
    Accepted,
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
from core.inputs import JOB_REF
from core.moderation import Moderation
from core.moderation.said import Said
from core.params import MAX_COUNT
from core.preferences import MemberPreferences
from core.retrying import is_outage
from core.service import GenerationService
from core.settings_desk import SettingsDesk
from core.styles import load_styles
from core.verification import Verifier
from core.voice import MAX_BYTES as VOICE_MAX_BYTES
from core.voice import Transcriber, VoiceRefused
from safety.image_input import BadImage, read_untrusted_file
from safety.moderation import ModerationError

log = logging.getLogger(__name__)
CHAT_SETTINGS = (MOD_CHANNEL, NSFW_ALLOWED, OTHERS_BUTTONS)
VARIATIONS = 2  # pictures /variations makes unless the member says otherwise (or the chat allows fewer)


@dataclass(frozen=True)
class ModelInfo:
    name: str
    default_size: int
    default_steps: int
    licence_id: str
    served: bool


def _refused(exc: ModerationError) -> Rejected:
    """In the reader's language where the refusal has a catalogue code (the operator's own English otherwise)."""
    return Rejected(exc.code, dict(exc.values))


def _done(sentence: str) -> Notice:
    """What a moderation action did, in the reader's language where it said it as :class:`Said`."""
    if isinstance(sentence, Said):
        return Notice(sentence.code, dict(sentence.values))
    return Notice("moderation", {"detail": sentence})


class WebLinks(Protocol):
    """The moderation web console's sign-in links (:class:`core.web_console.ModerationConsole`)."""

    link_minutes: int

    def issue_link(self, member: str, *, admin: bool, chats: list[str], issued_by: str) -> str: ...
    def link_url(self, token: str) -> str: ...


# The "photo to cartoon" preset: enough strength to redraw the picture in flat colours and outlines, little enough
# that the people and the layout stay recognisable.
CARTOON_STYLE, CARTOON_STRENGTH, CARTOON_PROMPT = "cartoon", 0.65, "the same picture"
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
                 waiter: JobWaiter, verifier: Verifier, transcriber: Transcriber | None = None,
                 web_links: WebLinks | None = None, faces_configured: bool = False,
                 preferences: MemberPreferences | None = None, style_configured: bool = False) -> None:
        self._service = service
        self._verifier = verifier
        self._transcriber = transcriber or Transcriber()  # loads its model on first use only
        self._web_links = web_links
        self._faces_configured = faces_configured  # MURALIST_FACE_RESTORER is set (its workers load the model)
        self._style_configured = style_configured  # MURALIST_IP_ADAPTER is set (its workers load the adapter)
        self._moderation = moderation
        self._chat_settings = chat_settings
        self._waiter = waiter
        models = service.models.values()
        self._settings = SettingsDesk(
            chat_settings, preferences or MemberPreferences(chat_settings.sessions), service.repo,
            ServiceLimits(max_steps=max(m.max_steps for m in models), max_side=max(m.max_side for m in models),
                          max_count=MAX_COUNT, max_prompt_chars=service.max_prompt_chars))

    # --- licence --------------------------------------------------------------------------------------------------

    def licence_text(self) -> str:
        return self._service.licence_text()

    @_busy_when_storage_is_down
    def accept_licence(self, who: Requester) -> Notice:
        return self._service.accept_licence(who)

    # --- pictures -------------------------------------------------------------------------------------------------

    @_busy_when_storage_is_down
    def imagine(self, who: Requester, params: GenerationParams, model: str | None = None) -> Outcome:
        """A member's /imagine: what they left out comes from their own defaults (/prefs), then the chat's
        (/settings); the chat's limits hold either way (core/chat_policy.py). A style reference (``--style-image``)
        where no IP-Adapter is configured is refused first, with one sentence: nothing is stored, queued or charged."""
        if params.style_image is not None and not self._style_configured:
            return Rejected("style_unconfigured")
        chat = self._settings.chat(who)
        limits = limits_of(chat)
        params, defaulted = fill_defaults(params, self._settings.mine(who), chat, limits)
        return self._service.submit(GenerationRequest(who, params, model, self._nsfw(who, chat), who.tiers, limits,
                                                      defaulted))

    def _submit(self, who: Requester, params: GenerationParams, model: str | None = None) -> Outcome:
        """A job the bot built from another (variations, upscale, cartoon, edit): no member defaults — the picture
        it starts from says what it is — but the chat's limits all the same."""
        chat = self._settings.chat(who)  # read once: the limits and the NSFW switch both live there
        return self._service.submit(GenerationRequest(who, params, model, self._nsfw(who, chat), who.tiers,
                                                      limits_of(chat)))

    def style_available(self) -> bool:
        """Whether ``--style-image`` can run here (the operator configured IP-Adapter weights): adapters ask before
        downloading a reference picture that could never be used."""
        return self._style_configured

    def upload(self, data: bytes) -> str | Rejected:
        """Keep a picture a member sent; the upload id goes into ``GenerationParams.image``."""
        try:
            return self._service.store_upload(data)
        except BadImage as exc:
            return Rejected("input", exc.said())

    @_busy_when_storage_is_down
    def act_on_result(self, who: Requester, action: str, job_id: str, idx: int | None = None) -> Reply:
        """The one dispatcher for the buttons under a result: every adapter gets the same rules — the presser's
        tiers and the chat's NSFW setting, charged to the presser; under someone else's picture, the chat's
        ``others_buttons`` setting decides (see :meth:`_for_someone_elses`)."""
        picture = f"{job_id}:{(idx or 0) + 1}"
        if action == "reroll":
            return self.reroll(who, job_id)
        if action == "variations":
            return self.variations(who, picture)
        if action == "upscale":
            return self.upscale(who, picture)
        if action == "restore":
            return self.restore(who, picture)
        if action == "report":
            return self.report(who, job_id, idx or 0)
        if action == "info":
            return self.picture_info(who, job_id, idx)
        if action == "edit":
            return self.edit_prompt(who, job_id)
        return Rejected("gone")

    # --- the result buttons that read or change one job: 📋 info, 🖋 edit, ❌ delete ----------------------------------

    @_busy_when_storage_is_down
    def picture_info(self, who: Requester, job_id: str, idx: int | None = None) -> Reply:
        """Every parameter of a job — of picture ``idx`` when given (its own seed) — and the ``/imagine`` line that
        makes it again. For its owner, or anyone in the chat it was posted in."""
        job = self._readable_job(who, job_id)
        if isinstance(job, Rejected):
            return job
        shown = [image for image in job.images if image.path is not None]
        if idx is not None:
            shown = [image for image in shown if image.index == idx]
            if not shown:
                return Rejected("input_no_picture", {"job_id": job.id, "number": idx + 1})
        seed, count = (shown[0].seed, 1) if idx is not None else (job.seed, job.count)
        seeds = ", ".join(f"{image.index + 1}: {image.seed}" for image in shown) if len(shown) > 1 else str(
            shown[0].seed if shown else seed)
        spec = job.spec
        return Notice("picture_info", {
            "job_id": job.id, "kind": spec.kind, "model": job.model, "prompt": spec.prompt,
            "negative": spec.negative_prompt or "—", "seeds": seeds, "steps": spec.steps, "cfg": f"{spec.cfg:g}",
            "width": spec.width, "height": spec.height, "sampler": spec.sampler, "style": spec.style or "—",
            "strength_code": ("info_strength", {"strength": f"{spec.strength:g}"}) if spec.strength is not None
            else None,
            "style_image_code": ("info_style_image", {"strength": f"{spec.style_strength:g}"})
            if spec.style_image is not None and spec.style_strength is not None else None,
            "command": imagine_line(spec, job.model, seed, count),
            "input_code": ("info_input", {}) if spec.image is not None or spec.style_image is not None else None})

    @_busy_when_storage_is_down
    def edit_prompt(self, who: Requester, job_id: str) -> Reply:
        """🖋 pressed: may this member edit the job's prompt? ``Notice("edit_prompt_ask", {"job_id", "prompt"})`` —
        the adapter opens its form with the prompt in it — or one sentence why not. Nothing is charged yet."""
        job = self._readable_job(who, job_id)
        if isinstance(job, Rejected):
            return job
        if job.kind != "txt2img":
            return Rejected("edit_txt2img_only")
        return Notice("edit_prompt_ask", {"job_id": job.id, "prompt": job.prompt})

    @_busy_when_storage_is_down
    def edit_and_rerun(self, who: Requester, job_id: str, prompt: str) -> Outcome:
        """A new job with ``prompt`` and every other parameter of ``job_id`` (its seed too, so only the words
        change), charged to ``who`` through every gate; someone else's job follows the chat's ``others_buttons``."""
        job = self._readable_job(who, job_id)
        if isinstance(job, Rejected):
            return job
        if job.kind != "txt2img":
            return Rejected("edit_txt2img_only")
        if not prompt.strip():
            return Rejected("edit_empty")
        if self._needs_style(job):
            return Rejected("style_unconfigured")
        params = replace(job.spec.as_request(seed=job.seed), prompt=prompt.strip())
        return self._for_someone_elses(who, job.id, lambda: self._submit(who, params, job.model))

    @_busy_when_storage_is_down
    def delete_picture(self, who: Requester, job_id: str, idx: int, *,
                       moderator: bool = False) -> PictureDeleted | Rejected:
        """❌ under a result: its author (any linked account) or a moderator (``moderator``: the adapter checked the
        platform's permission) takes picture ``idx`` down from the public post; anyone else is told so and nothing
        changes. Pressing again says it is already gone. The moderation log records ``delete_own`` for the author
        and a ``remove`` for a moderator."""
        m = self._moderation
        image = m.review.picture(job_id, idx) if 0 <= idx < 100 else None
        if image is None:
            return Rejected("gone")
        owner = self._made_by(who, image.user_id)
        if not owner and not moderator:
            return Rejected("delete_not_yours")
        values: dict[str, object] = {"job_id": image.job_id, "number": idx + 1}
        desk = self.deliveries(who.platform, "members")
        if image.path is None:  # deleted, removed or blocked already: the post is brought up to date all the same
            return PictureDeleted(Notice("delete_already", values), desk.public_change(job_id, idx, "remove"))
        name = f"{who.platform}:{who.user_id}"
        try:
            if owner:
                m.review.delete_own(image, name, self._user(who))
            else:
                m.review.decide(f"img:{job_id}:{idx + 1}", "remove", name, self._user(who),
                                "deleted from the public post")
        except ModerationError as exc:
            return _refused(exc)
        return PictureDeleted(Notice("delete_done", values), desk.public_change(job_id, idx, "remove"))

    @_busy_when_storage_is_down
    def reroll(self, who: Requester, job_id: str) -> Outcome:
        """Same prompt and settings, a new seed, through every gate again."""
        if self._needs_style(self._service.repo.get_job(job_id[:16])):
            return Rejected("style_unconfigured")
        chat = self._settings.chat(who)
        return self._for_someone_elses(who, job_id, lambda: self._service.reroll(
            job_id, who, nsfw_allowed=self._nsfw(who, chat), tiers=who.tiers, limits=limits_of(chat)))

    @_busy_when_storage_is_down
    def variations(self, who: Requester, picture: str, *, strength: float = 0.6, count: int | None = None) -> Outcome:
        """New pictures near one picture (``JOB[:N]``, an upload id, or a file for the local operator). Without a
        count: two, or as many as the chat allows if that is fewer (a count the member gives is held to the limit)."""
        if count is None:
            count = min(VARIATIONS, self._settings.limits(who).max_count or VARIATIONS)
        return self._for_someone_elses(who, picture, lambda: self._submit(
            who, GenerationParams("", image=picture, strength=strength, count=count)))

    @_busy_when_storage_is_down
    def upscale(self, who: Requester, picture: str, factor: int = 2) -> Outcome:
        return self._for_someone_elses(who, picture, lambda: self._submit(
            who, GenerationParams("", image=picture, upscale=factor)))

    @_busy_when_storage_is_down
    def cartoon(self, who: Requester, picture: str, prompt: str = "") -> Outcome:
        """The "photo to cartoon" preset: image-to-image of one picture (an upload id, ``JOB[:N]``, or a file for
        the local operator) in the ``cartoon`` style. A job's picture keeps its own prompt unless one is given; an
        upload without words is described generically (the style's words do the work)."""
        ref = picture.strip()
        words = prompt.strip() or ("" if JOB_REF.fullmatch(ref) else CARTOON_PROMPT)
        return self._for_someone_elses(who, ref, lambda: self._submit(
            who, GenerationParams(words, image=ref, style=CARTOON_STYLE, strength=CARTOON_STRENGTH)))

    def restore_available(self) -> bool:
        """Whether /restore can run here (the operator configured a face model)."""
        return self._faces_configured

    @_busy_when_storage_is_down
    def restore(self, who: Requester, picture: str) -> Outcome:
        """Restore the faces in one picture with the operator's face model (a job like an upscale: same gates, one
        picture charged). Without a model configured, one sentence says so and nothing is charged."""
        if not self._faces_configured:
            return Rejected("restore_unconfigured")
        return self._for_someone_elses(who, picture.strip(), lambda: self._submit(
            who, GenerationParams("", image=picture.strip(), restore=True)))

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
                                platform, claimed_by, faces=self._faces_configured)

    # --- voice ----------------------------------------------------------------------------------------------------

    def hear(self, who: Requester, audio: bytes | str) -> Reply:
        """The words of a voice note (bytes) or, for the local operator only, an audio file, listened for in the
        member's language: ``Notice("voice_heard", {"text": …})`` (with a note when the model knows only English and
        the member's language is not) to show and then submit as a prompt (every gate still applies), or a refusal.
        Blocking (seconds): async adapters run it in a thread."""
        if isinstance(audio, str):
            if not who.local:
                return Rejected("input_paths")
            try:
                audio = read_untrusted_file(Path(audio).expanduser(), max_bytes=VOICE_MAX_BYTES)
            except BadImage as exc:  # the bounded reader's sentence: missing, not a regular file, too large
                return Rejected("input", exc.said())
        try:
            words = self._transcriber.transcribe(audio, who.language)
            # An English-only model heard English whatever the member speaks: the reply says so, in their language.
            note = who.language != "en" and self._transcriber.english_only()
        except VoiceRefused as exc:
            return Rejected(exc.code, dict(exc.values))
        return Notice("voice_heard", {"text": words, "note_code": ("voice_english_only", {}) if note else None})

    # --- provenance -----------------------------------------------------------------------------------------------

    @_busy_when_storage_is_down
    def verify(self, who: Requester, picture: bytes | str) -> Reply:
        """Was this picture made here? ``picture``: the bytes a member sent, or a file path (local operator only).
        Blocking (~0.1 s a 512² picture): async adapters run it in a thread."""
        return self._verifier.verify(who, picture).reply

    # --- members: reports, appeals, linked accounts ---------------------------------------------------------------

    @_busy_when_storage_is_down
    def report(self, who: Requester, job_id: str, idx: int, reason: str = "") -> Reply:
        if not 0 <= idx < 100:
            return Rejected("mod_no_delivered_picture", {"number": idx + 1, "job_id": job_id[:20]})
        return self._moderated(lambda m: m.reports.report(self._user(who), job_id, idx, reason))

    @_busy_when_storage_is_down
    def appeal(self, who: Requester, target: str, reason: str = "") -> Reply:
        if any(part.lstrip("#").isdigit() and len(part.lstrip("#")) > 12 for part in target.split()):
            # No strike or picture number is that long; the database would only overflow on it.
            return Rejected("mod_appeal_usage")
        user_id = self._service.repo.find_user(who.platform, who.user_id)
        if user_id is None:
            return Rejected("mod_nothing_to_appeal")
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
        return desk.moderator_outcome(job_id, idx, _done(sentence),
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

    @_busy_when_storage_is_down
    def decide_appeal(self, actor: Requester, appeal_id: int, decision: str) -> Reply:
        """Uphold or deny an open appeal (the web console's appeals page; `muralist admin review ID` at a terminal)."""
        return self._as_moderator(actor, lambda m, me, name: m.review.decide(str(appeal_id), decision, name, me))

    @_busy_when_storage_is_down
    def web_link(self, actor: Requester, chats: list[str]) -> Reply:
        """A one-time sign-in link to the moderation web console for a moderator the adapter has checked (`/mod web`),
        showing the cases of ``chats`` (``platform:chat_id``) only."""
        if self._web_links is None:
            return Rejected("web_unavailable")
        account = f"{actor.platform}:{actor.user_id}"
        try:
            token = self._web_links.issue_link(account, admin=False, chats=chats, issued_by=account)
        except ModerationError as exc:
            return _refused(exc)
        return Notice("web_link", {"minutes": self._web_links.link_minutes, "url": self._web_links.link_url(token)})

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

    # --- a chat's settings (the adapter has checked that the actor is one of the chat's admins) --------------------

    @_busy_when_storage_is_down
    def chat_settings(self, who: Requester) -> Notice:
        """The settings of the chat ``who`` is in, as its admins see them with /settings: every one, set or not."""
        return self._settings.show_chat(who, self._nsfw(who), self._others_buttons(who))

    @_busy_when_storage_is_down
    def change_chat_setting(self, actor: Requester, name: str, value: str) -> Reply:
        """``/settings NAME VALUE`` in the actor's chat: nsfw, others_buttons, the limits max_steps, max_count and
        max_size, and the defaults style, steps and size (``off`` unsets one). An unknown name gets the usage, a
        bad value one sentence naming what it takes; neither changes anything."""
        return self._settings.change_chat(actor, name, value)

    # --- a member's own defaults (anyone, for themself) -----------------------------------------------------------

    @_busy_when_storage_is_down
    def preferences(self, who: Requester) -> Notice:
        """``/prefs``: the member's own defaults for /imagine."""
        return self._settings.show_mine(who)

    @_busy_when_storage_is_down
    def change_preference(self, who: Requester, name: str, value: str) -> Reply:
        """``/prefs NAME VALUE`` (style, sampler, size, steps, negative; ``off`` unsets one)."""
        return self._settings.change_mine(who, name, value)

    # --- helpers --------------------------------------------------------------------------------------------------

    def _needs_style(self, job: Job | None) -> bool:
        """A job made with a style reference, asked for again where style references are no longer set up."""
        return job is not None and job.spec.style_image is not None and not self._style_configured

    def _nsfw(self, who: Requester, chat: Mapping[str, str] | None = None) -> bool:
        """An NSFW context: the platform marks the channel, or the chat's admins switched it on (/nsfw on). ``chat``:
        the chat's settings where the caller has read them already."""
        if who.nsfw_chat:
            return True
        if who.chat_id is None:
            return False
        found = chat.get(NSFW_ALLOWED) if chat is not None else \
            self._chat_settings.get(who.platform, who.chat_id, NSFW_ALLOWED)
        return found == "on"

    def _others_buttons(self, who: Requester) -> str:
        found = self._chat_settings.get(who.platform, who.chat_id, OTHERS_BUTTONS) if who.chat_id else None
        return found if found in OTHERS_BUTTONS_VALUES else "anyone"

    def _for_someone_elses(self, who: Requester, picture: str, make: Callable[[], Outcome]) -> Outcome:
        """Reroll, Upscale and Variations of a job's picture — a button or a typed command. A member's own picture
        (any of their linked accounts) is simply made. Someone else's must have been posted in this chat; then the
        chat's ``others_buttons`` setting decides: "anyone" (the default) makes it, charged to the presser, and the
        reply says whose picture it was; "owner" refuses with one sentence and charges nothing."""
        match = JOB_REF.fullmatch(picture.strip())
        job = self._service.repo.get_job(match["job"]) if match and not who.local else None
        if job is None:  # an upload, a file at the console, or a job that is gone: the gates say what they say
            return make()
        if self._service.repo.find_user(who.platform, who.user_id) == job.user_id:
            return make()
        if job.platform != who.platform or job.chat_id is None or job.chat_id != who.chat_id:
            return Rejected("input_job_not_yours", {"job_id": job.id})
        owner = self._service.repo.display_name(job.user_id)
        if self._others_buttons(who) == "owner":
            return Rejected("others_owner_only", {"owner": owner} if owner else
                            {"message": "others_owner_only_unnamed"})
        outcome = make()
        if isinstance(outcome, Accepted):
            return replace(outcome, note=("others_charged", {"owner": owner}) if owner else
                           ("others_charged_unnamed", {}))
        return outcome

    def _readable_job(self, who: Requester, job_id: str) -> Job | Rejected:
        """A job whose parameters ``who`` may read and reuse: their own (any linked account), or one posted in the
        chat they are in — the rule for naming a picture (core/inputs.py). Purged prompts say so."""
        job = self._service.repo.get_job(job_id[:16])
        if job is None:
            return Rejected("input_job_gone", {"job_id": job_id[:16]})
        mine = self._service.repo.find_user(who.platform, who.user_id) == job.user_id
        if not (mine or who.local or (job.platform == who.platform and job.chat_id is not None
                                      and job.chat_id == who.chat_id)):
            return Rejected("input_job_not_yours", {"job_id": job.id})
        if job.prompt == PURGED:
            return Rejected("purged")
        return job

    def _made_by(self, who: Requester, user_id: int) -> bool:
        """Whether ``who`` is the member ``user_id``: an account of theirs now (linked accounts share one user), or
        the very account that made the job before it was linked to another member's user."""
        records = self._moderation.records
        account = records.account(who.platform, who.user_id)
        return account is not None and user_id in (account.user_id, records.original_user(account.id))

    def _user(self, who: Requester) -> int:
        return self._service.repo.ensure_user(who)

    def _target(self, target: Requester | str, platform: str | None = None) -> int:
        if isinstance(target, Requester):
            return self._user(target)
        return self._moderation.identity.resolve_user(target[:200], platform)

    def _moderated(self, action: Callable[[Moderation], str]) -> Reply:
        try:
            return _done(action(self._moderation))
        except ModerationError as exc:
            return _refused(exc)

    def _as_moderator(self, actor: Requester, action: Callable[[Moderation, int, str], str]) -> Reply:
        """Run a moderator's action as ``platform:id`` (the audit log's actor) with their user id (so nobody judges
        their own case)."""
        me = self._user(actor)
        return self._moderated(lambda m: action(m, me, f"{actor.platform}:{actor.user_id}"))
