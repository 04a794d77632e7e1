"""The Celery app and its one thin task. Tasks take ids; the heavy runner (pipeline + classifier) is built once per
worker process by the composition root and cached here, as Celery's docs suggest for heavy resources.

Production settings: late acks and reject-on-worker-lost (a crashed worker's job is redelivered, and the runner is
idempotent on the job id), prefetch 1 (a GPU job is long: never hoard messages), results ignored (the database is
the source of truth), one queue per model.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from celery import Celery
from celery.exceptions import Reject
from celery.worker import WorkController

from core.config import Settings
from core.generation import JobRunner, RunResult
from core.retrying import StorageUnavailable

log = logging.getLogger(__name__)
GENERATE = "muralist.generate"


# Celery's blocking consumer loop (the in-memory transport's) waits up to this long for a message before it looks
# at its blueprint's state again: a stopped embedded worker's thread ends within it.
_DRAIN_S = 2.0

# Embedded runtimes' job runners by their queue suffix (see ``generate``).
_EMBEDDED_RUNNERS: dict[str, JobRunner] = {}


class MuralistCelery(Celery):
    """A Celery app that carries this process's job runner (built once by the composition root: the heavy part)."""

    runner: JobRunner | None = None


def create_celery_app(settings: Settings, default_queue: str) -> MuralistCelery:
    """Celery's app factory: one app per runtime, so a process that builds two runtimes (the tests do) never shares
    a broker connection pool between them."""
    app = MuralistCelery("muralist", set_as_current=False)
    in_memory = not settings.broker_url
    app.conf.update(
        broker_url=settings.broker_url or "memory://",
        broker_connection_retry_on_startup=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # A worker that loses the broker mid-job hands the job back instead of finishing it unacknowledged.
        worker_cancel_long_running_tasks_on_connection_loss=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        result_backend=None,
        task_serializer="json",
        accept_content=["json"],
        task_default_queue=default_queue,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        broker_transport_options={
            # Redis: a job longer than the visibility timeout would be handed to a second worker; longer than the
            # longest job (plus a margin for the check and storage), and no longer, so a lost one comes back soon.
            "visibility_timeout": int(settings.job_timeout_s + 60),
            # The in-memory transport polls (1 s by default); in-process polling is cheap, and a job should not
            # wait a second for nothing.
            "polling_interval": 0.005,
        },
    )

    @app.task(name=GENERATE, shared=False)  # this app only
    def generate(job_id: str, runtime: str | None = None) -> str:
        # The runner of *this* app (closed over: a task's own ``app`` attribute may resolve to the default app) —
        # or, for an embedded runtime's message, that runtime's: Celery traces tasks through process-wide state,
        # so with two embedded runtimes in one process (the tests) one's worker can run the other's task function.
        runner = _EMBEDDED_RUNNERS.get(runtime) if runtime else app.runner
        if runner is None:
            raise RuntimeError("worker started without a job runner (use `muralist worker`)")
        try:
            result = runner.run(job_id)
        except StorageUnavailable as exc:
            # Never acknowledge a job that could not be recorded: the message goes back to the queue (and the
            # reconciler re-sends the job anyway if the broker loses it).
            raise Reject(str(exc), requeue=True) from exc
        if result is RunResult.HANDED_BACK and not in_memory:  # shutting down: the message goes back for another worker
            raise Reject("worker shutting down", requeue=True)
        # In memory the message dies with this process anyway (and would only come straight back to this stopping
        # worker): the job stays queued in the database and the next process's reconciler sends it again.
        return str(result.value)

    return app


