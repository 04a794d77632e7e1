"""What the Telegram handlers and the Telegram sender share, in a module both import (so neither imports the
other): the application facade, the bot's moderators, the delivery loop and the progress bars being drawn."""

from __future__ import annotations

from dataclasses import dataclass, field

from bots.delivery_loop import DeliveryLoop
from core.app import Muralist

MAX_TRACKED = 1000  # jobs whose progress bars are drawn (far more than are ever running at once)


@dataclass(frozen=True)
class Progress:
    """The "Job … accepted" message that progress edits go to, and the language its member reads."""

    chat_id: int
    message_id: int
    language: str


@dataclass
class TelegramDeps:
    app: Muralist
    admin_ids: frozenset[int]  # the bot's moderators (MURALIST_TELEGRAM_ADMIN_IDS)
    instance: str  # this process's name on delivery claims
    # Kept in memory only: after a restart, progress simply stops showing; the result still arrives.
    progress: dict[str, Progress] = field(default_factory=dict)
    delivery: DeliveryLoop | None = None  # set by build_application once the bot exists

    def track(self, job_id: str, progress: Progress) -> None:
        """Draw this job's progress into ``progress``. A job can finish before its "accepted" message is sent, so
        its entry is never popped by delivery: keep only the newest entries rather than leak."""
        self.progress[job_id] = progress
        while len(self.progress) > MAX_TRACKED:
            self.progress.pop(next(iter(self.progress)))
