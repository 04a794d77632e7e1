"""Delivery: finished jobs reach their chat exactly once.

A job is claimed (a unique row in ``deliveries``) before it is sent and marked delivered after; the event bus wakes
the waiter at once, and a database poll catches what the bus missed (restarts, lost events).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core import metrics
from core.catalogue import language
from core.chat_settings import GLOBAL_SCOPE, MOD_CHANNEL, ChatSettings
from core.domain import FINAL_STATUSES, Decision, Job, JobStatus, Notice, Rejected
from core.events import FINISHED, PROGRESS
from core.moderation.identity import member_label, member_name
from core.moderation.ports import ModerationRecords, ReviewImage
from core.ports import Clock, EventBus, JobRepository
from safety.moderation import Event


class JobWaiter:
    def __init__(self, repo: JobRepository, bus: EventBus, poll_interval: float = 1.0) -> None:
        self.repo = repo
        self.bus = bus
        self.poll_interval = poll_interval

    def wait(self, job_id: str, timeout: float, on_progress: Callable[[int, int], None] | None = None,
             on_place: Callable[[int | None], None] | None = None) -> Job | None:
        """The finished job, or None if it did not finish within ``timeout`` seconds (it keeps running).
        ``on_place`` hears the job's place whenever it changes: jobs ahead of it, None once it is generating."""
        finished = threading.Event()

        def on_finished(payload: dict[str, Any]) -> None:
            if payload.get("job_id") == job_id:
                finished.set()

        def on_step(payload: dict[str, Any]) -> None:
            if on_progress is not None and payload.get("job_id") == job_id:
                on_progress(int(payload["step"]), int(payload["total"]))

        unsubscribe = [self.bus.subscribe(FINISHED, on_finished), self.bus.subscribe(PROGRESS, on_step)]
        try:
            waited = 0.0
            place: tuple[int | None] | None = None
            while True:
                job = self.repo.get_job(job_id)
                if job is None or job.status in FINAL_STATUSES:
                    return job
                if on_place is not None:
                    place = self._tell_place(job_id, place, on_place)
                if waited >= timeout:
                    return None
                step = min(self.poll_interval, timeout - waited)
                finished.wait(step)
                waited += step
        finally:
            for undo in unsubscribe:
                undo()

    def _tell_place(self, job_id: str, told: tuple[int | None] | None,
                    on_place: Callable[[int | None], None]) -> tuple[int | None] | None:
        places = self.repo.queue_places([job_id])
        if job_id not in places or (places[job_id],) == told:
            return told
        on_place(places[job_id])
        return (places[job_id],)


@dataclass(frozen=True)
class ResultPicture:
    index: int
    path: str
    filename: str
    spoiler: bool  # review-band and unchecked pictures go out behind a spoiler


@dataclass(frozen=True)
class ResultButton:
    # "reroll", "edit", "info", "variations", "upscale", "restore", "report" (core/app.py:Muralist.act_on_result) or
    # "delete" (Muralist.delete_picture)
    action: str
    job_id: str
    idx: int | None  # None: the whole job (reroll, edit, info)


@dataclass(frozen=True)
class ResultMessage:
    """What one finished job looks like on any chat: the pictures that may leave, the caption (catalogue lines,
    rendered by the adapter in its language), who to mention and which buttons to offer."""

    job: Job
    chat_id: str
    pictures: tuple[ResultPicture, ...]
    lines: tuple[Notice, ...]
    mention: str | None  # the requester's account id on this platform, when they have one
    buttons: tuple[ResultButton, ...]
    # The requester's language when they asked (English for jobs older than that): a chat with no language of its
    # own (a Telegram chat, a Discord DM) renders the result in it.
    language: str = "en"


@dataclass(frozen=True)
class ModeratorPost:
    channel_id: str
    job_id: str
    idx: int
    path: str
    caption: Notice
    actions: tuple[str, ...] = ("approve", "remove", "ban")


