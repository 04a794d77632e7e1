"""The generation service: every adapter's single entry point.

``submit`` runs the gates in a fixed order — licence → params → the chat's limits → prompt filter → quota — and only
then writes the job and its quota reservation in one transaction and enqueues ``generate(job_id)``. A refusal is one
clear sentence and changes nothing (a blocked prompt's verdict is logged: every decision is).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from core import __version__, metrics
from core.chat_policy import hold_to_limits
from core.domain import (
    PURGED,
    Accepted,
    ChatLimits,
    Decision,
    GenerationRequest,
    Job,
    JobStatus,
    Notice,
    Outcome,
    QuotaRules,
    QuotaSettings,
    QuotaStatus,
    Rejected,
    Requester,
    next_midnight,
)
from core.inputs import InputRefused, InputResolver
from core.models_registry import ModelSpec
from core.moderation import QuotaTiers, Sanctions
from core.params import MAX_PROMPT_CHARS, InvalidParams, check_params
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


def _resets(window: str, when: datetime, now: datetime) -> tuple[str, dict[str, object]]:
    """When the quota frees up, as a catalogue message (code, values)."""
    if window == "rolling":
        return "resets_rolling", {"at": f"{when:%H:%M}", "wait": _until(when, now)}
    return "resets_day", {"wait": _until(when, now)}


def _until(when: datetime, now: datetime) -> str:
    minutes = max(0, int((when - now).total_seconds() // 60))
    return f"{minutes // 60}h {minutes % 60:02d}m"


class GenerationService:
    def __init__(self, repo: JobRepository, dispatcher: Dispatcher, prompt_filter: PromptFilter,
                 default_model: ModelSpec, licence: Licence, quota: QuotaSettings, clock: Clock | None = None,
                 licence_file: Path | None = None, sanctions: Sanctions | None = None,
                 quota_tiers: QuotaTiers | None = None, inputs: LocalInputStore | None = None,
                 models: dict[str, ModelSpec] | None = None, served: Callable[[str], bool] | None = None,
                 max_prompt_chars: int = MAX_PROMPT_CHARS) -> None:
        self.repo = repo
        self.dispatcher = dispatcher
        self.prompt_filter = prompt_filter
        self.default_model = default_model
        self.licence = licence
        self.quota_settings = quota
        self.max_prompt_chars = max_prompt_chars
        self.clock = clock or SystemClock()
        # Bans and strikes, and admin-granted tiers and pictures; None in the smallest unit tests.
        self.sanctions = sanctions
        self.quota_tiers = quota_tiers
        self.inputs = inputs  # where input pictures are kept; None where only text-to-image is served
        self.models = models or {default_model.name: default_model}  # every configured model
        self.served = served  # is a worker serving this model right now? None: do not ask (unit tests)
        # Shown only when its hash matches the metadata, so users read exactly the text they accept.
        self.licence_file = licence_file if verified_text(licence, licence_file) is not None else None

    # --- licence --------------------------------------------------------------------------------------------------

    def licence_text(self) -> str:
        text = render(self.licence)
        if self.licence_file is not None:
            text += f"\nThe full official text is at {self.licence_file} (checked against its sha256)."
        return text

    def accept_licence(self, requester: Requester) -> Notice:
        user_id = self.repo.ensure_user(requester)
        names: dict[str, object] = {"licence": self.licence.name, "version": self.licence.version}
        if self.repo.has_accepted(user_id, self.licence.id, self.licence.sha256) or not self.repo.record_acceptance(
                user_id, requester, self.licence.id, self.licence.version, self.licence.sha256, __version__):
            return Notice("licence_already", names)
        return Notice("licence_accepted", names)

    # --- submit ---------------------------------------------------------------------------------------------------

    def submit(self, request: GenerationRequest) -> Outcome:
        with metrics.stage("submit"):
            return self._submit(request)

    def _submit(self, request: GenerationRequest) -> Outcome:
        requester = request.requester
        user_id = self.repo.find_user(requester.platform, requester.user_id)
        history = None
        if user_id is not None:
            self.repo.remember_names(requester)  # moderators see the name the member uses now
        if user_id is not None and self.sanctions is not None:
            history = self.sanctions.history(user_id)  # read once: for the ban and the tier
            ban = self.sanctions.ban_status(user_id, history)
            if ban.banned:
                until = ("until_permanent", {}) if ban.until is None else (
                    "until_time", {"until": f"{ban.until:%Y-%m-%d %H:%M}"})
                return Rejected("banned", {"until_code": until, "reason": ban.reason or "",
                                           "reason_text": f": {ban.reason}" if ban.reason else ""})
        model = self.models.get(request.model or self.default_model.name)
        if model is None:
            return Rejected("model", {"message": "model_unknown", "model": str(request.model)[:60],
                                      "models": ", ".join(self.models)})
        licence = self.licence if model.licence_id == self.licence.id else get_licence(model.licence_id)
        if user_id is None or not self.repo.has_accepted(user_id, licence.id, licence.sha256):
            return Rejected("licence", {"licence": licence.name})
        if self.served is not None and not self.served(model.name):
            return Rejected("model", {"message": "model_unserved", "model": model.name})
        request_params, input_size = request.params, None
        if request_params.image is not None or request_params.style_image is not None:
            try:
                request_params, input_size = self.inputs_for(requester).resolve(request_params)
            except InputRefused as exc:
                return Rejected("input", {"message": exc.code, **exc.values})
            except InvalidParams as exc:
                return Rejected("input", exc.said())
            except BadImage as exc:
                return Rejected("input", exc.said())
        try:
            params = check_params(request_params, model, max_prompt_chars=self.max_prompt_chars,
                                  input_size=input_size)
        except InvalidParams as exc:
            return Rejected("params", exc.said())
        held = hold_to_limits(request_params, params, request.limits, request.defaulted)
        if isinstance(held, Rejected):  # beyond the chat's limit: one sentence naming it, nothing queued
            return held
        params = held

        with metrics.stage("prompt_filter"):
            verdict = self.prompt_filter.check(params.prompt, params.negative_prompt,
                                               nsfw_allowed=request.nsfw_allowed)
        metrics.prompt_judged(verdict, requester.language, params.prompt)
        if verdict.decision is Decision.BLOCK:
            self.repo.record_prompt_verdict(user_id, verdict, params.prompt, None)
            values: dict[str, object] = {"categories": ", ".join(c.replace("_", " × ") for c in verdict.categories),
                                         "blocked": list(verdict.categories)}
            if self.sanctions is not None:
                suspended = self.sanctions.strike_for_prompt(user_id, verdict.categories, params.prompt)
                if suspended is not None:
                    values["suspended"] = suspended
            return Rejected("prompt", values)

        now = self.clock.now()
        # An NSFW context relaxes the picture thresholds for adult content only: a prompt with a minor or a real
        # person in it is judged with the strict thresholds, whatever the channel allows.
        relax_images = request.nsfw_allowed and not verdict.signals
        new = NewJob(user_id, requester, spec=params, model=model.name, queue=model.queue, nsfw_allowed=relax_images,
                     prompt_review=verdict.decision is Decision.REVIEW)
        rules, _tier = self._rules(user_id, request.tiers, history)
        with metrics.stage("submit_db"):
            created = self.repo.create_job(new, rules=rules, now=now, verdict=(verdict, params.prompt))
        if isinstance(created, QuotaRefusal):
            return self._quota_refusal(created, params.count, rules, now)
        try:
            with metrics.stage("enqueue"):
                self.dispatcher.enqueue(created, model.queue)
        except Exception as exc:  # the broker is transport: if it is down, undo cleanly and say so
            log.exception("enqueue of job %s failed", created)
            self.repo.fail_job(created, f"enqueue failed: {exc}", refund=True)
            return Rejected("unavailable")
        metrics.job_submitted(model.name)
        return Accepted(created, self.repo.queue_places([created]).get(created), request.params)

    def _rules(self, user_id: int | None, tiers: frozenset[str] = frozenset(),
               history: list[Event] | None = None) -> tuple[QuotaRules, str]:
        if self.quota_tiers is not None:
            return self.quota_tiers.quota_rules(user_id, tiers, history)
        return self.quota_settings.rules_for(tiers)

    def _quota_refusal(self, refusal: QuotaRefusal, count: int, rules: QuotaRules, now: datetime) -> Rejected:
        if refusal.reason == "queued":
            return Rejected("queue_cap", {"queued": refusal.queued, "limit": rules.max_queued})
        if refusal.reason == "rate":
            wait = max(1, math.ceil(((refusal.retry_at or now) - now).total_seconds()))
            return Rejected("rate", {"jobs": rules.burst_jobs, "seconds": rules.burst_seconds, "wait": wait})
        total = refusal.limit + refusal.granted
        asked = ("asked_many", {"count": count}) if count != 1 else ("asked_one", {})
        return Rejected("quota", {"asked_code": asked, "left": max(0, total - refusal.used), "total": total,
                                  "resets_code": _resets(rules.window, refusal.resets_at, now)})

    def inputs_for(self, requester: Requester) -> InputResolver:
        """How this requester may name an input picture: an upload id or a job reference it may see; a file path
        only for a local operator at the console."""
        if self.inputs is None:
            raise InputRefused("input_unsupported")
        return InputResolver(self.repo, self.inputs, requester, self.repo.find_user(requester.platform,
                                                                                    requester.user_id))

    def store_upload(self, data: bytes) -> str:
        """A picture a member uploaded (a Discord attachment, a Telegram photo), checked and stored EXIF-free; the
        returned upload id is what ``GenerationParams.image`` takes. Raises BadImage with a sentence for the member."""
        if self.inputs is None:
            raise BadImage("Input pictures are not supported here.", "input_unsupported")
        return self.inputs.store_upload(data)

    def cancel(self, job_id: str, requester: Requester) -> Notice | Rejected:
        """The requester stops their own job: a queued one never runs, a running one stops between steps. Refunded."""
        user_id = self.repo.find_user(requester.platform, requester.user_id)
        job = self.repo.get_job(job_id)
        if job is None or user_id is None or job.user_id != user_id:
            return Rejected("cancel_none", {"job_id": job_id[:20]})
        if not self.repo.fail_job(job_id, "cancelled by the requester", refund=True, status=JobStatus.CANCELLED,
                                  user_id=user_id):
            return Rejected("cancel_finished", {"job_id": job_id, "status": job.status.value})
        return Notice("cancelled", {"job_id": job_id})

    def reroll(self, job_id: str, requester: Requester, *, nsfw_allowed: bool = False,
               tiers: frozenset[str] = frozenset(), limits: ChatLimits | None = None) -> Outcome:
        """Same prompt and settings, a new seed, charged to whoever asks (through every gate again)."""
        job = self.repo.get_job(job_id)
        if job is None:
            return Rejected("gone")
        if job.prompt == PURGED:
            return Rejected("purged")
        return self.submit(GenerationRequest(requester, job.spec.as_request(), job.model, nsfw_allowed, tiers,
                                             limits or ChatLimits()))

    # --- reading --------------------------------------------------------------------------------------------------

    def quota(self, requester: Requester, tiers: frozenset[str] = frozenset()) -> QuotaStatus:
        user_id = self.repo.find_user(requester.platform, requester.user_id)
        now = self.clock.now()
        rules, tier = self._rules(user_id, tiers)
        if user_id is None:
            return QuotaStatus(0, rules.daily_limit, next_midnight(now), 0, window=rules.window, tier=tier)
        return replace(self.repo.quota_status(user_id, rules=rules, now=now), tier=tier)

    def describe_quota(self, requester: Requester, tiers: frozenset[str] = frozenset()) -> Notice:
        q = self.quota(requester, tiers)
        return Notice("quota_status", {
            "used": q.used, "limit": q.limit, "left": q.left, "queued": q.queued_jobs,
            "granted_code": ("granted_text", {"granted": q.granted}) if q.granted else None,
            "tier_code": ("tier_text", {"tier": q.tier}) if q.tier != "default" else None,
            "period_code": ("period_day" if q.window == "day" else "period_rolling", {}),
            "resets_code": _resets(q.window, q.resets_at, self.clock.now())})

    def history(self, requester: Requester, limit: int = 10) -> list[Job]:
        user_id = self.repo.find_user(requester.platform, requester.user_id)
        return [] if user_id is None else self.repo.history(user_id, limit)

    def queue_places(self, job_ids: list[str]) -> dict[str, int | None]:
        return self.repo.queue_places(job_ids)
