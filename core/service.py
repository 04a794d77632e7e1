"""The generation service: every adapter's single entry point.

``submit`` runs the gates in a fixed order — licence → params → prompt filter → quota — and only then writes the job
and its quota reservation in one transaction and enqueues ``generate(job_id)``. A refusal is one clear sentence and
changes nothing (a blocked prompt's verdict is logged: every decision is).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from core import __version__
from core.domain import (
    PURGED,
    Accepted,
    Decision,
    GenerationParams,
    GenerationRequest,
    Job,
    JobStatus,
    Outcome,
    QuotaRules,
    QuotaStatus,
    Rejected,
    Requester,
    next_midnight,
)
from core.models_registry import ModelSpec
from core.moderation import ModerationService
from core.params import InvalidParams, check_params
from core.ports import Clock, Dispatcher, JobRepository, NewJob, QuotaRefusal
from core.storage.images import LocalInputStore
from safety.image_input import BadImage
from safety.license import Licence, get_licence, render, verified_text
from safety.moderation import Event
from safety.prompt_filter import PromptFilter

log = logging.getLogger(__name__)


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class Limits:
    daily_images: int = 25
    max_queued_jobs: int = 3
    max_prompt_chars: int = 1000


def _resets(rules: QuotaRules, when: datetime, now: datetime) -> str:
    if rules.window == "rolling":
        return f"the next picture frees up at {when:%H:%M} UTC (in {_until(when, now)})"
    return f"it resets at 00:00 UTC (in {_until(when, now)})"


def _until(when: datetime, now: datetime) -> str:
    minutes = max(0, int((when - now).total_seconds() // 60))
    return f"{minutes // 60}h {minutes % 60:02d}m"


class GenerationService:
    def __init__(self, repo: JobRepository, dispatcher: Dispatcher, prompt_filter: PromptFilter, spec: ModelSpec,
                 licence: Licence, limits: Limits, clock: Clock | None = None,
                 licence_file: Path | None = None, moderation: ModerationService | None = None,
                 inputs: LocalInputStore | None = None, models: dict[str, ModelSpec] | None = None,
                 served: Callable[[str], bool] | None = None) -> None:
        self.repo = repo
        self.dispatcher = dispatcher
        self.prompt_filter = prompt_filter
        self.spec = spec
        self.licence = licence
        self.limits = limits
        self.clock = clock or SystemClock()
        self.moderation = moderation  # bans, strikes, tiers and grants; None in the smallest unit tests
        self.inputs = inputs  # where input pictures are kept; None where only text-to-image is served
        self.models = models or {spec.name: spec}  # every configured model; ``spec`` is the default
        self.served = served  # is a worker serving this model right now? None: do not ask (unit tests)
        # Shown only when its hash matches the metadata, so users read exactly the text they accept.
        self.licence_file = licence_file if verified_text(licence, licence_file) is not None else None

    # --- licence --------------------------------------------------------------------------------------------------

    def licence_text(self) -> str:
        text = render(self.licence)
        if self.licence_file is not None:
            text += f"\nThe full official text is at {self.licence_file} (checked against its sha256)."
        return text

    def accept_licence(self, requester: Requester) -> str:
        user_id = self.repo.ensure_user(requester)
        if self.repo.has_accepted(user_id, self.licence.id, self.licence.sha256):
            return f"You have already accepted {self.licence.name}; /imagine is ready."
        self.repo.record_acceptance(user_id, requester, self.licence.id, self.licence.version, self.licence.sha256,
                                    __version__)
        return f"Thank you: you accepted {self.licence.name} ({self.licence.version}). You can now use /imagine."

    # --- submit ---------------------------------------------------------------------------------------------------

    def submit(self, request: GenerationRequest) -> Outcome:
        requester = request.requester
        user_id = self.repo.find_user(requester.platform, requester.user_id)
        history = None
        if user_id is not None and self.moderation is not None:
            history = self.moderation.repo.events_for_user(user_id)  # read once: for the ban and the tier
            ban = self.moderation.ban_status(user_id, history)
            if ban.banned:
                return Rejected("banned", ban.sentence(), {"until": ban.until.isoformat() if ban.until else None})
        spec = self.models.get(request.model or self.spec.name)
        if spec is None:
            return Rejected("model", f"There is no model {str(request.model)[:60]!r}; models: "
                                     f"{', '.join(self.models)}.")
        licence = self.licence if spec.licence_id == self.licence.id else get_licence(spec.licence_id)
        if user_id is None or not self.repo.has_accepted(user_id, licence.id, licence.sha256):
            return Rejected("licence", f"Before your first picture, read the model licence with /license and accept "
                                       f"it with /accept ({licence.name}).")
        if self.served is not None and not self.served(spec.name):
            return Rejected("model", f"No worker is serving the model {spec.name} right now, so nothing was queued; "
                                     f"try again later or choose another model.")
        request_params, input_size = request.params, None
        if request_params.image is not None:
            try:
                request_params, input_size = self._stored_input(request_params, requester)
            except (InvalidParams, BadImage) as exc:
                return Rejected("input", str(exc))
        try:
            params = check_params(request_params, spec, max_prompt_chars=self.limits.max_prompt_chars,
                                  input_size=input_size)
        except InvalidParams as exc:
            return Rejected("params", str(exc))

        verdict = self.prompt_filter.check(params.prompt, params.negative_prompt, nsfw_allowed=request.nsfw_allowed)
        if verdict.decision is Decision.BLOCK:
            self.repo.record_prompt_verdict(user_id, verdict, params.prompt, None)
            named = ", ".join(c.replace("_", " × ") for c in verdict.categories)
            message = (f"This prompt was blocked by the content rules ({named}); nothing was generated and no quota "
                       f"was used.")
            if self.moderation is not None:
                suspended = self.moderation.strike_for_prompt(user_id, verdict.categories, params.prompt)
                if suspended:
                    message += " " + suspended
            return Rejected("prompt", message, {"categories": list(verdict.categories)})

        now = self.clock.now()
        # An NSFW context relaxes the picture thresholds for adult content only: a prompt with a minor or a real
        # person in it is judged with the strict thresholds, whatever the channel allows.
        relax_images = request.nsfw_allowed and not verdict.signals
        new = NewJob(user_id, requester, params, spec.name, spec.queue, relax_images,
                     prompt_review=verdict.decision is Decision.REVIEW)
        rules, _tier = self._rules(user_id, request.tiers, history)
        created = self.repo.create_job(new, rules=rules, now=now)
        if isinstance(created, QuotaRefusal):
            return self._quota_refusal(created, params.count, rules, now)
        self.repo.record_prompt_verdict(user_id, verdict, params.prompt, created)
        try:
            self.dispatcher.enqueue(created, spec.queue)
        except Exception as exc:  # the broker is transport: if it is down, undo cleanly and say so
            log.exception("enqueue of job %s failed", created)
            self.repo.fail_job(created, f"enqueue failed: {exc}", refund=True)
            return Rejected("unavailable", "The picture queue is unreachable right now; nothing was charged. "
                                           "Please try again in a minute.")
        return Accepted(created, self.repo.queue_position(created), request.params)

    def _rules(self, user_id: int | None, tiers: frozenset[str] = frozenset(),
               history: list[Event] | None = None) -> tuple[QuotaRules, str]:
        if self.moderation is not None:
            return self.moderation.quota_rules(user_id, tiers, history)
        return QuotaRules(self.limits.daily_images, self.limits.max_queued_jobs), "default"

    def _quota_refusal(self, refusal: QuotaRefusal, count: int, rules: QuotaRules, now: datetime) -> Rejected:
        if refusal.reason == "queued":
            return Rejected("queue_cap", f"You already have {refusal.queued} jobs waiting; the limit is "
                                         f"{rules.max_queued}. Try again when one finishes.")
        if refusal.reason == "rate":
            wait = max(1, math.ceil(((refusal.retry_at or now) - now).total_seconds()))
            return Rejected("rate", f"Slow down: at most {rules.burst_jobs} requests per {rules.burst_seconds} "
                                    f"seconds. Try again in {wait} seconds.")
        total = refusal.limit + refusal.granted
        left = max(0, total - refusal.used)
        asked = f"{count} pictures" if count != 1 else "a picture"
        return Rejected("quota", f"Your daily quota does not cover {asked}: {left} of {total} left; "
                                 f"{_resets(rules, refusal.resets_at, now)}.")

    def _stored_input(self, params: GenerationParams, requester: Requester) -> tuple[GenerationParams,
                                                                                     tuple[int, int]]:
        """The input picture, by job id (a picture this bot made) or by file, stored EXIF-free."""
        if self.inputs is None:
            raise InvalidParams("Input pictures are not supported here.")
        ref = (params.image or "").strip()
        job_ref, _, number = ref.partition(":")
        looks_like_job = bool(re.fullmatch(r"[a-z0-9]{10}", job_ref)) and (not number or number.isdigit())
        job = self.repo.get_job(job_ref) if looks_like_job else None
        if looks_like_job and job is None and not Path(ref).exists():
            raise InvalidParams(f"Job {job_ref} no longer exists.")
        if job is not None:
            kept = [i for i in job.images if i.path]
            index = int(number) - 1 if number.isdigit() else 0
            if not kept or not 0 <= index < len(job.images) or job.images[index].path is None:
                raise InvalidParams(f"Job {job.id} has no picture {index + 1} that can be used.")
            ref = job.images[index].path or ""
            if not params.prompt.strip():
                params = replace(params, prompt=job.prompt)
        path, size = self.inputs.store(ref)
        if params.mask is not None:
            mask_ref = params.mask.strip()
            mask_job = self.repo.get_job(mask_ref.partition(":")[0]) if re.fullmatch(r"[a-z0-9]{10}(:\d+)?",
                                                                                     mask_ref) else None
            if mask_job is not None:
                mask_ref = next((i.path for i in mask_job.images if i.path), "") or ""
            params = replace(params, mask=self.inputs.store(mask_ref)[0])
        return replace(params, image=path), size

    def store_upload(self, data: bytes) -> str:
        """A picture a member uploaded (a Discord attachment, a Telegram photo), checked and stored EXIF-free; its
        path is what ``GenerationParams.image`` takes. Raises BadImage with a sentence for the member."""
        if self.inputs is None:
            raise BadImage("Input pictures are not supported here.")
        return self.inputs.store(data)[0]

    def cancel(self, job_id: str, requester: Requester) -> str:
        """The requester stops their own job: a queued one never runs, a running one stops between steps. Refunded."""
        user_id = self.repo.find_user(requester.platform, requester.user_id)
        job = self.repo.get_job(job_id)
        if job is None or user_id is None or job.user_id != user_id:
            return f"You have no job {job_id[:20]} to cancel."
        if not self.repo.fail_job(job_id, "cancelled by the requester", refund=True, status=JobStatus.CANCELLED,
                                  user_id=user_id):
            return f"Job {job_id} has already finished ({job.status.value})."
        return f"Job {job_id} cancelled; its pictures were refunded."

    def upscale(self, ref: str, factor: int, requester: Requester) -> Outcome:
        return self.submit(GenerationRequest(requester, GenerationParams("", image=ref, upscale=factor)))

    def variations(self, ref: str, requester: Requester, *, strength: float = 0.6, count: int = 2) -> Outcome:
        """New pictures near a given one: image-to-image from it, with its prompt, new seeds."""
        return self.submit(GenerationRequest(requester, GenerationParams("", image=ref, strength=strength,
                                                                         count=count)))

    def reroll(self, job_id: str, requester: Requester, *, nsfw_allowed: bool = False,
               tiers: frozenset[str] = frozenset()) -> Outcome:
        """Same prompt and settings, a new seed, charged to whoever asks (through every gate again)."""
        job = self.repo.get_job(job_id)
        if job is None:
            return Rejected("gone", "That job no longer exists, so it cannot be rerolled.")
        if job.prompt == PURGED:
            return Rejected("gone", "That job's prompt was removed after the retention period; it cannot be rerolled.")
        return self.submit(GenerationRequest(requester, job.spec.as_request(), job.model, nsfw_allowed, tiers))

    # --- reading --------------------------------------------------------------------------------------------------

    def quota(self, requester: Requester, tiers: frozenset[str] = frozenset()) -> QuotaStatus:
        user_id = self.repo.find_user(requester.platform, requester.user_id)
        now = self.clock.now()
        rules, tier = self._rules(user_id, tiers)
        if user_id is None:
            return QuotaStatus(0, rules.daily_limit, next_midnight(now), 0, window=rules.window, tier=tier)
        return replace(self.repo.quota_status(user_id, rules=rules, now=now), tier=tier)

    def describe_quota(self, requester: Requester, tiers: frozenset[str] = frozenset()) -> str:
        q = self.quota(requester, tiers)
        now = self.clock.now()
        rules, _ = self._rules(None)
        extra = f" (+{q.granted} granted)" if q.granted else ""
        tier = f" Tier: {q.tier}." if q.tier != "default" else ""
        when = _resets(replace(rules, window=q.window), q.resets_at, now)
        period = "today" if q.window == "day" else "in the last 24 hours"
        return (f"Used {q.used} of {q.limit}{extra} pictures {period}; {q.left} left; {when}. "
                f"Jobs waiting or running: {q.queued_jobs}.{tier}")

    def history(self, requester: Requester, limit: int = 10) -> list[Job]:
        user_id = self.repo.find_user(requester.platform, requester.user_id)
        return [] if user_id is None else self.repo.history(user_id, limit)

    def job(self, job_id: str) -> Job | None:
        return self.repo.get_job(job_id)