@dataclass(frozen=True)
class PublicChange:
    """What a moderator's decision changes in the public post of one picture: ``remove`` takes that picture (and
    only that one) down, ``unspoiler`` shows an approved picture without its spoiler. The adapter knows how its
    platform laid the post out; core says where the picture sits in it."""

    kind: str  # "remove" | "unspoiler"
    chat_id: str
    message_ids: tuple[str, ...]  # as the sender returned them when it posted the job
    position: int  # the picture's place among the pictures the post showed
    posted: int  # how many pictures the post showed
    still_shown: tuple[int, ...]  # the places of the pictures the post shows now (after this change)
    picture: ResultPicture  # the picture as it should look now (for unspoiler; path "" once removed)
    caption: tuple[Notice, ...]  # the result's caption as it reads now (Telegram puts it on the first picture)
    buttons: tuple[ResultButton, ...]  # the result's buttons for the pictures still shown
    language: str = "en"  # the result's language (:attr:`ResultMessage.language`), so the edited post reads the same


@dataclass(frozen=True)
class ModeratorOutcome:
    """The answer to a moderator's button: the sentence for them, the moderators' post as it should now read (the
    picture's caption plus who did what, when) with the buttons it keeps, and what changes in the public post."""

    reply: Notice | Rejected
    caption: tuple[Notice, ...]
    actions: tuple[str, ...]
    public: PublicChange | None = None


@dataclass(frozen=True)
class PictureDeleted:
    """The answer to a ❌ press by the picture's author or a moderator: the sentence for them, and the change to
    make in the public post (None when the post no longer shows the picture)."""

    reply: Notice
    public: PublicChange | None


def result_language(job: Job) -> str:
    """The catalogue language a job's result is written in: its requester's, English where none was kept."""
    return language(job.language)


def result_pictures(job: Job) -> tuple[ResultPicture, ...]:
    """Pictures that may leave: review-band (and unchecked) ones as SPOILER_ files, blocked ones not at all."""
    out = []
    for image in job.images:
        if image.path is None or image.decision is Decision.BLOCK:
            continue
        spoiler = image.decision in (Decision.REVIEW, Decision.UNCHECKED)
        name = f"{'SPOILER_' if spoiler else ''}muralist-{job.id}-{image.index + 1}.png"
        out.append(ResultPicture(image.index, image.path, name, spoiler))
    return tuple(out)


def result_lines(job: Job, mention: str = "") -> tuple[Notice, ...]:
    """The caption of a finished job, as catalogue messages."""
    if job.status is JobStatus.CANCELLED:
        return (Notice("result_cancelled", {"job_id": job.id}),)
    if job.status is JobStatus.FAILED:
        if job.error and job.error.startswith("refused:"):
            return (Notice("result_refused", {"mention": mention, "job_id": job.id,
                                              "reason": job.error.removeprefix("refused: ")}),)
        return (Notice("result_failed", {"mention": mention, "job_id": job.id}),)
    lines = [Notice("result", {"mention": mention, "prompt": job.prompt[:300], "seed": job.seed, "job_id": job.id})]
    groups = {
        "result_review": [i.index + 1 for i in job.images if i.decision is Decision.REVIEW and i.path],
        "result_unchecked": [i.index + 1 for i in job.images if i.decision is Decision.UNCHECKED and i.path],
        "result_blocked": [i.index + 1 for i in job.images if i.decision is Decision.BLOCK or i.path is None],
    }
    lines += [Notice(code, {"numbers": ", ".join(map(str, numbers))}) for code, numbers in groups.items() if numbers]
    method = method_used(job)
    if method:
        lines.append(Notice("result_method", {"method": method}))
    return tuple(lines)


