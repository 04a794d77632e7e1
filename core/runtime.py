"""The one composition root: everything a process runs is wired here, once — the database, the services, the
application facade, the event bus, the Celery app (from its factory) and, in the embedded default, a worker thread.

Front doors ask for what they need: ``build_runtime`` (bots and the console: the facade), ``build_operator``
(``muralist admin``: no worker, no model), ``serve_worker`` (``muralist worker``), and the database chores. Startup
refusals come back as :class:`StartupError` with one sentence for the operator.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from celery.signals import after_setup_logger, after_setup_task_logger, worker_shutting_down
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.app import Muralist
from core.batching import BatchingPipeline
from core.chat_settings import ChatSettings
from core.config import Settings, default_pipeline_threads
from core.content_credentials import ContentSigner, CredentialsUnusable, load_signer
from core.delivery import JobWaiter
from core.domain import WORKER_STALE_S, QuotaSettings, Requester
from core.events import InMemoryEventBus, RedisEventBus
from core.generation import JobRunner, Pipeline
from core.health import HealthServer, Readiness, broker_check, database_check, image_check_loaded
from core.logs import Redactor, install_redaction, secrets_of
from core.models_registry import ModelSpec, model_specs
from core.moderation import Moderation, build_moderation
from core.operator import Operator
from core.ports import EventBus
from core.reconciler import Reconciler, worker_name
from core.service import GenerationService, SystemClock
from core.storage.db import (
    SchemaNotReady,
    build_engine,
    current_revision,
    ensure_schema,
    head_revision,
    session_factory,
    upgrade,
)
from core.storage.images import LocalImageStore, LocalInputStore
from core.storage.leases import SqlJobLeases
from core.storage.moderation_repo import SqlModerationRepository
from core.storage.repositories import SqlJobRepository
from core.storage.web_repo import SqlWebConsoleRepository
from core.verification import Verification, Verifier
from core.voice import Transcriber, VoiceUnavailable, check_model_folder
from core.web_console import ModerationConsole
from core.worker import CeleryBrokerProbe, CeleryDispatcher, EmbeddedWorker, MuralistCelery, create_celery_app
from core.worker_registry import WorkerRegistry
from safety.image_check import Thresholds, load_image_checker
from safety.license import get_licence
from safety.moderation import StrikePolicy
from safety.prompt_filter import PromptFilter

log = logging.getLogger(__name__)
HEARTBEAT_S = 10.0  # a worker process says it is alive this often (WORKER_STALE_S says when it is taken for dead)
RECONCILE_S = 10.0


class StartupError(RuntimeError):
    """The process cannot start safely; ``str(exc)`` is one sentence for the operator."""


@dataclass
class Runtime:
    """What a front door holds: the facade (``app``) and the event bus. The other fields are for the composition
    root itself and for tests; adapters use ``app`` only."""

    settings: Settings
    app: Muralist
    bus: EventBus
    spec: ModelSpec
    engine: Engine
    repo: SqlJobRepository
    celery: MuralistCelery
    worker: EmbeddedWorker | None = None
    reconciler: Reconciler | None = None
    health: HealthServer | None = None  # /metrics, /healthz, /readyz (MURALIST_METRICS_PORT)
    _stops: list[threading.Event] = field(default_factory=list)

    @property
    def runner(self) -> JobRunner | None:
        return self.celery.runner

    def close(self) -> None:
        if self.health is not None:
            self.health.close()
        for stop in self._stops:
            stop.set()
        if self.worker is not None:
            self.worker.stop()
        self.engine.dispose()


def _quota(settings: Settings) -> QuotaSettings:
    return QuotaSettings(settings.quota_daily_images, tuple(sorted(settings.quota_tiers.items())),
                         settings.max_queued_jobs_per_user, settings.quota_window, settings.rate_limit_jobs,
                         settings.rate_limit_seconds)


def _moderation(settings: Settings, quota: QuotaSettings, repo: SqlJobRepository,
                mod_repo: SqlModerationRepository) -> Moderation:
    policy = StrikePolicy(settings.strikes_to_suspend, timedelta(days=settings.strike_window_days),
                          timedelta(hours=settings.suspension_hours))
    return build_moderation(mod_repo, repo, SystemClock(), policy, quota, settings.data_dir / "quarantine",
                            settings.link_code_minutes)


def _bus(settings: Settings) -> EventBus:
    url = settings.resolved_events_url
    return RedisEventBus(url) if url else InMemoryEventBus()


def _open_database(settings: Settings, *, migrate_sqlite: bool = True) -> Engine:
    """The embedded SQLite file is migrated on open; a server database must be migrated by `muralist db upgrade`."""
    engine = build_engine(settings)
    try:
        ensure_schema(engine, auto_migrate=migrate_sqlite and engine.url.get_backend_name() == "sqlite")
    except SchemaNotReady as exc:
        engine.dispose()
        raise StartupError(str(exc)) from None
    return engine


def _runner(settings: Settings, repo: SqlJobRepository, bus: EventBus, worker: str) -> JobRunner:
    """The heavy half: image checker first (fail closed, and cheap to fail), then the pipelines."""
    from core.pipelines import ModelLoadError, TextToImage
    from safety.image_check import ImageCheckUnavailable

    thresholds = Thresholds(settings.image_review_threshold, settings.image_block_threshold)
    nsfw = Thresholds(settings.image_review_threshold_nsfw, settings.image_block_threshold_nsfw)
    try:
        checker = load_image_checker(thresholds, unsafe_skip=settings.unsafe_skip_image_check,
                                     model_path=settings.image_model_path, by_context={"nsfw": nsfw})
    except ImageCheckUnavailable as exc:
        raise StartupError(f"Refusing to start: the image safety check is unavailable ({exc}). Fix the install; for "
                           f"development only, MURALIST_UNSAFE_SKIP_IMAGE_CHECK=1 overrides this.") from None
    credentials = _content_signer(settings)
    specs = model_specs(settings)
    pipelines: dict[str, Pipeline] = {}
    try:
        for name in served_models(settings):
            loaded = TextToImage.load(specs[name].source, settings.models_dir, settings.device,
                                      default_pipeline_threads(settings), low_memory=settings.low_memory,
                                      inpaint_source=settings.inpaint_model, upscaler_source=settings.upscaler,
                                      face_restorer=settings.face_restorer, ip_adapter=settings.ip_adapter)
            pipelines[name] = BatchingPipeline(loaded, settings.batch_max, settings.batch_wait_ms / 1000) \
                if settings.batch_max > 1 else loaded
    except ModelLoadError as exc:
        raise StartupError(f"Refusing to start: {exc}") from None
    single = next(iter(pipelines.values())) if len(pipelines) == 1 else None
    return JobRunner(repo, single or pipelines, checker, LocalImageStore(settings.images_dir), bus, SystemClock(),
                     worker, credentials)


def _content_signer(settings: Settings) -> ContentSigner | None:
    """The operator asked for C2PA content credentials: a certificate that cannot sign stops the worker here, before
    any picture goes out unsigned."""
    try:
        return load_signer(settings.c2pa_cert, settings.c2pa_key, settings.c2pa_tsa_url)
    except CredentialsUnusable as exc:
        raise StartupError(f"Refusing to start: {exc}") from None


def _reconciler(settings: Settings, sessions: sessionmaker[Session], repo: SqlJobRepository, celery: MuralistCelery,
                bus: EventBus, suffix: str = "") -> Reconciler:
    return Reconciler(SqlJobLeases(sessions), repo, CeleryDispatcher(celery, suffix), SystemClock(), bus,
                      CeleryBrokerProbe(celery, suffix), worker_stale_s=WORKER_STALE_S,
                      job_timeout_s=settings.job_timeout_s,
                      queues=tuple(spec.queue for spec in model_specs(settings).values()))


def _readiness(engine: Engine, celery: MuralistCelery) -> Readiness:
    """What /readyz checks: the database and the broker, and the image check where this process makes pictures."""
    checks = {"database": database_check(engine), "broker": broker_check(celery)}
    if celery.runner is not None:
        runner = celery.runner
        checks["image_check"] = image_check_loaded(lambda: runner.checker)
    return Readiness(checks)


def readiness(runtime: Runtime) -> Readiness:
    """/healthz and /readyz for a process that serves its own HTTP (the web console mounts these next to its
    routes, with ``core.health.metrics_answer`` for /metrics)."""
    return _readiness(runtime.engine, runtime.celery)


def _health_server(settings: Settings, engine: Engine, celery: MuralistCelery) -> HealthServer | None:
    """The process's small HTTP port, when ``MURALIST_METRICS_PORT`` is set."""
    if settings.metrics_port is None:
        return None
    try:
        return HealthServer(_readiness(engine, celery), settings.metrics_port, settings.metrics_host)
    except OSError as exc:
        raise StartupError(f"Refusing to start: cannot serve metrics on {settings.metrics_host}:"
                           f"{settings.metrics_port} ({exc.strerror or exc}); set MURALIST_METRICS_PORT to a free "
                           f"port or unset it.") from None


