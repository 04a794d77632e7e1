"""The Discord client (discord.py's advanced_startup pattern: dependencies injected into the client, everything
wired in ``setup_hook``). Commands, buttons and the sender share one :class:`DiscordDeps`; no business rule lives
here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from typing import Any

import discord
from discord import app_commands

from bots.delivery_loop import DeliveryLoop
from bots.discord.buttons import AcceptButton, MemberButton, ModButton
from bots.discord.commands import MEMBER_COMMANDS, ModGroup
from bots.discord.deps import DiscordDeps, say, who
from bots.discord.localized import CatalogueTranslator, described
from bots.discord.more_commands import MORE_COMMANDS
from bots.discord.sender import DiscordSender
from bots.discord.translate import PLATFORM
from bots.discord.voice import voice_message
from core.catalogue import text
from core.runtime import Runtime

log = logging.getLogger(__name__)


class MuralistDiscord(discord.Client):
    def __init__(self, runtime: Runtime, *, guild_ids: list[int] | None = None, mod_role_ids: list[int] | None = None,
                 tier_roles: dict[str, str] | None = None, deliver: bool = True) -> None:
        super().__init__(intents=discord.Intents.default())
        self.deps = DiscordDeps(runtime.app, frozenset(mod_role_ids or []), dict(tier_roles or {}))
        self.tree = app_commands.CommandTree(self)
        self.guild_ids = guild_ids or []
        self.delivery = DeliveryLoop(runtime.app, runtime.bus, PLATFORM, f"discord:{os.getpid()}:{id(self)}",
                                     DiscordSender(self, self.deps))
        self.deps.delivery = self.delivery
        self.deliver_enabled = deliver
        self.synced = asyncio.Event()

    async def setup_hook(self) -> None:
        # discord.py's run() leaves SIGTERM at the default (an instant kill): a supervisor's stop must close the
        # client instead, so the delivery loop stops and the caller hands the job in hand back.
        with contextlib.suppress(NotImplementedError, RuntimeError):  # no signal handlers off the main thread
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(self.close()))
        self.tree.error(self.on_app_command_error)
        await self.tree.set_translator(CatalogueTranslator())  # before the sync: it sends every translation
        self.add_dynamic_items(MemberButton, AcceptButton, ModButton)
        for command in (*MEMBER_COMMANDS, *MORE_COMMANDS):
            self.tree.add_command(command)
        self.tree.add_command(ModGroup(name="mod", description=described("cmd_mod")))
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

    async def on_message(self, message: discord.Message) -> None:
        """Only direct messages with a recording reach anything: a spoken /imagine (bots/discord/voice.py)."""
        await voice_message(self.deps, message)

    async def on_app_command_error(self, interaction: discord.Interaction[Any],
                                   error: app_commands.AppCommandError) -> None:
        """A failed check was already answered (and audited); anything else is logged and said in one sentence."""
        if isinstance(error, app_commands.CheckFailure):
            return
        log.error("discord command failed", exc_info=error)
        await say(interaction, text("internal_error", who(interaction).language))

    async def close(self) -> None:
        await self.delivery.stop()
        await super().close()