def result_buttons(job: Job, pictures: tuple[ResultPicture, ...], faces: bool = False) -> tuple[ResultButton, ...]:
    """Reroll, Edit (text-to-image only: another kind's input picture cannot be named again from a chat) and Info
    for the job; Upscale, Variations, Fix faces, Report and Delete for each picture that was posted.

    Fix faces (``restore``) is offered only where ``faces`` says the operator configured a face model: a button that
    can only ever answer "not available here" is clutter under every picture, and members expect what is offered to
    work (typing /restore still says why it is unavailable). A picture whose faces were just restored gets none."""
    if not pictures:
        return ()
    buttons = [ResultButton("reroll", job.id, None)]
    if job.kind == "txt2img":
        buttons.append(ResultButton("edit", job.id, None))
    buttons.append(ResultButton("info", job.id, None))
    for action in ("upscale", "variations", "restore", "report", "delete"):
        if action in ("upscale", "variations") and job.kind == "upscale":
            continue  # an enlarged picture is not enlarged or varied again
        if action == "restore" and (not faces or job.kind == "restore"):
            continue
        buttons += [ResultButton(action, job.id, p.index) for p in pictures]
    return tuple(buttons)


def method_used(job: Job) -> str | None:
    """For upscaling, inpainting, face restoration and a style reference, which method ran (the worker wrote it into
    the metadata)."""
    if job.kind not in ("upscale", "inpaint", "restore") and job.spec.style_image is None:
        return None
    from PIL import Image

    for image in job.images:
        if image.path:
            try:
                with Image.open(image.path) as picture:
                    method = picture.info.get("Method")
            except OSError:
                return None
            return str(method) if method else None
    return None


