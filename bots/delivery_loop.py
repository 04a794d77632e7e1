"""The delivery loop every chat adapter shares, driving core's one delivery template (claim → render → send →
mark → moderators). An adapter writes only how to send: a :class:`Sender`.

Finished jobs arrive by event (handed over from the worker's thread to the bot's event loop) and by a periodic sweep
of the database; one failed send never stops the loop — it is logged and the next job goes out. Progress events feed
the :class:`ProgressBoard` (one progress message per job, taken down once the result is out).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

from bots.progress_board import ProgressBoard, ProgressMessage, ProgressSurface
from core.app import Muralist
from core.delivery import DeliveryTemplate, ModeratorPost, PublicChange, ResultMessage
from core.events import FINISHED, PROGRESS
from core.ports import EventBus
from core.progress import ProgressEvent

log = logging.getLogger(__name__)


class Sender(ProgressSurface, Protocol):
    """How one platform sends (and shows progress). Message ids come back as text (the database keeps them to take
    posts down)."""

    async def send_result(self, message: ResultMessage) -> list[str]: ...
    async def send_moderator_post(self, post: ModeratorPost) -> None: ...
    async def delete_messages(self, chat_id: str, message_ids: list[str]) -> None: ...
    async def change_public_post(self, change: PublicChange) -> None:
        """Take one picture out of a posted result, or show an approved one without its spoiler."""
        ...
    async def moderation_scope(self, chat_id: str) -> str | None:
        """Which moderators' channel a chat belongs to (a Discord guild); None: the platform's one global chat."""
        ...


class DeliveryLoop:
    def __init__(self, app: Muralist, bus: EventBus, platform: str, instance: str, sender: Sender,
                 sweep_interval: float = 5.0) -> None:
        self.template: DeliveryTemplate = app.deliveries(platform, instance)
        self.bus = bus
        self.platform = platform
        self.sender = sender
        self.sweep_interval = sweep_interval
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._unsubscribe: list[Any] = []
        self._task: asyncio.Task[None] | None = None
        self._failures: dict[str, int] = {}  # job id → failed sends in a row (this process's backoff)
        self.progress = ProgressBoard(sender, app.queue_places)

    def track(self, job_id: str, language: str, message: ProgressMessage, ahead: int | None) -> None:
        """Show this accepted job's progress in ``message`` (see :meth:`ProgressBoard.track`). Only while this loop
        delivers: the process that posts the result is the one that takes the progress message down."""
        if self._task is not None and not self._task.done():
            self.progress.track(job_id, language, message, ahead)

    def start(self) -> asyncio.Task[None]:
        self._loop = asyncio.get_running_loop()
        # Bus handlers run on the worker's thread: hand everything over to the bot's event loop.
        self._unsubscribe = [
            self.bus.subscribe(FINISHED, lambda p: self._threadsafe(self._finished, str(p.get("job_id")))),
            self.bus.subscribe(PROGRESS, lambda p: self._threadsafe(self._progress, p)),
        ]
        self._task = asyncio.create_task(self.run(), name=f"muralist-{self.platform}-delivery")
        return self._task

    async def stop(self) -> None:
        for undo in self._unsubscribe:
            undo()
        await self.progress.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _threadsafe(self, fn: Any, *args: Any) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(fn, *args)

    def _finished(self, job_id: str) -> None:
        self.queue.put_nowait(job_id)
        self.progress.positions_moved()  # a cancelled queued job lets the ones behind it move up

    def _progress(self, payload: dict[str, Any]) -> None:
        event = ProgressEvent.from_payload(payload)
        if event is not None:
            self.progress.heard(event)

    async def run(self) -> None:
        while True:
            try:
                job_id = await asyncio.wait_for(self.queue.get(), self.sweep_interval)
            except TimeoutError:
                self.progress.positions_moved()  # events are best effort: the sweep's beat catches up
                for pending in await self._pending():
                    await self.deliver_safely(pending)
                continue
            await self.deliver_safely(job_id)

    async def _pending(self) -> list[str]:
        try:
            return await asyncio.to_thread(self.template.pending)
        except Exception:  # the database is down: the next sweep tries again
            log.warning("%s delivery sweep failed", self.platform, exc_info=True)
            return []

    async def deliver_safely(self, job_id: str) -> bool:
        """One bad job (a deleted channel, a blocked bot, a platform error) must not stop delivery for everyone."""
        try:
            return await self.deliver(job_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s delivery of job %s failed", self.platform, job_id)
            return False

    async def deliver(self, job_id: str) -> bool:
        message = await asyncio.to_thread(self.template.claim, job_id)
        if message is None:
            return False
        try:
            sent = await self.sender.send_result(message)
        except Exception:
            # Hand the claim back with a backoff (5 s, 10 s, … at most 5 minutes): the next sweep retries soon, and
            # a chat that keeps failing (a deleted channel) does not hog the loop.
            failures = self._failures[job_id] = self._failures.get(job_id, 0) + 1
            await asyncio.to_thread(self.template.release, job_id, min(300.0, 5.0 * 2 ** (failures - 1)))
            raise
        self._failures.pop(job_id, None)
        await asyncio.to_thread(self.template.mark, job_id, sent)
        await self.progress.finish(job_id)  # the result (or why there is none) is out: the progress message goes
        scope = await self.sender.moderation_scope(message.chat_id)
        for post in await asyncio.to_thread(self.template.review_posts, message.job, scope):
            await self.sender.send_moderator_post(post)
        return True

    async def post_to_moderators(self, job_id: str, idx: int, why: str, chat_id: str | None) -> None:
        """A reported picture goes to the moderators' channel of the chat it was reported from."""
        scope = await self.sender.moderation_scope(chat_id) if chat_id else None
        post = await asyncio.to_thread(self.template.moderator_post, job_id, idx, why, scope)
        if post is not None:
            await self.sender.send_moderator_post(post)

    async def take_down(self, job_id: str) -> None:
        """Delete a job's public messages (a moderator removed one of its pictures)."""
        found = await asyncio.to_thread(self.template.public_messages, job_id)
        if found is not None:
            await self.sender.delete_messages(*found)

    async def change_public_post(self, change: PublicChange) -> None:
        """A moderator's decision reaches the public post: only the picture decided on changes. Best effort and
        logged: the decision itself is already recorded."""
        try:
            await self.sender.change_public_post(change)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s could not %s picture %d in chat %s", self.platform, change.kind,
                          change.picture.index + 1, change.chat_id)