def served_models(settings: Settings) -> list[str]:
    """The models this worker process loads (``MURALIST_WORKER_MODELS``, default the default model)."""
    specs = model_specs(settings)
    names = settings.worker_models or [next(iter(specs))]
    unknown = [n for n in names if n not in specs]
    if unknown:
        raise StartupError(f"Refusing to start: MURALIST_WORKER_MODELS names unknown models {unknown}; configured: "
                           f"{list(specs)}")
    return names


def _transcriber(settings: Settings) -> Transcriber:
    """Voice prompts' speech model, loaded on first use; an operator's folder is checked now, so a mistyped
    MURALIST_ASR_MODEL is one sentence at start-up rather than a failure in front of a member."""
    if settings.asr_model is not None:
        try:
            check_model_folder(settings.asr_model)
        except VoiceUnavailable as exc:
            raise StartupError(f"Refusing to start: {exc}") from None
    return Transcriber(settings.asr_model)


def build_runtime(settings: Settings, *, embedded_worker: bool | None = None) -> Runtime:
    """The facade for a front door, and — without a broker — an in-process worker."""
    from safety.encoder import EmbeddingUnavailable

    transcriber = _transcriber(settings)  # before anything is opened: a refusal leaves nothing to close
    engine = _open_database(settings)
    sessions = session_factory(engine)
    repo = SqlJobRepository(sessions)
    bus = _bus(settings)
    specs = model_specs(settings)
    spec = next(iter(specs.values()))
    registry = WorkerRegistry(sessions)
    celery = create_celery_app(settings, spec.queue)
    # The in-memory transport keeps its queues in class attributes shared by every Celery app in the process: each
    # embedded runtime gets queue names of its own, so one runtime's worker never takes another's jobs (the tests
    # and the bench build several in one process).
    suffix = f".{uuid.uuid4().hex[:10]}" if settings.embedded else ""
    quota = _quota(settings)
    moderation = _moderation(settings, quota, repo, SqlModerationRepository(sessions))
    try:
        prompt_filter = PromptFilter(semantic=settings.prompt_semantic)
    except EmbeddingUnavailable as exc:
        engine.dispose()
        raise StartupError(f"Refusing to start: the prompt filter's semantic stage is unavailable ({exc}). "
                           f"Reinstall, or set MURALIST_PROMPT_SEMANTIC=false to run on rules alone.") from None
    service = GenerationService(
        repo, CeleryDispatcher(celery, suffix), prompt_filter, spec, get_licence(spec.licence_id),
        quota, licence_file=settings.licence_text_path, sanctions=moderation.sanctions, quota_tiers=moderation.tiers,
        inputs=LocalInputStore(settings.data_dir / "inputs"), models=specs, served=registry.serving,
        max_prompt_chars=settings.max_prompt_chars)
    app = Muralist(service, moderation, ChatSettings(sessions), JobWaiter(repo, bus),
                   Verifier(repo, moderation.records, SystemClock()), transcriber=transcriber,
                   web_links=_console(settings, engine), faces_configured=settings.face_restorer is not None,
                   style_configured=settings.ip_adapter is not None)
    runtime = Runtime(settings, app, bus, spec, engine, repo, celery)
    if settings.embedded if embedded_worker is None else embedded_worker:
        try:
            name = worker_name("embedded", id(runtime))
            celery.runner = _runner(settings, repo, bus, name)
            names = served_models(settings)
            runtime.worker = EmbeddedWorker(celery, [specs[n].queue + suffix for n in names],
                                            settings.worker_pool or "threads",
                                            max(settings.worker_concurrency, settings.batch_max), key=suffix)
            runtime.worker.start()
            runtime._stops.append(registry.start_heartbeat(name, names, HEARTBEAT_S))
            # What a previous process left (its in-memory queue died with it, its running job has no worker) is
            # repaired now and then every few seconds.
            reconciler = _reconciler(settings, sessions, repo, celery, bus, suffix)
            runtime.reconciler = reconciler
            runtime._stops.append(reconciler.start(RECONCILE_S))
        except BaseException:
            engine.dispose()
            raise
    try:
        runtime.health = _health_server(settings, engine, celery)
    except StartupError:
        runtime.close()
        raise
    return runtime


