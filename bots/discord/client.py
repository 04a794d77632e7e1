"""The Discord client (discord.py's advanced_startup pattern: services injected into the client, everything wired in
``setup_hook``). App commands and buttons translate to ``core`` calls and back; no business rule lives here."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

import discord
from discord import app_commands

from bots.discord.buttons import AcceptButton, MemberButton, ModButton, say
from bots.discord.delivery import DiscordDelivery
from bots.discord.translate import PLATFORM, imagine_request, outcome_message, requester, tiers_for
from core.chat_settings import MOD_CHANNEL, ChatSettings
from core.domain import Accepted
from core.moderation import ModerationService
from core.params import InvalidParams
from core.runtime import Runtime
from safety.image_input import BadImage
from safety.moderation import ModerationError

log = logging.getLogger(__name__)


class MuralistDiscord(discord.Client):
    def __init__(self, runtime: Runtime, *, guild_ids: list[int] | None = None, mod_role_ids: list[int] | None = None,
                 tier_roles: dict[str, str] | None = None, deliver: bool = True) -> None:
        super().__init__(intents=discord.Intents.default())
        assert runtime.moderation is not None
        self.runtime = runtime
        self.moderation: ModerationService = runtime.moderation
        self.chat_settings = ChatSettings(runtime.repo.sessions)
        self.tree = app_commands.CommandTree(self)
        self.guild_ids = guild_ids or []
        self.mod_role_ids = set(mod_role_ids or [])
        self.tier_roles = tier_roles or {}
        self.instance_name = f"discord:{os.getpid()}:{id(self)}"
        self.delivery = DiscordDelivery(self)
        self.deliver_enabled = deliver
        self.synced = asyncio.Event()

    async def setup_hook(self) -> None:
        self.add_dynamic_items(MemberButton, AcceptButton, ModButton)
        commands: list[Any] = [imagine, license_command, accept, quota, history, cancel, mod]
        for command in commands:
            self.tree.add_command(command)
        if self.guild_ids:
            for guild_id in self.guild_ids:  # guild commands appear at once: for fast iteration
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()
        self.synced.set()
        if self.deliver_enabled:
            self.delivery.start()

    async def close(self) -> None:
        await self.delivery.stop()
        await super().close()

    def channel_is_nsfw(self, channel: Any) -> bool:
        is_nsfw = getattr(channel, "is_nsfw", None)
        return bool(is_nsfw()) if callable(is_nsfw) else False

    async def ensure_moderator(self, interaction: discord.Interaction[Any], what: str) -> bool:
        """Manage Messages, or a configured moderator role. Everyone else is refused, and the attempt is logged."""
        perms = interaction.permissions
        roles = {r.id for r in getattr(interaction.user, "roles", [])}
        if perms.manage_messages or roles & self.mod_role_ids:
            return True
        log.warning("non-moderator discord:%s tried %s", interaction.user.id, what)
        await asyncio.to_thread(self.moderation.repo.add_event, "denied", f"discord:{interaction.user.id}",
                                now=self.runtime.service.clock.now(), reason=f"not a moderator: {what}")
        await say(interaction, "Only moderators can do that.")
        return False


def _bot(interaction: discord.Interaction[Any]) -> MuralistDiscord:
    return interaction.client  # type: ignore[no-any-return]


def _who(interaction: discord.Interaction[Any]) -> Any:
    return requester(interaction.user.id, interaction.channel_id, interaction.user.display_name, interaction.id)


@app_commands.command(name="imagine", description="Make pictures from a prompt")
@app_commands.describe(prompt="What to draw", negative="What to keep out", size="WIDTHxHEIGHT, e.g. 512x512",
                       steps="Denoising steps", seed="Seed for a repeatable picture", count="Pictures (1-4)",
                       cfg="Guidance scale", image="A picture to start from (image-to-image)",
                       strength="How far from the picture to go, 0.05-1", model="Which model (default: the first)")
async def imagine(interaction: discord.Interaction[Any], prompt: str, negative: str | None = None,
                  size: str | None = None, steps: int | None = None, seed: int | None = None,
                  count: int | None = None, cfg: float | None = None, image: discord.Attachment | None = None,
                  strength: float | None = None, model: str | None = None) -> None:
    # Defer first: Discord drops interactions not answered within 3 seconds, and the gates touch the database.
    await interaction.response.defer(ephemeral=True, thinking=True)
    bot = _bot(interaction)
    options: dict[str, object] = {"prompt": prompt, "negative": negative, "size": size, "steps": steps,
                                  "seed": seed, "count": count, "cfg": cfg, "strength": strength, "model": model}
    if image is not None:
        if image.size > 20 * 1024 * 1024:
            await interaction.edit_original_response(content="The picture is larger than 20 MB.")
            return
        try:
            options["image"] = await asyncio.to_thread(bot.runtime.service.store_upload, await image.read())
        except (BadImage, discord.HTTPException) as exc:
            await interaction.edit_original_response(content=str(exc) if isinstance(exc, BadImage) else
                                                     "The picture could not be downloaded from Discord.")
            return
    try:
        request = imagine_request(_who(interaction), options, nsfw_channel=bot.channel_is_nsfw(interaction.channel),
                                  tiers=tiers_for([r.id for r in getattr(interaction.user, "roles", [])],
                                                  bot.tier_roles))
    except InvalidParams as exc:
        await interaction.edit_original_response(content=str(exc))
        return
    outcome = await asyncio.to_thread(bot.runtime.service.submit, request)
    if isinstance(outcome, Accepted):
        bot.delivery.progress_targets[outcome.job_id] = interaction
    await interaction.edit_original_response(content=outcome_message(outcome))


@app_commands.command(name="license", description="Read the model licence and accept it")
async def license_command(interaction: discord.Interaction[Any]) -> None:
    view = discord.ui.View(timeout=None)
    view.add_item(AcceptButton(interaction.user.id))
    await interaction.response.send_message(_bot(interaction).runtime.service.licence_text()[:1900], view=view,
                                            ephemeral=True)


@app_commands.command(name="accept", description="Accept the model licence")
async def accept(interaction: discord.Interaction[Any]) -> None:
    text = await asyncio.to_thread(_bot(interaction).runtime.service.accept_licence, _who(interaction))
    await interaction.response.send_message(text, ephemeral=True)


@app_commands.command(name="quota", description="Pictures used and left")
async def quota(interaction: discord.Interaction[Any]) -> None:
    bot = _bot(interaction)
    tiers = tiers_for([r.id for r in getattr(interaction.user, "roles", [])], bot.tier_roles)
    text = await asyncio.to_thread(bot.runtime.service.describe_quota, _who(interaction), tiers)
    await interaction.response.send_message(text, ephemeral=True)


@app_commands.command(name="cancel", description="Stop one of your jobs (its pictures are refunded)")
async def cancel(interaction: discord.Interaction[Any], job: str) -> None:
    text = await asyncio.to_thread(_bot(interaction).runtime.service.cancel, job.strip(), _who(interaction))
    await interaction.response.send_message(text, ephemeral=True)


@app_commands.command(name="history", description="Your last jobs")
async def history(interaction: discord.Interaction[Any]) -> None:
    jobs = await asyncio.to_thread(_bot(interaction).runtime.service.history, _who(interaction), 10)
    lines = [f"`{j.id}` {j.created_at:%Y-%m-%d %H:%M} {j.status.value} — {j.prompt[:80]}" for j in jobs]
    await interaction.response.send_message("\n".join(lines) or "No jobs yet: try /imagine.", ephemeral=True)


mod = app_commands.Group(name="mod", description="Moderator tools")


@mod.command(name="setup", description="Choose this server's moderators' channel")
async def mod_setup(interaction: discord.Interaction[Any], channel: discord.TextChannel) -> None:
    bot = _bot(interaction)
    if not await bot.ensure_moderator(interaction, "/mod setup") or interaction.guild_id is None:
        return
    await asyncio.to_thread(bot.chat_settings.set, PLATFORM, str(interaction.guild_id), MOD_CHANNEL,
                            str(channel.id), f"discord:{interaction.user.id}")
    await say(interaction, f"Pictures for review and reports will be posted in {channel.mention}.")


@mod.command(name="ban", description="Ban a member from making pictures")
@app_commands.describe(duration="30m, 12h, 7d, 2w or permanent")
async def mod_ban(interaction: discord.Interaction[Any], user: discord.User, duration: str, reason: str) -> None:
    await _moderate(interaction, "/mod ban", lambda bot, target, me, actor:
                    bot.moderation.ban(target, actor, duration, reason, me), user)


@mod.command(name="unban", description="Lift a ban")
async def mod_unban(interaction: discord.Interaction[Any], user: discord.User) -> None:
    await _moderate(interaction, "/mod unban", lambda bot, target, me, actor:
                    bot.moderation.unban(target, actor, "", me), user)


@mod.command(name="history", description="A member's moderation history")
async def mod_history(interaction: discord.Interaction[Any], user: discord.User) -> None:
    def show(bot: MuralistDiscord, target: int, _me: int, _actor: str) -> str:
        events = bot.moderation.history(target)
        return "\n".join(f"{e.created_at:%Y-%m-%d %H:%M} {e.action} by {e.actor}: {e.reason or ''}"
                         for e in events[-20:]) or "No moderation history."
    await _moderate(interaction, "/mod history", show, user)


async def _moderate(interaction: discord.Interaction[Any], what: str, action: Any, user: discord.User) -> None:
    bot = _bot(interaction)
    if not await bot.ensure_moderator(interaction, what):
        return
    me = await asyncio.to_thread(bot.runtime.repo.ensure_user, requester(interaction.user.id, None))
    target = await asyncio.to_thread(bot.runtime.repo.ensure_user, requester(user.id, None, user.display_name))
    try:
        text = await asyncio.to_thread(action, bot, target, me, f"discord:{interaction.user.id}")
    except ModerationError as exc:
        text = str(exc)
    await say(interaction, text[:1900])
