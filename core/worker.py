"""The Celery app and its one thin task. Tasks take ids; the heavy runner (pipeline + classifier) is built once per
worker process by the composition root and cached here, as Celery's docs suggest for heavy resources.

Production settings: late acks and reject-on-worker-lost (a crashed worker's job is redelivered, and the runner is
idempotent on the job id), prefetch 1 (a GPU job is long: never hoard messages), results ignored (the database is
the source of truth), one queue per model.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import Celery, Task
from celery.worker import WorkController

from core.config import Settings
from core.generation import JobRunner

log = logging.getLogger(__name__)

app = Celery("muralist", set_as_current=False)

_runner: JobRunner | None = None
_runner_lock = threading.Lock()


def configure(settings: Settings, default_queue: str) -> Celery:
    broker = settings.broker_url or "memory://"
    if app.conf.broker_url != broker:
        # Celery caches the broker connection and producer pools on first use; a process that builds a runtime
        # for another broker (the tests do) must not keep publishing to the old one.
        app._pool = None
        app.amqp._producer_pool = None
    app.conf.update(
        broker_url=broker,
        broker_connection_retry_on_startup=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        result_backend=None,
        task_serializer="json",
        accept_content=["json"],
        task_default_queue=default_queue,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        broker_transport_options={
            # Redis: a job longer than the visibility timeout would otherwise be handed to a second worker.
            "visibility_timeout": int(settings.job_timeout_s * 2),
            # The in-memory transport polls (1 s by default); in-process polling is cheap, and a job should not
            # wait a second for nothing.
            "polling_interval": 0.005,
        },
    )
    return app


def set_runner(runner: JobRunner) -> None:
    global _runner
    with _runner_lock:
        _runner = runner


class GenerateTask(Task):  # type: ignore[misc]
    @property
    def runner(self) -> JobRunner:
        with _runner_lock:
            if _runner is None:
                raise RuntimeError("worker started without a job runner (use `muralist worker`)")
            return _runner


@app.task(bind=True, base=GenerateTask, name="muralist.generate")
def generate(self: GenerateTask, job_id: str) -> str:
    return self.runner.run(job_id).value


class CeleryDispatcher:
    def enqueue(self, job_id: str, queue: str) -> None:
        generate.apply_async(args=[job_id], queue=queue)


class _ReadyWorkController(WorkController):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.ready = threading.Event()
        super().__init__(*args, **kwargs)

    def on_consumer_ready(self, consumer: Any) -> None:
        self.ready.set()


class EmbeddedWorker:
    """A Celery worker running in a thread of this process (the embedded default: in-memory transport)."""

    def __init__(self, queues: list[str], pool: str = "threads", concurrency: int = 2) -> None:
        self.queues = queues
        self.pool = pool
        self.concurrency = concurrency if pool != "solo" else 1
        self._controller: _ReadyWorkController | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 30.0) -> None:
        app.finalize()
        app.set_current()
        self._controller = _ReadyWorkController(
            app=app, concurrency=self.concurrency, pool=self.pool, queues=self.queues, hostname="embedded@muralist",
            without_heartbeat=True, without_mingle=True, without_gossip=True, loglevel="WARNING")
        self._thread = threading.Thread(target=self._controller.start, name="muralist-worker", daemon=True)
        self._thread.start()
        if not self._controller.ready.wait(timeout):
            raise RuntimeError("the embedded worker did not start")

    def stop(self, timeout: float = 10.0) -> None:
        if self._controller is None or self._thread is None:
            return
        from celery.worker import state

        state.should_terminate = 0
        self._thread.join(timeout)
        state.should_terminate = None
        self._controller = None