def serve_worker(settings: Settings, pool: str | None, concurrency: int | None, loglevel: str) -> None:
    """`muralist worker`: load the image check and the models once, then serve their queues until SIGTERM.

    Every worker gets a unique node name, so any number of them share a host on RabbitMQ and Redis."""
    if settings.embedded:
        raise StartupError("`muralist worker` serves a shared broker: set MURALIST_BROKER_URL (e.g. "
                           "redis://127.0.0.1:6379/0). Without one, every bot command runs its own embedded worker.")
    chosen_pool = pool or settings.worker_pool or "solo"
    if chosen_pool not in ("solo", "threads"):
        raise StartupError(f"--pool must be solo or threads, not {chosen_pool!r}.")
    specs = model_specs(settings)
    names = served_models(settings)
    engine = _open_database(settings, migrate_sqlite=False)
    sessions = session_factory(engine)
    repo = SqlJobRepository(sessions)
    celery = create_celery_app(settings, specs[names[0]].queue)
    bus = _bus(settings)
    name = worker_name("worker")
    celery.runner = _runner(settings, repo, bus, name)
    _health_server(settings, engine, celery)  # lives as long as the process (a daemon thread)
    WorkerRegistry(sessions).start_heartbeat(name, names, HEARTBEAT_S)
    # Every worker reconciles: the updates are conditional, so several at once are safe.
    _reconciler(settings, sessions, repo, celery, bus).start(RECONCILE_S)
    runner = celery.runner

    def hand_back_on_shutdown(**_: object) -> None:
        """SIGTERM (Celery's warm shutdown): the job in hand stops at its next step and goes back to the queue."""
        runner.stopping.set()

    worker_shutting_down.connect(hand_back_on_shutdown, weak=False)
    redact = Redactor(secrets_of(settings))

    def redact_celery_logs(logger: logging.Logger, **_: object) -> None:
        """Celery sets up its own log handlers: secrets are redacted there too."""
        for handler in [*logger.handlers, *logging.getLogger().handlers]:
            install_redaction(handler, redact)

    after_setup_logger.connect(redact_celery_logs, weak=False)
    after_setup_task_logger.connect(redact_celery_logs, weak=False)
    queues = ",".join(specs[n].queue for n in names)  # one queue per model: a worker takes only what it loaded
    argv = ["worker", "--pool", chosen_pool, "--queues", queues, "--loglevel", loglevel,
            "--prefetch-multiplier", "1", "--without-gossip", "--without-mingle",
            "--hostname", f"muralist-{os.getpid()}@%h"]
    if chosen_pool != "solo":  # batching needs at least as many worker threads as a batch holds
        argv += ["--concurrency", str(max(concurrency or settings.worker_concurrency, settings.batch_max))]
    celery.worker_main(argv)


