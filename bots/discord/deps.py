"""What the Discord commands, buttons and sender share: the facade and this bot's settings. One small object that
every module imports, so no module needs the client (and no import cycle runs through it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import discord

from bots.delivery_loop import DeliveryLoop
from bots.discord.translate import requester, tiers_for
from bots.progress_board import ProgressMessage
from core.app import Muralist
from core.catalogue import language
from core.domain import Accepted, Requester


@dataclass
class DiscordDeps:
    app: Muralist
    mod_role_ids: frozenset[int] = frozenset()
    tier_roles: dict[str, str] = field(default_factory=dict)
    delivery: DeliveryLoop | None = None
    # Each member's Discord language as their last interaction said it (in memory): a direct message carries none.
    languages: dict[int, str] = field(default_factory=dict)

    def track(self, accepted: Accepted, interaction: discord.Interaction[Any]) -> None:
        """Show an accepted job's progress in a message of its own in the channel (the member's "accepted" answer
        is private and stays as it is), in the channel's language. Best effort, kept in memory: after a restart the
        result still arrives."""
        self.track_in(accepted, interaction.channel_id, channel_language(interaction))

    def track_in(self, accepted: Accepted, channel_id: int | None, lang: str) -> None:
        """:meth:`track` for a job asked for without an interaction (a voice message in a DM)."""
        if self.delivery is not None and channel_id is not None:
            self.delivery.track(accepted.job_id, lang, ProgressMessage(str(channel_id)), accepted.ahead)


def deps_of(interaction: discord.Interaction[Any]) -> DiscordDeps:
    found = getattr(interaction.client, "deps", None)
    if not isinstance(found, DiscordDeps):
        raise RuntimeError("this interaction did not come through MuralistDiscord")
    return found


def channel_language(interaction: discord.Interaction[Any]) -> str:
    """The language of a message everyone in the channel reads (a job's progress): the server's community language
    (its preferred locale, which Discord sends with every interaction in a server); in a DM, the member's own."""
    locale = interaction.guild_locale if interaction.guild_id is not None else None
    return language(str(locale or interaction.locale))


def who(interaction: discord.Interaction[Any]) -> Requester:
    """The member behind an interaction, with what Discord vouches for: their roles' tiers, an NSFW channel, their
    client's language."""
    roles = [r.id for r in getattr(interaction.user, "roles", [])]
    is_nsfw = getattr(interaction.channel, "is_nsfw", None)
    deps_of(interaction).languages[interaction.user.id] = str(interaction.locale)
    return requester(interaction.user.id, interaction.channel_id, interaction.user.display_name, interaction.id,
                     locale=str(interaction.locale), tiers=tiers_for(roles, deps_of(interaction).tier_roles),
                     nsfw_channel=bool(is_nsfw()) if callable(is_nsfw) else False, username=interaction.user.name)


def is_moderator(interaction: discord.Interaction[Any]) -> bool:
    """Manage Messages, or a configured moderator role."""
    roles = {r.id for r in getattr(interaction.user, "roles", [])}
    return bool(interaction.permissions.manage_messages or roles & deps_of(interaction).mod_role_ids)


async def say(interaction: discord.Interaction[Any], text: str) -> None:
    """An ephemeral sentence, whether or not the interaction was already answered or deferred."""
    if interaction.response.is_done():
        await interaction.followup.send(text[:1900], ephemeral=True)
    else:
        await interaction.response.send_message(text[:1900], ephemeral=True)
