"""The worker's job runner, free of Celery so it can be unit-tested: load the job, run the pipeline, check every
picture, store what may leave, record verdicts, finish — idempotent on the job id."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

from PIL import Image

from core import __version__, metrics
from core.content_credentials import SIGNED, ContentSigner
from core.domain import Decision, ImageRecord, Job, Verdict
from core.events import FINISHED, PROGRESS
from core.pipelines import JobCancelled, TextToImageOutput, gpu_memory
from core.ports import Clock, EventBus, ImageStore, JobRepository
from core.progress import PREVIEW_INTERVAL_S, PreviewSource, ProgressCallback, ProgressEvent
from core.provenance import stamp
from core.retrying import is_outage, with_retry
from core.spec import JobSpec

log = logging.getLogger(__name__)


class Pipeline(Protocol):
    def __call__(self, spec: JobSpec, progress: ProgressCallback | None = None) -> TextToImageOutput: ...


class Checker(Protocol):
    def check(self, images: Any, context: str = "default") -> list[Verdict]: ...


class HandedBack(Exception):
    """The worker is shutting down: the running job goes back to the queue for another worker."""


class RunResult(StrEnum):
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # already finished: a redelivered task does nothing
    CANCELLED = "cancelled"
    HANDED_BACK = "handed back"  # the worker stopped mid-job (SIGTERM): queued again, for another worker


@dataclass
class ProgressThrottle:
    """Publish at most every ``interval`` seconds (and always the last step) so chat edits stay within rate limits;
    a preview picture goes along at most every ``preview_interval`` seconds, the first one that long after the job
    started (the first steps are noise), never with the last step (the pictures themselves come next)."""

    bus: EventBus
    job_id: str
    interval: float = 0.5
    cancelled: Callable[[str], bool] | None = None
    preview_interval: float = PREVIEW_INTERVAL_S
    allow_preview: Callable[[bytes], bool] | None = None  # the image check: None publishes no preview at all
    monotonic: Callable[[], float] = time.monotonic
    _last: float = float("-inf")
    _last_preview: float = field(init=False)

    def __post_init__(self) -> None:
        self._last_preview = self.monotonic()

    def __call__(self, step: int, total: int, preview: PreviewSource | None = None) -> None:
        now = self.monotonic()
        if step == total or now - self._last >= self.interval:
            self._last = now
            # Checked at the same pace as progress: a cancelled job stops between steps, not after the last one.
            if self.cancelled is not None and self.cancelled(self.job_id):
                raise JobCancelled(self.job_id)
            self.bus.publish(PROGRESS, ProgressEvent(self.job_id, step, total,
                                                     self._preview(step, total, preview, now)).payload())

    def _preview(self, step: int, total: int, preview: PreviewSource | None, now: float) -> bytes | None:
        if preview is None or self.allow_preview is None or step >= total \
                or now - self._last_preview < self.preview_interval:
            return None
        self._last_preview = now
        try:
            picture = preview()
            # A preview leaves the worker like any picture: only what the image check allows (fail closed).
            return picture if picture is not None and self.allow_preview(picture) else None
        except Exception:  # a preview is a nicety: it never fails the job
            log.warning("could not make a preview of job %s", self.job_id, exc_info=True)
            return None


def _at_least_review(verdict: Verdict) -> Verdict:
    if verdict.decision is not Decision.ALLOW:
        return verdict
    return replace(verdict, decision=Decision.REVIEW, evidence=(*verdict.evidence, "prompt under review"))


def _metadata(job: Job, seed: int) -> dict[str, str]:
    spec = job.spec
    return {"Software": f"muralist {__version__}", "AI-Generated": "true", "Kind": spec.kind, "Prompt": spec.prompt,
            "NegativePrompt": spec.negative_prompt, "Seed": str(seed), "Model": job.model, "JobId": job.id,
            "Steps": str(spec.steps), "CFG": f"{spec.cfg:g}"}


def _sealer(signer: ContentSigner, job: Job, index: int, outcome: list[str]) -> Callable[[bytes], bytes]:
    """Adds C2PA content credentials to the encoded PNG (its text chunks stay). A picture that fails to sign is still
    delivered — it keeps its mark — and its record says why: the certificate itself was proven at start-up, so this
    is one picture's trouble, not a reason to withhold it. The log line carries the library's reason, never a key."""

    def seal(png: bytes) -> bytes:
        try:
            signed = signer.sign_png(png, job.id, job.model)
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"[:300]
            log.warning("job %s picture %d: no content credentials (%s)", job.id, index + 1, reason)
            outcome.append(f"no content credentials: {reason}")
            return png
        outcome.append(SIGNED)
        return signed

    return seal


class JobRunner:
    def __init__(self, repo: JobRepository, pipeline: Pipeline | Mapping[str, Pipeline], checker: Checker,
                 store: ImageStore, bus: EventBus, clock: Clock, worker: str | None = None,
                 credentials: ContentSigner | None = None) -> None:
        self.repo = repo
        # One pipeline, or one per model this worker loaded (its queues are exactly those models).
        self.pipelines: Mapping[str, Pipeline] | None = pipeline if isinstance(pipeline, Mapping) else None
        self.pipeline: Pipeline | None = None if isinstance(pipeline, Mapping) else pipeline
        self.checker = checker
        self.store = store
        self.bus = bus
        self.clock = clock
        self.credentials = credentials  # signs every delivered PNG with C2PA content credentials, when configured
        self.worker = worker  # this process's name in the worker registry: the reconciler knows who holds a job
        # Set on SIGTERM: the job in hand stops at the next step and goes back to the queue, so shutdown takes
        # seconds, not the rest of a generation.
        self.stopping = threading.Event()
        self._in_hand = 0
        self._idle = threading.Condition()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no job is in hand (after ``stopping`` is set, the one in hand goes back within a step)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_hand == 0, timeout)

    def run(self, job_id: str) -> RunResult:
        """Raises :class:`StorageUnavailable` when the database stayed down through the retries: the task then hands
        its message back rather than acknowledge a job it could not record."""
        with self._idle:  # checked and counted at once, so wait_idle never misses a job that is just starting
            if self.stopping.is_set():  # a message redelivered while shutting down is left for the next worker
                return RunResult.HANDED_BACK
            self._in_hand += 1
        try:
            return self._start(job_id)
        finally:
            with self._idle:
                self._in_hand -= 1
                self._idle.notify_all()

    def _start(self, job_id: str) -> RunResult:
        with metrics.stage("start_db"):
            job = with_retry(lambda: self.repo.start_job(job_id, self.clock.now(), self.worker), "start a job")
        if job is None:
            log.info("job %s is already finished or unknown; redelivery ignored", job_id)
            return RunResult.SKIPPED
        metrics.job_started(job.model, (self.clock.now() - job.created_at).total_seconds())
        return self._run(job)

    def _run(self, job: Job) -> RunResult:
        job_id = job.id
        try:
            blocked = self._blocked_input(job)
            if blocked is not None:
                if self.repo.fail_job(job_id, f"refused: the {blocked} was blocked by the image check", refund=True):
                    metrics.job_failed(job.model)
                    self.bus.publish(FINISHED, {"job_id": job_id, "status": "failed"})
                return RunResult.FAILED
            pipeline = self.pipeline if self.pipelines is None else self.pipelines.get(job.model)
            if pipeline is None:
                raise RuntimeError(f"this worker does not serve the model {job.model}")
            started = time.perf_counter()
            out = pipeline(job.spec, ProgressThrottle(self.bus, job.id, cancelled=self._cancelled,
                                                      allow_preview=self.preview_check(job)))
            metrics.job_generated(job.model, time.perf_counter() - started)
            metrics.gpu_memory(gpu_memory())
            # Fail closed: if the check raises, the job fails and no picture is stored.
            with metrics.stage("image_check"):
                verdicts = self.checker.check(out.images, "nsfw" if job.nsfw_allowed else "default")
            if job.prompt_review:  # the prompt was doubtful: nothing from it goes out unreviewed
                verdicts = [_at_least_review(v) for v in verdicts]
            if len(verdicts) != len(out.images):
                raise RuntimeError("the image check returned the wrong number of verdicts")
            records = [self._keep(job, i, image, seed, verdict, out.method)
                       for i, (image, seed, verdict) in enumerate(zip(out.images, out.seeds, verdicts, strict=True))]
        except HandedBack:
            log.warning("worker stopping: job %s goes back to the queue", job_id)
            with_retry(lambda: self.repo.hand_back(job_id, self.worker, self.clock.now()), "hand a job back", 10.0)
            return RunResult.HANDED_BACK
        except JobCancelled:
            log.info("job %s cancelled while running", job_id)
            self.bus.publish(FINISHED, {"job_id": job_id, "status": "cancelled"})
            return RunResult.CANCELLED
        except Exception as exc:
            log.exception("job %s failed", job_id)
            reason = f"{type(exc).__name__}: {exc}"
            if with_retry(lambda: self.repo.fail_job(job_id, reason, refund=True), "record a failed job"):
                metrics.job_failed(job.model)
                self.bus.publish(FINISHED, {"job_id": job_id, "status": "failed"})
            return RunResult.FAILED
        # The pictures are made: an outage now must not throw them away, so recording waits out a long one.
        with metrics.stage("finish_db"):
            recorded = with_retry(lambda: self.repo.finish_job(job_id, records, verdicts, self.clock.now()),
                                  "record a finished job", budget_s=600.0)
        if not recorded:
            log.info("job %s was finished by another delivery of the same task", job_id)
            return RunResult.SKIPPED
        metrics.pictures_judged(verdicts)
        metrics.job_finished(job.model)
        self.bus.publish(FINISHED, {"job_id": job_id, "status": "done"})
        return RunResult.DONE

    def _cancelled(self, job_id: str) -> bool:
        """Asked between steps; a database hiccup then means "not cancelled", never a failed job."""
        if self.stopping.is_set():
            raise HandedBack(job_id)
        try:
            return self.repo.is_cancelled(job_id)
        except Exception as exc:
            if not is_outage(exc):
                raise
            log.warning("could not check whether job %s was cancelled (database unreachable)", job_id)
            return False

    def preview_check(self, job: Job) -> Callable[[bytes], bool] | None:
        """Previews pass the same image check as the pictures, in the job's context; only "allow" is shown (a
        review-band preview could not go behind a spoiler the way a result does, so it is not shown at all). A job
        whose prompt is under review shows none: its pictures go out behind a spoiler at best."""
        if job.prompt_review:
            return None
        context = "nsfw" if job.nsfw_allowed else "default"

        def allowed(jpeg: bytes) -> bool:
            import io

            from PIL import Image as PILImage

            with PILImage.open(io.BytesIO(jpeg)) as picture:
                (verdict,) = self.checker.check([picture.convert("RGB")], context)
            return verdict.decision is Decision.ALLOW

        return allowed

    def _blocked_input(self, job: Job) -> str | None:
        """Input pictures pass the image check too — the picture to start from and a style reference alike: a
        blocked one refuses the job before anything is generated. Returns what was blocked, or None."""
        from PIL import Image as PILImage

        for name, path in (("input picture", job.spec.image), ("style reference picture", job.spec.style_image)):
            if path is None:
                continue
            with PILImage.open(path) as picture:
                (verdict,) = self.checker.check([picture.convert("RGB")], "nsfw" if job.nsfw_allowed else "default")
            if verdict.decision is Decision.BLOCK:
                return name
        return None

    def _keep(self, job: Job, index: int, image: Image.Image, seed: int, verdict: Verdict,
              method: str = "") -> ImageRecord:
        score = verdict.scores.get("nsfw")
        if verdict.decision is Decision.BLOCK:
            # A blocked picture never leaves the worker: only its fingerprint and verdict are kept.
            digest = hashlib.sha256(image.tobytes()).hexdigest()
            return ImageRecord(index, seed, image.width, image.height, digest, verdict.decision, score, None)
        image, mark = stamp(image)  # the invisible provenance mark, after the check: what leaves carries it
        outcome: list[str] = []
        with metrics.stage("png"):
            path, digest = self.store.save(image, {**_metadata(job, seed), "Method": method},
                                           None if self.credentials is None
                                           else _sealer(self.credentials, job, index, outcome))
        return ImageRecord(index, seed, image.width, image.height, digest, verdict.decision, score, path,
                           mark.mark_id, mark.status.value, outcome[0] if outcome else None)

