"""Wiring shared by every front door: database, service, event bus, dispatcher and — in the embedded default — a
Celery worker thread in this process. ``bots/cli.py`` chooses what to build; this module knows how."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.batching import BatchingPipeline
from core.config import Settings, default_pipeline_threads
from core.delivery import JobWaiter
from core.events import InMemoryEventBus, RedisEventBus
from core.generation import JobRunner, Pipeline
from core.models_registry import ModelSpec, model_specs
from core.moderation import ModerationService, TierConfig
from core.ports import EventBus
from core.service import GenerationService, Limits, SystemClock
from core.storage.db import build_engine, ensure_schema, session_factory
from core.storage.images import LocalImageStore, LocalInputStore
from core.storage.moderation_repo import SqlModerationRepository
from core.storage.repositories import SqlJobRepository
from core.worker import CeleryDispatcher, EmbeddedWorker, configure, set_runner
from core.worker_registry import WorkerRegistry
from safety.image_check import Thresholds, load_image_checker
from safety.license import get_licence
from safety.moderation import StrikePolicy
from safety.prompt_filter import PromptFilter

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    repo: SqlJobRepository
    service: GenerationService
    bus: EventBus
    spec: ModelSpec
    waiter: JobWaiter
    moderation: ModerationService | None = None
    worker: EmbeddedWorker | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        heartbeat = self.extras.get("heartbeat")
        if heartbeat is not None:
            heartbeat.set()
        if self.worker is not None:
            self.worker.stop()
        self.engine.dispose()


def build_moderation(settings: Settings, sessions: sessionmaker[Session], repo: SqlJobRepository,
                     bus: EventBus) -> ModerationService:
    policy = StrikePolicy(settings.strikes_to_suspend, timedelta(days=settings.strike_window_days),
                          timedelta(hours=settings.suspension_hours))
    tiers = TierConfig(settings.quota_daily_images, tuple(sorted(settings.quota_tiers.items())),
                       settings.max_queued_jobs_per_user, settings.quota_window, settings.rate_limit_jobs,
                       settings.rate_limit_seconds)
    return ModerationService(SqlModerationRepository(sessions), repo, SystemClock(), bus, policy, tiers,
                             settings.data_dir / "quarantine", settings.link_code_minutes)


def build_bus(settings: Settings) -> EventBus:
    url = settings.resolved_events_url
    return RedisEventBus(url) if url else InMemoryEventBus()


def build_runner(settings: Settings, repo: SqlJobRepository, bus: EventBus) -> JobRunner:
    """The heavy half: image checker first (fail closed, and cheap to fail), then the pipeline."""
    from core.pipelines import TextToImage

    thresholds = Thresholds(settings.image_review_threshold, settings.image_block_threshold)
    nsfw = Thresholds(settings.image_review_threshold_nsfw, settings.image_block_threshold_nsfw)
    checker = load_image_checker(thresholds, unsafe_skip=settings.unsafe_skip_image_check,
                                 model_path=settings.image_model_path, by_context={"nsfw": nsfw})
    specs = model_specs(settings)
    pipelines: dict[str, Pipeline] = {}
    for name in served_models(settings):
        loaded = TextToImage.load(specs[name].source, settings.models_dir, settings.device,
                                  default_pipeline_threads(settings), low_memory=settings.low_memory,
                                  inpaint_source=settings.inpaint_model, upscaler_source=settings.upscaler)
        pipelines[name] = BatchingPipeline(loaded, settings.batch_max, settings.batch_wait_ms / 1000) \
            if settings.batch_max > 1 else loaded
    single = next(iter(pipelines.values())) if len(pipelines) == 1 else None
    return JobRunner(repo, single or pipelines, checker, LocalImageStore(settings.images_dir), bus, SystemClock())


def served_models(settings: Settings) -> list[str]:
    """The models this worker process loads (``MURALIST_WORKER_MODELS``, default the default model)."""
    from core.pipelines import ModelLoadError

    specs = model_specs(settings)
    names = settings.worker_models or [next(iter(specs))]
    unknown = [n for n in names if n not in specs]
    if unknown:
        raise ModelLoadError(f"MURALIST_WORKER_MODELS names unknown models {unknown}; configured: {list(specs)}")
    return names


def build_runtime(settings: Settings, *, embedded_worker: bool | None = None) -> Runtime:
    """Open the database (migrating the embedded SQLite file, refusing an unmigrated server database), build the
    service, and start an in-process worker when no broker is configured."""
    engine = build_engine(settings)
    ensure_schema(engine, auto_migrate=engine.url.get_backend_name() == "sqlite")
    sessions = session_factory(engine)
    repo = SqlJobRepository(sessions)
    bus = build_bus(settings)
    specs = model_specs(settings)
    spec = next(iter(specs.values()))
    registry = WorkerRegistry(sessions)
    configure(settings, spec.queue)
    moderation = build_moderation(settings, sessions, repo, bus)
    service = GenerationService(
        repo, CeleryDispatcher(), PromptFilter(semantic=settings.prompt_semantic), spec, get_licence(spec.licence_id),
        Limits(settings.quota_daily_images, settings.max_queued_jobs_per_user, settings.max_prompt_chars),
        licence_file=settings.licence_text_path, moderation=moderation,
        inputs=LocalInputStore(settings.data_dir / "inputs"), models=specs, served=registry.serving)
    runtime = Runtime(settings, engine, repo, service, bus, spec, JobWaiter(repo, bus), moderation=moderation)
    if settings.embedded if embedded_worker is None else embedded_worker:
        try:
            set_runner(build_runner(settings, repo, bus))
            names = served_models(settings)
            runtime.worker = EmbeddedWorker([specs[n].queue for n in names], settings.worker_pool or "threads",
                                            max(settings.worker_concurrency, settings.batch_max))
            runtime.worker.start()
            runtime.extras["heartbeat"] = registry.start_heartbeat(f"embedded:{os.getpid()}:{id(runtime)}", names)
        except BaseException:
            engine.dispose()
            raise
    return runtime
