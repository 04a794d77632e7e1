"""Sending finished jobs to Telegram exactly once: fed by "finished" events and a database sweep, claimed before
sending, marked delivered after. Review-band pictures go out with has_spoiler; blocked ones never leave."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto
from telegram.error import TelegramError

from bots.delivery_loop import DeliveryLoop, progress_bar
from bots.results import result_files, result_text
from bots.telegram.translate import PLATFORM, callback_data
from core.chat_settings import MOD_CHANNEL
from core.domain import Decision, Job

if TYPE_CHECKING:
    from bots.telegram.app import Services

log = logging.getLogger(__name__)
GLOBAL = "global"


def result_keyboard(job: Job) -> InlineKeyboardMarkup:
    """Reroll for the job; Upscale, Variations and Report for each picture (a row each)."""
    shown = result_files(job)
    rows = [[InlineKeyboardButton("Reroll", callback_data=callback_data("reroll", job.id))]]
    for action, short in (("upscale", "U"), ("variations", "V"), ("report", "Report ")):
        if action != "report" and job.kind == "upscale":
            continue
        rows.append([InlineKeyboardButton(action.title() if len(shown) == 1 else f"{short}{p.index + 1}",
                                          callback_data=callback_data(action, job.id, p.index)) for p in shown])
    return InlineKeyboardMarkup(rows)


class TelegramDelivery(DeliveryLoop):
    platform = PLATFORM

    def __init__(self, services: Services, bot: Any, sweep_interval: float = 5.0) -> None:
        super().__init__(services.runtime, sweep_interval)
        self.services = services
        self.bot = bot
        self.progress_messages: dict[str, tuple[int, int]] = {}  # job id -> (chat id, message id) to edit

    async def show_progress(self, job_id: str, step: int, total: int) -> None:
        target = self.progress_messages.get(job_id)
        if target is None:
            return
        with contextlib.suppress(TelegramError):  # progress is best effort
            await self.bot.edit_message_text(f"Job {job_id}: {progress_bar(step, total)}", chat_id=target[0],
                                             message_id=target[1])

    async def deliver(self, job_id: str) -> bool:
        repo = self.services.runtime.repo
        job = await asyncio.to_thread(repo.get_job, job_id)
        if job is None or job.platform != PLATFORM or job.status.value not in ("done", "failed"):
            return False
        if not await asyncio.to_thread(repo.claim_delivery, job.id, PLATFORM, self.services.instance_name):
            return False
        self.progress_messages.pop(job.id, None)
        chat_id = int(job.chat_id or 0)
        files = result_files(job)
        caption = result_text(job, "")[:1000].strip()
        sent: list[int] = []
        if len(files) == 1:
            message = await self.bot.send_photo(chat_id, Path(files[0].path).read_bytes(), caption=caption,
                                                has_spoiler=files[0].spoiler, reply_markup=result_keyboard(job))
            sent.append(message.message_id)
        elif files:
            media = [InputMediaPhoto(Path(f.path).read_bytes(), has_spoiler=f.spoiler,
                                     caption=caption if i == 0 else None, filename=f.filename)
                     for i, f in enumerate(files)]
            messages = await self.bot.send_media_group(chat_id, media)
            sent += [m.message_id for m in messages]
            # A media group cannot carry buttons: they follow in their own message.
            keyboard = await self.bot.send_message(chat_id, f"Job {job.id}", reply_markup=result_keyboard(job))
            sent.append(keyboard.message_id)
        else:
            message = await self.bot.send_message(chat_id, caption or f"Job {job.id} finished.")
            sent.append(message.message_id)
        await asyncio.to_thread(repo.mark_delivered, job.id, [str(m) for m in sent],
                                self.services.runtime.service.clock.now())
        for image in job.images:
            if image.path and image.decision in (Decision.REVIEW, Decision.UNCHECKED):
                await self.post_to_moderators(job.id, image.index, "review band")
        return True

    async def post_to_moderators(self, job_id: str, idx: int, why: str) -> None:
        mod_chat = await asyncio.to_thread(self.services.chat_settings.get, PLATFORM, GLOBAL, MOD_CHANNEL)
        image = await asyncio.to_thread(self.services.moderation.repo.image, job_id, idx)
        if mod_chat is None or image is None or image.path is None:
            return
        keyboard = InlineKeyboardMarkup([[
            InlineKeyboardButton("Approve", callback_data=callback_data("mod_approve", job_id, idx)),
            InlineKeyboardButton("Remove", callback_data=callback_data("mod_remove", job_id, idx)),
            InlineKeyboardButton("Ban 7 days", callback_data=callback_data("mod_ban_7d", job_id, idx)),
        ]])
        caption = (f"{why}: job {job_id} picture {idx + 1} by user #{image.user_id}\n"
                   f"prompt: {image.prompt[:300]}\nnsfw score: {image.nsfw_score or 0:.3f} ({image.decision})")
        await self.bot.send_photo(int(mod_chat), Path(image.path).read_bytes(), caption=caption, has_spoiler=True,
                                  reply_markup=keyboard)

    async def delete_public_messages(self, job_id: str) -> None:
        job = await asyncio.to_thread(self.services.runtime.repo.get_job, job_id)
        if job is None or not job.chat_id:
            return
        for message_id in await asyncio.to_thread(self.services.runtime.repo.delivered_message_ids, job_id):
            with contextlib.suppress(TelegramError):
                await self.bot.delete_message(int(job.chat_id), int(message_id))
