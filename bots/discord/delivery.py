"""Posting finished jobs to Discord exactly once, with the bot token, as new channel messages (never through the
15-minute interaction webhook). Fed by "finished" events and by a sweep of the database for anything missed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import discord

from bots.delivery_loop import DeliveryLoop, progress_bar
from bots.discord.buttons import MemberButton, ModButton
from bots.discord.translate import PLATFORM
from bots.results import result_files, result_text
from core.chat_settings import MOD_CHANNEL
from core.domain import Decision, Job

if TYPE_CHECKING:
    from bots.discord.client import MuralistDiscord

log = logging.getLogger(__name__)


def result_view(job: Job) -> discord.ui.View:
    """Reroll for the job; Upscale, Variations and Report for each picture that was posted (one row each)."""
    view = discord.ui.View(timeout=None)
    view.add_item(MemberButton("reroll", job.id, label="Reroll", row=0))
    shown = result_files(job)
    for row, (action, short) in enumerate((("upscale", "U"), ("variations", "V"), ("report", "Report ")), start=1):
        if action != "report" and job.kind == "upscale":
            continue  # an enlarged picture is not enlarged or varied again
        for picture in shown:
            label = action.title() if len(shown) == 1 else f"{short}{picture.index + 1}"
            view.add_item(MemberButton(action, job.id, picture.index, label=label, row=row))
    return view


class DiscordDelivery(DeliveryLoop):
    platform = PLATFORM

    def __init__(self, bot: MuralistDiscord, sweep_interval: float = 5.0) -> None:
        super().__init__(bot.runtime, sweep_interval)
        self.bot = bot
        self.progress_targets: dict[str, discord.Interaction[Any]] = {}

    async def show_progress(self, job_id: str, step: int, total: int) -> None:
        interaction = self.progress_targets.get(job_id)
        if interaction is None:
            return
        # The webhook may have expired (15 min) or been deleted: progress is best effort.
        with contextlib.suppress(discord.HTTPException):
            await interaction.edit_original_response(
                content=f"Job `{job_id}` generating: {progress_bar(step, total)}")

    async def deliver(self, job_id: str) -> bool:
        repo = self.bot.runtime.repo
        job = await asyncio.to_thread(repo.get_job, job_id)
        if job is None or job.platform != PLATFORM or job.status.value not in ("done", "failed"):
            return False
        if not await asyncio.to_thread(repo.claim_delivery, job.id, PLATFORM, self.bot.instance_name):
            return False
        self.progress_targets.pop(job.id, None)
        channel = await self._channel(int(job.chat_id or 0))
        # Mention the requester's Discord account (never the internal user id, which is no Discord id).
        accounts = await asyncio.to_thread(self.bot.moderation.repo.accounts_of, job.user_id)
        mention = next((f"<@{ext}>" for platform, ext in accounts if platform == PLATFORM), "")
        files = [discord.File(p.path, filename=p.filename, spoiler=p.spoiler) for p in result_files(job)]
        message = await channel.send(
            result_text(job, mention), files=files, view=result_view(job) if files else discord.utils.MISSING,
            allowed_mentions=discord.AllowedMentions(users=True, roles=False, everyone=False))
        await asyncio.to_thread(repo.mark_delivered, job.id, [str(message.id)], self.bot.runtime.service.clock.now())
        guild_id = getattr(getattr(channel, "guild", None), "id", None)
        for image in job.images:
            if image.path and image.decision in (Decision.REVIEW, Decision.UNCHECKED):
                await self.post_to_moderators(job.id, image.index, "review band", guild_id)
        return True

    async def _channel(self, channel_id: int) -> Any:
        return self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)

    async def post_to_moderators(self, job_id: str, idx: int, why: str, guild_id: int | None) -> None:
        if guild_id is None:
            return
        channel_id = await asyncio.to_thread(self.bot.chat_settings.get, PLATFORM, str(guild_id), MOD_CHANNEL)
        image = await asyncio.to_thread(self.bot.moderation.repo.image, job_id, idx)
        if channel_id is None or image is None or image.path is None:
            return
        view = discord.ui.View(timeout=None)
        for action in ("approve", "remove", "ban"):
            view.add_item(ModButton(action, job_id, idx))
        text = (f"**{why}** — job `{job_id}` picture {idx + 1} by user #{image.user_id}\n"
                f"prompt: `{image.prompt[:300]}`\nnsfw score: {image.nsfw_score or 0:.3f} ({image.decision})")
        channel = await self._channel(int(channel_id))
        await channel.send(text, file=discord.File(image.path, filename=f"SPOILER_review-{job_id}-{idx + 1}.png",
                                                    spoiler=True), view=view)

    async def delete_public_message(self, job_id: str) -> None:
        job = await asyncio.to_thread(self.bot.runtime.repo.get_job, job_id)
        if job is None or not job.chat_id:
            return
        channel = await self._channel(int(job.chat_id))
        for message_id in await asyncio.to_thread(self.bot.runtime.repo.delivered_message_ids, job_id):
            with contextlib.suppress(discord.NotFound):
                await channel.get_partial_message(int(message_id)).delete()