class DeliveryTemplate:
    """Claim → render → (the adapter sends) → mark → moderators. Every adapter delivers through this one template and
    writes only how to send; the claim (a unique row per job) makes delivery exactly-once across processes."""

    def __init__(self, repo: JobRepository, moderation: ModerationRecords, chat_settings: ChatSettings,
                 clock: Clock, platform: str, claimed_by: str, faces: bool = False) -> None:
        self.repo = repo
        self.faces = faces  # a face model is configured: results offer Fix faces
        self.moderation = moderation
        self.chat_settings = chat_settings
        self.clock = clock
        self.platform = platform
        self.claimed_by = claimed_by

    def pending(self) -> list[str]:
        """Finished jobs of this platform nobody delivered (or whose claim lapsed): the sweep's work list."""
        return self.repo.undelivered_jobs(self.platform)

    def claim(self, job_id: str) -> ResultMessage | None:
        """The rendered result, if this process won the claim; None when it is not ours to send."""
        job = self.repo.get_job(job_id)
        if job is None or job.platform != self.platform or job.status not in FINAL_STATUSES:
            return None
        if not self.repo.claim_delivery(job.id, self.platform, self.claimed_by):
            return None
        accounts = self.moderation.accounts_of(job.user_id)
        mention = next((ext for platform, ext in accounts if platform == self.platform), None)
        pictures = result_pictures(job)
        return ResultMessage(job, job.chat_id or "", pictures, result_lines(job), mention,
                             result_buttons(job, pictures, self.faces), result_language(job))

    def release(self, job_id: str, retry_in_s: float) -> None:
        """The send failed: try again in ``retry_in_s`` seconds (the sweep picks it up), not at lease expiry."""
        self.repo.release_delivery(job_id, self.claimed_by, retry_in_s)
        metrics.delivery_retried(self.platform)

    def mark(self, job_id: str, message_ids: list[str]) -> None:
        job = self.repo.get_job(job_id)
        shown = [p.index for p in result_pictures(job)] if job is not None else []
        self.repo.mark_delivered(job_id, message_ids, self.clock.now(), shown)
        metrics.delivered(self.platform)

    def review_posts(self, job: Job, scope: str | None) -> list[ModeratorPost]:
        """Moderator posts for a delivered job's review-band pictures."""
        return [post for image in job.images if image.path and image.decision in (Decision.REVIEW,
                                                                                    Decision.UNCHECKED)
                if (post := self.moderator_post(job.id, image.index, "why_review", scope)) is not None]

    def moderator_post(self, job_id: str, idx: int, why: str, scope: str | None) -> ModeratorPost | None:
        """A picture for the moderators' channel of ``scope`` (a guild; None where the platform has one global
        moderators' chat), or None when no channel is set or the picture is gone."""
        channel = self.chat_settings.get(self.platform, scope or GLOBAL_SCOPE, MOD_CHANNEL)
        image = self.moderation.image(job_id, idx)
        if channel is None or image is None or image.path is None:
            return None
        return ModeratorPost(channel, job_id, idx, image.path, self._post_caption(image, why))

    def _post_caption(self, image: ReviewImage, why: str) -> Notice:
        author = member_label(image.user_id, self.moderation.account_names(image.user_id), self.platform)
        return Notice("mod_post", {"why_code": (why, {}), "job_id": image.job_id, "number": image.image_idx + 1,
                                   "member": author, "prompt": image.prompt[:300],
                                   "score": f"{image.nsfw_score or 0:.3f}", "decision": image.decision})

    def moderator_outcome(self, job_id: str, idx: int, reply: Notice | Rejected,
                          public: str | None = None) -> ModeratorOutcome | Rejected:
        """The moderators' post of a picture as it reads after a decision: its caption, a line for each thing done
        to it (who, what, when), and only the buttons still worth pressing. ``public``: "remove" or "unspoiler",
        the change to make in the picture's public post."""
        image = self.moderation.image(job_id, idx)
        if image is None:
            return Rejected("gone")
        events = self.moderation.events_for_picture(job_id, idx)
        decisions = [e for e in events if e.action in ("approve", "remove")]
        decision = decisions[-1] if decisions else None
        ban = next((e for e in reversed(events) if e.action == "ban"), None)
        reported = any(e.action == "report" for e in events)
        lines = [self._post_caption(image, "why_report" if reported else "why_review")]
        if decision is not None:
            lines.append(Notice(f"mod_status_{decision.action}d", {"by": self.actor_name(decision),
                                                                   "at": f"{decision.created_at:%H:%M}"}))
        if ban is not None:
            until = ("until_permanent", {}) if ban.expires_at is None else (
                "until_time", {"until": f"{ban.expires_at:%Y-%m-%d %H:%M}"})
            lines.append(Notice("mod_status_banned", {"by": self.actor_name(ban), "at": f"{ban.created_at:%H:%M}",
                                                      "until_code": until}))
        actions: list[str] = [] if decision is not None else ["approve", "remove"]
        if ban is None and (decision is None or decision.action == "remove"):
            actions.append("ban")
        change = self.public_change(job_id, idx, public) if public else None
        return ModeratorOutcome(reply, tuple(lines), tuple(actions), change)

    def actor_name(self, event: Event) -> str:
        """Who did it, as this platform's moderators know them ("Mia"); the audit name for the system or a
        console operator without an account here."""
        if event.actor_user_id is None:
            return event.actor
        return member_name(event.actor_user_id, self.moderation.account_names(event.actor_user_id), self.platform)

    def public_change(self, job_id: str, idx: int, kind: str) -> PublicChange | None:
        """Where picture ``idx`` sits in its job's public post, and how that post reads now; None when the job was
        not posted on this platform or did not show that picture."""
        job = self.repo.get_job(job_id)
        if job is None or job.platform != self.platform or not job.chat_id:
            return None
        message_ids = tuple(self.repo.delivered_message_ids(job_id))
        shown = self.repo.delivered_pictures(job_id)
        if not message_ids or idx not in shown:
            return None
        now = result_pictures(job)
        picture = next((p for p in now if p.index == idx), None)
        if picture is None:  # removed: only its place in the post matters
            picture = ResultPicture(idx, "", f"muralist-{job.id}-{idx + 1}.png", False)
        elif kind == "unspoiler":
            picture = ResultPicture(idx, picture.path, f"muralist-{job.id}-{idx + 1}.png", False)
        still = tuple(place for place, number in enumerate(shown) if any(p.index == number for p in now))
        return PublicChange(kind, job.chat_id, message_ids, shown.index(idx), len(shown), still, picture,
                            result_lines(job), result_buttons(job, tuple(p for p in now if p.index in shown),
                                                                            self.faces), result_language(job))

    def public_messages(self, job_id: str) -> tuple[str, list[str]] | None:
        """(chat id, message ids) of a delivered job, to take down what a moderator removed."""
        job = self.repo.get_job(job_id)
        if job is None or not job.chat_id:
            return None
        return job.chat_id, self.repo.delivered_message_ids(job_id)
