"""Every Prometheus metric of every muralist process, defined once, and the one-line helpers the code calls.

The names here are the contract with ``ops/grafana-dashboard.json`` (a test checks every series the dashboard queries
exists). Call sites stay one line each (``metrics.job_submitted(model)``) so the code they sit in reads as before.

Multiprocess: when ``PROMETHEUS_MULTIPROC_DIR`` is set before this module is imported, prometheus_client keeps every
value in files under that folder and :func:`exposition` merges all processes' files (a web server with several
worker processes, or any pre-forking server). Each gauge says how its processes' values combine. Without it, one
process serves its own values from the default registry.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

# Seconds, from a miniature job on a CPU (a tenth of a second) to a large one on a busy GPU (minutes).
_JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600)
# One stage of a job or a submit: a database round trip (a millisecond) to a slow image check (seconds).
_STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

JOBS_SUBMITTED = Counter("muralist_jobs_submitted", "Jobs accepted and enqueued, by model.", ["model"])
JOBS_STARTED = Counter("muralist_jobs_started", "Jobs a worker started, by model.", ["model"])
JOBS_FINISHED = Counter("muralist_jobs_finished", "Jobs finished with their pictures recorded, by model.", ["model"])
JOBS_FAILED = Counter("muralist_jobs_failed", "Jobs that failed (and were refunded), by model.", ["model"])
QUEUE_DEPTH = Gauge("muralist_queue_depth", "Jobs waiting in the database for each model queue (every reconciler "
                    "round).", ["queue"], multiprocess_mode="mostrecent")
QUEUE_SECONDS = Histogram("muralist_job_queue_seconds", "From submit to a worker starting the job.", ["model"],
                          buckets=_JOB_BUCKETS)
GENERATION_SECONDS = Histogram("muralist_job_generation_seconds", "The pipeline's time for one job (all its "
                               "pictures).", ["model"], buckets=_JOB_BUCKETS)
STAGE_SECONDS = Histogram("muralist_stage_seconds", "Time spent in one stage of a submit or a job, besides the "
                          "pipeline.", ["stage"], buckets=_STAGE_BUCKETS)
PICTURES = Counter("muralist_pictures", "Pictures judged by the image check, by decision and category.",
                   ["decision", "category"])
PROMPT_VERDICTS = Counter("muralist_prompt_verdicts", "Prompt filter verdicts by decision and category (a verdict "
                          "with two categories counts once in each), the member's language and the prompt's script.",
                          ["decision", "category", "language", "script"])
DELIVERIES = Counter("muralist_deliveries", "Finished jobs delivered to their chat, by platform.", ["platform"])
DELIVERY_RETRIES = Counter("muralist_delivery_retries", "Failed sends handed back for a retry, by platform.",
                           ["platform"])
RECONCILER_ACTIONS = Counter("muralist_reconciler_actions", "Repairs made by the reconciler: requeued, taken_back, "
                             "failed.", ["action"])
LAST_HEARTBEAT = Gauge("muralist_worker_last_heartbeat_timestamp_seconds", "When this worker last wrote its "
                       "heartbeat (Unix time).", multiprocess_mode="max")
GPU_MEMORY = Gauge("muralist_gpu_memory_bytes", "GPU memory after the last job: allocated, peak and reserved.",
                   ["device", "kind"], multiprocess_mode="livemax")

# Stages timed by :func:`stage` (the bench reads them back to say where the stack's time goes).
STAGES = ("submit", "prompt_filter", "submit_db", "enqueue", "start_db", "image_check", "png", "finish_db")
STATES = ("requeued", "taken_back", "failed")

_last_beat: float | None = None  # this process's last heartbeat, for the age computed at scrape time


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


# --- the helpers the code calls (one line each at the call site) --------------------------------------------------


def job_submitted(model: str) -> None:
    JOBS_SUBMITTED.labels(model).inc()


def job_started(model: str, queued_s: float) -> None:
    JOBS_STARTED.labels(model).inc()
    QUEUE_SECONDS.labels(model).observe(max(0.0, queued_s))


def job_generated(model: str, seconds: float) -> None:
    GENERATION_SECONDS.labels(model).observe(seconds)


def job_finished(model: str) -> None:
    JOBS_FINISHED.labels(model).inc()


def job_failed(model: str) -> None:
    JOBS_FAILED.labels(model).inc()


class _VerdictLike(Protocol):
    @property
    def decision(self) -> Any: ...
    @property
    def categories(self) -> tuple[str, ...]: ...


def pictures_judged(verdicts: Iterable[_VerdictLike]) -> None:
    for verdict in verdicts:
        for category in verdict.categories or ("none",):
            PICTURES.labels(str(verdict.decision), category).inc()


def prompt_judged(verdict: _VerdictLike, language: str, prompt: str) -> None:
    lang, script = _bounded_language(language), prompt_script(prompt)
    for category in verdict.categories or ("none",):
        PROMPT_VERDICTS.labels(str(verdict.decision), category, lang, script).inc()


def delivered(platform: str) -> None:
    DELIVERIES.labels(platform).inc()


def delivery_retried(platform: str) -> None:
    DELIVERY_RETRIES.labels(platform).inc()


def reconciled(requeued: Sequence[str], taken_back: Sequence[str], failed: Sequence[str]) -> None:
    for action, jobs in zip(STATES, (requeued, taken_back, failed), strict=True):
        if jobs:
            RECONCILER_ACTIONS.labels(action).inc(len(jobs))


def queue_depths(queued: Mapping[str, int], queues: Iterable[str] = ()) -> None:
    """Set every queue's depth; queues this process knows of but that hold no job are set to 0, not left stale."""
    for queue in {*queues, *queued}:
        QUEUE_DEPTH.labels(queue).set(queued.get(queue, 0))


