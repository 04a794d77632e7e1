"""The delivery contract every chat adapter shares: finished jobs arrive by event (handed over from the worker's
thread to the bot's event loop) and by a periodic sweep of the database; the adapter's ``deliver`` claims, sends
and marks each job. Progress events become the adapter's ``show_progress``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from core.events import FINISHED, PROGRESS
from core.runtime import Runtime

log = logging.getLogger(__name__)


def progress_bar(step: int, total: int, width: int = 10) -> str:
    done = round(width * step / max(total, 1))
    return "▓" * done + "░" * (width - done) + f" {step}/{total}"


class DeliveryLoop:
    platform = ""

    def __init__(self, runtime: Runtime, sweep_interval: float = 5.0) -> None:
        self.runtime = runtime
        self.sweep_interval = sweep_interval
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._unsubscribe: list[Any] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> asyncio.Task[None]:
        self._loop = asyncio.get_running_loop()
        bus = self.runtime.bus
        # Bus handlers run on the worker's thread: hand everything over to the bot's event loop.
        self._unsubscribe = [
            bus.subscribe(FINISHED, lambda p: self._threadsafe(self.queue.put_nowait, str(p.get("job_id")))),
            bus.subscribe(PROGRESS, lambda p: self._threadsafe(self._progress, p)),
        ]
        self._task = asyncio.create_task(self.run(), name=f"muralist-{self.platform}-delivery")
        return self._task

    async def stop(self) -> None:
        for undo in self._unsubscribe:
            undo()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _threadsafe(self, fn: Any, *args: Any) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(fn, *args)

    def _progress(self, payload: dict[str, Any]) -> None:
        asyncio.create_task(self.show_progress(str(payload.get("job_id")), int(payload["step"]),
                                               int(payload["total"])))

    async def show_progress(self, job_id: str, step: int, total: int) -> None:
        """Best effort; the adapter edits its "accepted" message."""

    async def run(self) -> None:
        while True:
            try:
                job_id = await asyncio.wait_for(self.queue.get(), self.sweep_interval)
                await self.deliver(job_id)
            except TimeoutError:
                for job_id in await asyncio.to_thread(self.runtime.repo.undelivered_jobs, self.platform):
                    await self.deliver(job_id)
            except asyncio.CancelledError:
                raise
            except Exception:  # one bad job (a deleted channel, a blocked bot) must not stop delivery for everyone
                log.exception("%s delivery failed", self.platform)

    async def deliver(self, job_id: str) -> bool:
        raise NotImplementedError