class CeleryBrokerProbe:
    """How many messages wait in a queue, asked of the broker itself (AMQP, Redis and the in-memory transport all
    answer a passive queue declaration with a message count)."""

    def __init__(self, app: Celery, queue_suffix: str = "") -> None:
        self.app = app
        self.queue_suffix = queue_suffix

    def ready_messages(self, queue: str) -> int | None:
        try:
            with self.app.connection_for_read() as conn:
                declared = conn.default_channel.queue_declare(queue=queue + self.queue_suffix, passive=True)
                return int(declared.message_count)
        except Exception:  # unknown queue (AMQP says 404), broker down: let time decide
            log.debug("could not count messages in %s", queue, exc_info=True)
            return None


class CeleryDispatcher:
    def __init__(self, app: Celery, queue_suffix: str = "") -> None:
        self.app = app
        self.queue_suffix = queue_suffix

    def enqueue(self, job_id: str, queue: str) -> None:
        # An embedded runtime's messages name it (its queue suffix), so its own runner makes them.
        kwargs = {"runtime": self.queue_suffix} if self.queue_suffix else None
        self.app.send_task(GENERATE, args=[job_id], kwargs=kwargs, queue=queue + self.queue_suffix)


class _ReadyWorkController(WorkController):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.ready = threading.Event()
        super().__init__(*args, **kwargs)

    def on_consumer_ready(self, consumer: Any) -> None:
        self.ready.set()


class EmbeddedWorker:
    """A Celery worker running in a thread of this process (the embedded default: in-memory transport)."""

    def __init__(self, app: Celery, queues: list[str], pool: str = "threads", concurrency: int = 2,
                 key: str = "") -> None:
        self.app = app
        self.key = key  # the runtime's queue suffix, which its messages carry
        self.queues = queues
        self.pool = pool
        self.concurrency = concurrency if pool != "solo" else 1
        self._controller: _ReadyWorkController | None = None
        self._thread: threading.Thread | None = None
        self._previous_apps: tuple[Celery | None, Celery | None] = (None, None)

    def start(self, timeout: float = 30.0) -> None:
        self.app.finalize()
        runner = getattr(self.app, "runner", None)
        if self.key and runner is not None:
            _EMBEDDED_RUNNERS[self.key] = runner
        # The threads pool traces a task in the *default* app of its worker threads (Celery passes no app along):
        # make this runtime's app that default. One embedded worker runs per process at a time; a process that
        # starts a second (the tests do) gets the first one's default back when the second stops.
        from celery import _state

        self._previous_apps = (_state.default_app, _state.get_current_app())
        self.app.set_current()
        self.app.set_default()
        self._controller = _ReadyWorkController(
            app=self.app, concurrency=self.concurrency, pool=self.pool, queues=self.queues,
            hostname=f"embedded-{os.getpid()}-{id(self)}@muralist",
            without_heartbeat=True, without_mingle=True, without_gossip=True, loglevel="WARNING")
        self._thread = threading.Thread(target=self._controller.start, name="muralist-worker", daemon=True)
        self._thread.start()
        if not self._controller.ready.wait(timeout):
            raise RuntimeError("the embedded worker did not start")

    @property
    def running(self) -> bool:
        """Whether this worker's thread still consumes its queues."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        if self._controller is None or self._thread is None:
            return
        runner = getattr(self.app, "runner", None)
        if runner is not None:  # the job in hand goes back to the queue instead of holding shutdown up
            runner.stopping.set()
            # What matters is that no job is left half-done: once the runner is idle the rest of the worker is a
            # daemon thread holding only in-memory messages, which the next process's reconciler re-sends.
            runner.wait_idle(timeout)
        # This worker only: Celery's process-wide ``state.should_terminate`` would end every worker in the process
        # (another runtime's too). A cold shutdown of our own WorkController leaves its consumer's blueprint, so
        # its loop ends, and its thread pool does not wait for a job that ``wait_idle`` gave up on.
        self._controller.terminate()
        self._thread.join(min(timeout, _DRAIN_S + 1.0))
        _EMBEDDED_RUNNERS.pop(self.key, None)
        default, current = self._previous_apps
        if default is not None:
            default.set_default()
        if current is not None and current is not self.app:
            current.set_current()
        self._controller = None
