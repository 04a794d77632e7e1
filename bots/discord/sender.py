"""How Discord sends: finished jobs as new channel messages with the bot token (never through the 15-minute
interaction webhook), moderator posts behind a spoiler, progress as one channel message per job (its place in the
queue, then its steps and a preview picture), edited in place and deleted once the result is posted. Claiming,
rendering, marking and the pace of progress edits are shared (core's delivery template, bots.progress_board); this
module only sends."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import discord

from bots.discord.buttons import MemberButton, ModButton
from bots.discord.deps import DiscordDeps
from bots.progress_board import ProgressMessage, ProgressView
from core.catalogue import language, render
from core.delivery import ModeratorPost, PublicChange, ResultButton, ResultMessage


def channel_language(channel: Any, private: str = "en") -> str:
    """A channel message is read by the whole channel, not only the requester: it is written in the server's
    community language (its preferred locale); a DM (or an unknown server's channel) gets ``private``, the
    requester's language where the message is theirs, else English."""
    guild = getattr(channel, "guild", None)
    return language(str(getattr(guild, "preferred_locale", None) or private))


def result_view(message: ResultMessage, lang: str) -> discord.ui.View:
    """Reroll, Edit and Info for the job; Upscale, Variations, Fix faces, Report and Delete for each picture that was
    posted."""
    return buttons_view(message.buttons, len(message.pictures) == 1, lang)


ROWS = 5  # Discord allows five rows of at most five buttons under one message


def buttons_view(buttons: tuple[ResultButton, ...], single: bool, lang: str) -> discord.ui.View:
    """The job's own buttons on the first row. Below, one row per action (U1 U2 U3 U4, then V1 V2 …, as members
    know it from Midjourney) while the actions fit in the four rows left; with one more (Fix faces, where a face
    model is configured) one row per picture instead (U1 V1 Faces 1 Report 1 ❌1): at most four pictures of at
    most five actions always fit."""
    view = discord.ui.View(timeout=None)
    actions = list(dict.fromkeys(b.action for b in buttons if b.idx is not None))
    pictures = list(dict.fromkeys(b.idx for b in buttons if b.idx is not None))
    by_action = len(actions) < ROWS
    for button in buttons:
        if button.idx is None:
            row = 0
        else:
            row = 1 + (actions.index(button.action) if by_action else pictures.index(button.idx))
        view.add_item(MemberButton.labelled(button.action, button.job_id, button.idx, single, lang, row))
    return view


class DiscordSender:
    def __init__(self, client: discord.Client, deps: DiscordDeps) -> None:
        self.client = client
        self.deps = deps

    async def _channel(self, channel_id: str) -> Any:
        return self.client.get_channel(int(channel_id)) or await self.client.fetch_channel(int(channel_id))

    async def send_result(self, message: ResultMessage) -> list[str]:
        channel = await self._channel(message.chat_id)
        lang = channel_language(channel, message.language)
        mention = f"<@{message.mention}> " if message.mention else ""
        lines = [render(line, lang) for line in message.lines]
        content = "\n".join([mention + lines[0], *lines[1:]])
        files = [discord.File(p.path, filename=p.filename, spoiler=p.spoiler) for p in message.pictures]
        sent = await channel.send(
            content[:1900], files=files, view=result_view(message, lang) if message.buttons else discord.utils.MISSING,
            allowed_mentions=discord.AllowedMentions(users=True, roles=False, everyone=False))
        return [str(sent.id)]

    async def send_moderator_post(self, post: ModeratorPost) -> None:
        channel = await self._channel(post.channel_id)
        lang = channel_language(channel)
        view = discord.ui.View(timeout=None)
        for action in post.actions:
            view.add_item(ModButton(action, post.job_id, post.idx, lang))
        # The caption mentions the author so moderators can click through; a mention here must not ping them.
        await channel.send(render(post.caption, lang)[:1900], view=view, file=discord.File(
            post.path, filename=f"SPOILER_review-{post.job_id}-{post.idx + 1}.png", spoiler=True),
            allowed_mentions=discord.AllowedMentions.none())

    async def change_public_post(self, change: PublicChange) -> None:
        """A result is one message with every picture attached: a removal edits that one attachment out (and its
        buttons; the message goes when nothing is left), an approval swaps it for the same picture without
        spoiler."""
        channel = await self._channel(change.chat_id)
        try:
            message = await channel.fetch_message(int(change.message_ids[0]))
        except discord.NotFound:
            return  # deleted by someone already
        kept = [a for a in message.attachments if a.filename.removeprefix("SPOILER_") != change.picture.filename]
        if change.kind == "remove":
            if not kept:
                with contextlib.suppress(discord.NotFound):
                    await message.delete()
                return
            view = buttons_view(change.buttons, len(kept) == 1, channel_language(channel, change.language)) \
                if change.buttons else None
            await message.edit(attachments=kept, view=view)
            return
        await message.edit(attachments=[*kept, discord.File(change.picture.path, filename=change.picture.filename)])

    async def delete_messages(self, chat_id: str, message_ids: list[str]) -> None:
        channel = await self._channel(chat_id)
        for message_id in message_ids:
            with contextlib.suppress(discord.NotFound):
                await channel.get_partial_message(int(message_id)).delete()

    async def show_progress(self, view: ProgressView, message: ProgressMessage,
                            new_picture: bool) -> ProgressMessage:
        channel = await self._channel(message.chat_id)
        picture = [discord.File(io.BytesIO(view.preview), filename=f"preview-{view.job_id}.jpg")] \
            if view.preview is not None and (new_picture or message.message_id is None) else []
        quiet = discord.AllowedMentions.none()
        if message.message_id is None:
            sent = await channel.send(view.line(), files=picture or discord.utils.MISSING, allowed_mentions=quiet)
            return ProgressMessage(message.chat_id, str(sent.id), bool(picture))
        partial = channel.get_partial_message(int(message.message_id))
        # Only a new preview is uploaded again; a step count alone edits the text and keeps the picture there.
        await partial.edit(content=view.line(), attachments=picture or discord.utils.MISSING, allowed_mentions=quiet)
        return ProgressMessage(message.chat_id, message.message_id, message.has_picture or bool(picture))

    async def remove_progress(self, message: ProgressMessage) -> None:
        if message.message_id is not None:
            await self.delete_messages(message.chat_id, [message.message_id])

    async def moderation_scope(self, chat_id: str) -> str | None:
        """A Discord channel's moderators' channel is chosen per guild (/mod setup)."""
        with contextlib.suppress(discord.HTTPException, ValueError):
            channel = await self._channel(chat_id)
            guild = getattr(channel, "guild", None)
            if guild is not None:
                return str(guild.id)
        return None
