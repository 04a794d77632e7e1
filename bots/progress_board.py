"""One message per job that shows where it stands — "3 ahead of you", then "generating now" with a preview picture
— edited in place, never more often than once every :data:`MIN_EDIT_INTERVAL_S` per message, and taken down once the
result (or the sentence saying why there is none) is posted.

Platform-neutral: an adapter says how to post, edit and delete one such message (a :class:`ProgressSurface`); the
delivery loop feeds this board the worker's progress events and tells it when a result went out. Updates that come
faster than the edit interval are merged: the message skips to the newest state when its turn comes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from core.catalogue import text
from core.domain import queue_place
from core.progress import ProgressEvent

log = logging.getLogger(__name__)

MIN_EDIT_INTERVAL_S = 2.0  # per message: Discord and Telegram both throttle bots that edit faster
MAX_TRACKED = 1000  # jobs followed at once (far more than are ever waiting); the oldest are forgotten first


def progress_bar(step: int, total: int, width: int = 10) -> str:
    done = round(width * step / max(total, 1))
    return "▓" * done + "░" * (width - done) + f" {step}/{total}"


@dataclass(frozen=True)
class ProgressMessage:
    """The platform message a job's progress is shown in: ids as text, ``message_id`` None until it is posted."""

    chat_id: str
    message_id: str | None = None
    has_picture: bool = False


@dataclass(frozen=True)
class ProgressView:
    """What one job's progress message says now."""

    job_id: str
    language: str
    ahead: int = 0  # while queued: jobs ahead of it in its model's queue
    running: bool = False
    step: int = 0
    total: int = 0
    preview: bytes | None = None  # the newest preview JPEG (small; bounded by core.progress)
    previews: int = 0  # how many previews arrived: a new one is a new picture to upload

    def line(self) -> str:
        if self.running:
            bar = progress_bar(self.step, self.total) if self.total else ""
            return text("progress_generating", self.language, job_id=self.job_id, bar=bar).rstrip()
        code, values = queue_place(self.ahead)
        return text("progress_waiting", self.language, job_id=self.job_id, place_text=text(code, self.language,
                                                                                            **values))


class ProgressSurface(Protocol):
    async def show_progress(self, view: ProgressView, message: ProgressMessage,
                            new_picture: bool) -> ProgressMessage:
        """Post (``message.message_id`` is None) or edit the progress message to show ``view``; ``new_picture``: the
        preview changed since the last edit. Returns the message as it now is (a platform may replace it)."""
        ...

    async def remove_progress(self, message: ProgressMessage) -> None: ...


@dataclass(eq=False)
class _Tracked:
    view: ProgressView
    message: ProgressMessage
    last_shown: float  # when the message was last posted or edited (or, before that, when tracking began)
    # (line, previews) as last shown: an edit that would change nothing is not sent
    shown: tuple[str, int] | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    flush: asyncio.Task[None] | None = None
    closed: bool = False  # the result went out: no more edits
    gone: bool = False  # finished, delivered elsewhere: nothing more to learn about its place

    def key(self) -> tuple[str, int]:
        return self.view.line(), self.view.previews