def heartbeat() -> None:
    global _last_beat
    _last_beat = time.time()
    LAST_HEARTBEAT.set(_last_beat)


def gpu_memory(sample: Mapping[tuple[str, str], float]) -> None:
    """``{(device, kind): bytes}`` as the pipelines measured it (empty on a CPU)."""
    for (device, kind), value in sample.items():
        GPU_MEMORY.labels(device, kind).set(value)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """``with metrics.stage("png"): ...`` — the stage's time goes to ``muralist_stage_seconds``."""
    started = time.perf_counter()
    try:
        yield
    finally:
        STAGE_SECONDS.labels(name).observe(time.perf_counter() - started)


# --- labels that must stay bounded ---------------------------------------------------------------------------------

_LANGUAGES = ("en", "zh")
_SCRIPTS = (  # (first code point, last code point, script): the scripts the prompt filter reads
    (0x0400, 0x04FF, "cyrillic"), (0x0600, 0x06FF, "arabic"), (0x0900, 0x097F, "devanagari"),
    (0x3040, 0x30FF, "kana"), (0x3400, 0x4DBF, "han"), (0x4E00, 0x9FFF, "han"), (0xAC00, 0xD7AF, "hangul"),
    (0xF900, 0xFAFF, "han"),
)


def _bounded_language(language: str) -> str:
    """A member's language tag comes from the platform: only known languages become a label value."""
    tag = (language or "").lower()
    return next((lang for lang in _LANGUAGES if tag.startswith(lang)), "other")


def prompt_script(prompt: str) -> str:
    """The prompt's main writing system (a language hint no member can turn into a new label value): the script of
    most of its letters; ``latin`` for ASCII and Latin letters, ``other`` when there are no letters."""
    counts: dict[str, int] = {}
    for char in prompt[:1000]:
        if not char.isalpha():
            continue
        code = ord(char)
        script = "latin" if code < 0x0250 else next((s for lo, hi, s in _SCRIPTS if lo <= code <= hi), "other")
        counts[script] = counts.get(script, 0) + 1
    if not counts:
        return "other"
    # Kana beside han is Japanese: Japanese text is mostly han, so the kana decides.
    if counts.get("kana"):
        return "kana"
    return max(counts, key=lambda s: counts[s])


# --- exposition ----------------------------------------------------------------------------------------------------


class _HeartbeatAge(Collector):
    """Seconds since this process's last heartbeat, computed when scraped (a stuck heartbeat thread shows as a
    growing age, which a stored value could not)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if _last_beat is not None:
            yield GaugeMetricFamily("muralist_worker_heartbeat_age_seconds", "Seconds since this worker last wrote "
                                    "its heartbeat.", value=max(0.0, time.time() - _last_beat))


_AGE = _HeartbeatAge()
REGISTRY.register(_AGE)


def registry() -> CollectorRegistry:
    """What /metrics serves: this process's metrics, or — in multiprocess mode — every process's, merged."""
    if multiprocess_dir() is None:
        return REGISTRY
    from prometheus_client import multiprocess

    merged = CollectorRegistry()
    multiprocess.MultiProcessCollector(merged)
    merged.register(_AGE)
    return merged


def exposition() -> tuple[bytes, str]:
    """(body, content type) of a /metrics answer, in Prometheus's text format."""
    return generate_latest(registry()), CONTENT_TYPE_LATEST


def sample(name: str, labels: Mapping[str, str] | None = None) -> float:
    """One sample's current value in this process (0 when it has none yet): for the bench and the tests."""
    return REGISTRY.get_sample_value(name, dict(labels or {})) or 0.0
