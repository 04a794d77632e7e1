"""What the Telegram handlers and the Telegram sender share, in a module both import (so neither imports the
other): the application facade, the bot's moderators, the delivery loop (which shows each job's progress) and the albums
seen lately."""

from __future__ import annotations

from dataclasses import dataclass, field

from bots.delivery_loop import DeliveryLoop
from bots.progress_board import ProgressMessage
from bots.telegram.albums import Albums
from core.app import Muralist


@dataclass(frozen=True)
class Progress:
    """The "Job … accepted" message that becomes the job's progress message, the language its member reads, and
    the place in the queue it said (None: already generating)."""

    chat_id: int
    message_id: int
    language: str
    ahead: int | None = 0


@dataclass
class TelegramDeps:
    app: Muralist
    admin_ids: frozenset[int]  # the bot's moderators (MURALIST_TELEGRAM_ADMIN_IDS)
    instance: str  # this process's name on delivery claims
    delivery: DeliveryLoop | None = None  # set by build_application once the bot exists
    albums: Albums = field(default_factory=Albums)  # media groups seen lately: one answer per album

    def track(self, job_id: str, progress: Progress) -> None:
        """Show this job's progress in its "accepted" message (kept in memory only: after a restart, progress
        simply stops showing; the result still arrives)."""
        if self.delivery is not None:
            self.delivery.track(job_id, progress.language,
                                ProgressMessage(str(progress.chat_id), str(progress.message_id)), progress.ahead)