class ProgressBoard:
    def __init__(self, surface: ProgressSurface, places: Callable[[list[str]], dict[str, int | None]], *,
                 interval: float = MIN_EDIT_INTERVAL_S, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.surface = surface
        self.places = places  # the facade's queue_places: jobs ahead of each queued job, None while generating
        self.interval = interval
        self.monotonic = monotonic
        self._jobs: OrderedDict[str, _Tracked] = OrderedDict()
        self._finished: OrderedDict[str, None] = OrderedDict()  # results already out: a late track() is ignored
        self._refresh: asyncio.Task[None] | None = None
        self._refresh_again = False
        self._last_refresh = float("-inf")
        self._tasks: set[asyncio.Task[None]] = set()

    def track(self, job_id: str, language: str, message: ProgressMessage, ahead: int | None = None) -> None:
        """Follow a job just accepted (``ahead`` as its acceptance said: None when already generating).
        ``message`` is where its progress goes: an answer already posted (it said ``ahead``, so it is not edited
        until something changes) or, without a message id, a message posted one interval from now."""
        if job_id in self._finished:  # a fast job's result went out before its answer was even sent
            return
        view = ProgressView(job_id, language, ahead=ahead or 0, running=ahead is None)
        entry = _Tracked(view, message, last_shown=self.monotonic())
        if message.message_id is not None:
            entry.shown = entry.key()
        self._jobs[job_id] = entry
        while len(self._jobs) > MAX_TRACKED:
            self._jobs.popitem(last=False)
        self.positions_moved()

    def heard(self, event: ProgressEvent) -> None:
        """A worker's progress event (for any job: whenever a job runs, the ones behind it may have moved up)."""
        entry = self._jobs.get(event.job_id)
        if entry is not None and not entry.closed:
            view = replace(entry.view, running=True, step=event.step, total=event.total)
            if event.preview is not None:
                view = replace(view, preview=event.preview, previews=view.previews + 1)
            entry.view = view
            self._changed(entry)
        self.positions_moved()

    def positions_moved(self) -> None:
        """Jobs may have left a queue (started, finished, cancelled): ask where the waiting ones stand, at most once
        per edit interval."""
        if self._refresh is not None and not self._refresh.done():
            self._refresh_again = True
            return
        self._refresh = asyncio.create_task(self._refresh_places())

    async def finish(self, job_id: str) -> None:
        """The job's result is posted: stop editing and take the progress message down."""
        self._finished[job_id] = None
        while len(self._finished) > MAX_TRACKED:
            self._finished.popitem(last=False)
        entry = self._jobs.pop(job_id, None)
        if entry is None:
            return
        entry.closed = True
        async with entry.lock:  # an edit on its way finishes first: it must not bring the message back
            if entry.message.message_id is not None:
                try:
                    await self.surface.remove_progress(entry.message)
                except Exception:
                    log.warning("could not take down the progress message of job %s", job_id, exc_info=True)

    async def stop(self) -> None:
        tasks = [t for t in (self._refresh, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # --- keeping each message at most one edit per interval behind ------------------------------------------------

    def _changed(self, entry: _Tracked) -> None:
        if entry.closed or entry.key() == entry.shown or (entry.flush is not None and not entry.flush.done()):
            return  # nothing new, or an edit is already due and will show the newest state
        delay = max(0.0, entry.last_shown + self.interval - self.monotonic())
        entry.flush = asyncio.create_task(self._flush(entry, delay))
        self._tasks.add(entry.flush)
        entry.flush.add_done_callback(self._tasks.discard)

    async def _flush(self, entry: _Tracked, delay: float) -> None:
        await asyncio.sleep(delay)
        async with entry.lock:
            if entry.closed or entry.key() == entry.shown:
                return
            view, key = entry.view, entry.key()
            new_picture = view.preview is not None and (entry.shown is None or entry.shown[1] != key[1])
            try:
                entry.message = await self.surface.show_progress(view, entry.message, new_picture)
            except Exception:  # best effort: a rate limit, a deleted message; the result still arrives
                log.warning("could not show the progress of job %s", view.job_id, exc_info=True)
            entry.shown = key
            entry.last_shown = self.monotonic()  # after the platform answered: the next edit is a full interval later
        entry.flush = None
        self._changed(entry)  # what arrived during the edit gets its own turn

    async def _refresh_places(self) -> None:
        while True:
            await asyncio.sleep(max(0.0, self._last_refresh + self.interval - self.monotonic()))
            self._refresh_again = False
            self._last_refresh = self.monotonic()
            waiting = [job_id for job_id, e in self._jobs.items() if not (e.closed or e.gone or e.view.running)]
            if waiting:
                try:
                    places = await asyncio.to_thread(self.places, waiting)
                except Exception:  # the database is down: the next event or sweep asks again
                    log.warning("could not read queue positions", exc_info=True)
                    waiting = []
                for job_id in waiting:
                    entry = self._jobs.get(job_id)
                    if entry is None or entry.closed:
                        continue
                    if job_id not in places:
                        entry.gone = True  # finished: finish() takes its message down when the result is posted
                        continue
                    place = places[job_id]
                    entry.view = replace(entry.view, running=True) if place is None else \
                        replace(entry.view, ahead=place)
                    self._changed(entry)
            if not self._refresh_again:
                return