def verify_files(settings: Settings, paths: list[str]) -> list[Verification]:
    """`muralist verify PATH…`: the operator's check of files on this machine, recorded like a member's /verify."""
    engine = _open_database(settings)
    try:
        sessions = session_factory(engine)
        verifier = Verifier(SqlJobRepository(sessions), SqlModerationRepository(sessions), SystemClock())
        operator = Requester("operator", "cli", local=True)
        return [verifier.verify(operator, path) for path in paths]
    finally:
        engine.dispose()


def build_operator(settings: Settings) -> Operator:
    """What `muralist admin` needs: moderation and the job history, no worker and no model."""
    engine = _open_database(settings)
    sessions = session_factory(engine)
    repo = SqlJobRepository(sessions)
    mod_repo = SqlModerationRepository(sessions)
    return Operator(_moderation(settings, _quota(settings), repo, mod_repo), repo, mod_repo, engine.dispose)


def _console(settings: Settings, engine: Engine) -> ModerationConsole:
    sessions = session_factory(engine)
    repo = SqlJobRepository(sessions)
    policy = StrikePolicy(settings.strikes_to_suspend, timedelta(days=settings.strike_window_days),
                          timedelta(hours=settings.suspension_hours))
    moderation = _moderation(settings, _quota(settings), repo, SqlModerationRepository(sessions))
    return ModerationConsole(SqlWebConsoleRepository(sessions), moderation, repo, SystemClock(), policy,
                             (settings.images_dir, settings.data_dir / "quarantine"), settings.web_link_minutes,
                             settings.web_session_hours, settings.web_base_url)


def build_web_console(settings: Settings) -> tuple[ModerationConsole, Callable[[], None]]:
    """What `muralist admin web-login` needs: the console's sign-in side on the database (and how to close it)."""
    engine = _open_database(settings)
    return _console(settings, engine), engine.dispose


def build_web(settings: Settings) -> tuple[Runtime, ModerationConsole]:
    """`muralist web`: the facade (no worker: the console decides, it generates nothing) and the console's reads,
    on one engine."""
    runtime = build_runtime(settings, embedded_worker=False)
    return runtime, _console(settings, runtime.engine)


# --- database chores --------------------------------------------------------------------------------------------


def upgrade_database(settings: Settings) -> str:
    engine = build_engine(settings)
    try:
        upgrade(engine)
        return f"Database {engine.url.render_as_string(hide_password=True)} is at revision " \
               f"{current_revision(engine)}."
    finally:
        engine.dispose()


def database_revisions(settings: Settings) -> tuple[str | None, str | None]:
    """(the database's schema revision, the code's)."""
    engine = build_engine(settings)
    try:
        return current_revision(engine), head_revision()
    finally:
        engine.dispose()


def purge_prompts(settings: Settings, keep_days: int) -> tuple[int, int]:
    """Forget prompt texts older than ``keep_days``: (safety log rows, jobs) purged."""
    engine = _open_database(settings)
    try:
        return SqlJobRepository(session_factory(engine)).purge_prompts(older_than_days=keep_days)
    finally:
        engine.dispose()
