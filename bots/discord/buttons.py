"""Persistent buttons: their custom ids carry the job id, so they keep working after a restart (discord.py
DynamicItem). Each callback only translates: the decision is made in ``core``."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bots.discord.translate import custom_id, outcome_message, requester, tiers_for
from safety.moderation import ModerationError

if TYPE_CHECKING:
    from bots.discord.client import MuralistDiscord

log = logging.getLogger(__name__)
BAN_CHOICES = {"1d": "1 day", "7d": "7 days", "30d": "30 days", "permanent": "Permanent"}


def _bot(interaction: discord.Interaction[Any]) -> MuralistDiscord:
    return interaction.client  # type: ignore[no-any-return]


async def say(interaction: discord.Interaction[Any], text: str) -> None:
    """An ephemeral sentence, whether or not the interaction was already answered."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True)
    else:
        await interaction.response.send_message(text, ephemeral=True)


class MemberButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                   template=r"^muralist:(?P<action>reroll|variations|upscale|report):(?P<job>[a-z0-9]{1,16})"
                            r"(?::(?P<idx>\d{1,2}))?$"):
    def __init__(self, action: str, job_id: str, idx: int | None = None, label: str | None = None,
                 row: int | None = None) -> None:
        style = discord.ButtonStyle.primary if action == "reroll" else discord.ButtonStyle.secondary
        super().__init__(discord.ui.Button(label=label or action.title(), style=style,
                                           custom_id=custom_id(action, job_id, idx)), row=row)
        self.action, self.job_id, self.idx = action, job_id, idx

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str]) -> MemberButton:
        return cls(match["action"], match["job"], int(match["idx"]) if match["idx"] else None)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = _bot(interaction)
        who = requester(interaction.user.id, interaction.channel_id, interaction.user.display_name, interaction.id)
        service = bot.runtime.service
        if self.action in ("reroll", "variations", "upscale"):
            await interaction.response.defer(ephemeral=True, thinking=True)
            picture = f"{self.job_id}:{(self.idx or 0) + 1}"
            if self.action == "reroll":
                outcome = await asyncio.to_thread(service.reroll, self.job_id, who,
                                                  nsfw_allowed=bot.channel_is_nsfw(interaction.channel),
                                                  tiers=tiers_for(_role_ids(interaction), bot.tier_roles))
            elif self.action == "variations":
                outcome = await asyncio.to_thread(service.variations, picture, who)
            else:
                outcome = await asyncio.to_thread(service.upscale, picture, 2, who)
            await interaction.edit_original_response(content=outcome_message(outcome))
            return
        reporter = await asyncio.to_thread(bot.runtime.repo.ensure_user, who)
        try:
            text = await asyncio.to_thread(bot.moderation.report, reporter, self.job_id, self.idx or 0, "")
        except ModerationError as exc:
            await say(interaction, str(exc))
            return
        await say(interaction, text)
        await bot.delivery.post_to_moderators(self.job_id, self.idx or 0, "report", interaction.guild_id)


def _role_ids(interaction: discord.Interaction[Any]) -> list[int]:
    return [r.id for r in getattr(interaction.user, "roles", [])]


class AcceptButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"^muralist:accept:(?P<user>\d{1,20})$"):
    """Personal: only the member the licence was shown to may press it."""

    def __init__(self, user_id: int) -> None:
        super().__init__(discord.ui.Button(label="Accept", style=discord.ButtonStyle.success,
                                           custom_id=f"muralist:accept:{user_id}"))
        self.user_id = user_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str]) -> AcceptButton:
        return cls(int(match["user"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.user.id != self.user_id:
            await say(interaction, "This button is for someone else: use /license to accept for yourself.")
            return
        who = requester(interaction.user.id, interaction.channel_id, interaction.user.display_name, interaction.id)
        await say(interaction, await asyncio.to_thread(_bot(interaction).runtime.service.accept_licence, who))


class ModButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                template=r"^muralist:mod_(?P<action>approve|remove|ban|ban_1d|ban_7d|ban_30d|ban_permanent):"
                         r"(?P<job>[a-z0-9]{1,16}):(?P<idx>\d{1,2})$"):
    def __init__(self, action: str, job_id: str, idx: int) -> None:
        labels = {"approve": ("Approve", discord.ButtonStyle.success), "remove": ("Remove", discord.ButtonStyle.danger),
                  "ban": ("Ban…", discord.ButtonStyle.danger)}
        label, style = labels.get(action, (BAN_CHOICES.get(action.removeprefix("ban_"), action),
                                           discord.ButtonStyle.danger))
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=f"muralist:mod_{action}:{job_id}:{idx}"))
        self.action, self.job_id, self.idx = action, job_id, idx

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str]) -> ModButton:
        return cls(match["action"], match["job"], int(match["idx"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = _bot(interaction)
        if not await bot.ensure_moderator(interaction, f"button {self.action} on {self.job_id}"):
            return
        me = await asyncio.to_thread(bot.runtime.repo.ensure_user, requester(interaction.user.id, None))
        actor = f"discord:{interaction.user.id}"
        try:
            if self.action == "ban":
                view = discord.ui.View(timeout=None)
                for key in BAN_CHOICES:
                    view.add_item(ModButton(f"ban_{key}", self.job_id, self.idx))
                await interaction.response.send_message("Ban the requester for how long?", view=view, ephemeral=True)
                return
            if self.action.startswith("ban_"):
                image = bot.moderation.repo.image(self.job_id, self.idx)
                if image is None:
                    raise ModerationError("That job no longer exists.")
                text = await asyncio.to_thread(bot.moderation.ban, image.user_id, actor,
                                               self.action.removeprefix("ban_"), "banned from the moderators' channel",
                                               me)
            else:
                text = await asyncio.to_thread(bot.moderation.decide, f"img:{self.job_id}:{self.idx + 1}",
                                               self.action, actor, me)
                if self.action == "remove":
                    await bot.delivery.delete_public_message(self.job_id)
        except ModerationError as exc:
            await say(interaction, str(exc))
            return
        await say(interaction, text)
