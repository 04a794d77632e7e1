"""Voice prompts on Discord. Two ways in: the ``voice`` attachment option of ``/imagine`` (an audio file, with the
member's language from the interaction), and a voice message — or an audio file — sent to the bot in a direct
message, which is what Discord's record button makes. A voice message in a server channel is ignored: the bot reads
no channel messages (no message-content intent), and members talking among themselves are not requests.

The recording is bounded before a byte is fetched (the size and, for voice messages, the duration Discord states),
then by the bytes actually read (``read_at_most``); core bounds the sound actually decoded again and transcribes it
in a thread, never on the event loop. The member reads "I heard: …" before the job is submitted, and the words pass
every gate a typed prompt passes."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import discord

from bots.discord.buttons import rendered
from bots.discord.deps import DiscordDeps
from bots.discord.translate import requester
from bots.downloads import TooLarge, read_at_most
from core.catalogue import render, text
from core.domain import Accepted, GenerationParams, Notice, Reply, Requester
from core.voice import MAX_BYTES as VOICE_MAX_BYTES
from core.voice import MAX_SECONDS as VOICE_MAX_SECONDS

log = logging.getLogger(__name__)
# What a recording is called when Discord does not say it is audio (a file sent from a computer, say).
AUDIO_SUFFIXES = (".ogg", ".oga", ".opus", ".mp3", ".wav", ".m4a", ".flac", ".webm")


def is_audio(attachment: discord.Attachment) -> bool:
    return (attachment.is_voice_message() or (attachment.content_type or "").startswith("audio/")
            or attachment.filename.lower().endswith(AUDIO_SUFFIXES))


async def read_recording(attachment: discord.Attachment, lang: str) -> tuple[bytes | None, str]:
    """(the recording's bytes, or None and the sentence saying why). Refused on what Discord states first — its
    size, and a voice message's duration — then on the bytes actually read."""
    if attachment.duration is not None and attachment.duration > VOICE_MAX_SECONDS:
        return None, text("voice_too_long", lang, seconds=VOICE_MAX_SECONDS)
    too_large = text("voice_too_large", lang, mb=VOICE_MAX_BYTES // 2**20)
    if attachment.size > VOICE_MAX_BYTES:
        return None, too_large
    try:
        return await read_at_most(attachment.url, VOICE_MAX_BYTES), ""
    except TooLarge:
        return None, too_large
    except (aiohttp.ClientError, TimeoutError):
        log.warning("discord download of attachment %s failed", attachment.id, exc_info=True)
        return None, text("upload_failed", lang)


async def hear(deps: DiscordDeps, member: Requester, attachment: discord.Attachment) -> Reply | str:
    """``Notice("voice_heard")`` with the words, or a refusal (a core outcome, or an adapter's sentence)."""
    data, refusal = await read_recording(attachment, member.language)
    if data is None:
        return refusal
    return await asyncio.to_thread(deps.app.hear, member, data)


async def voice_message(deps: DiscordDeps, message: discord.Message) -> None:
    """A direct message holding a voice message or an audio file: a spoken /imagine. Its answers are replies to it,
    and the pictures are posted in the same direct message."""
    if message.guild is not None or message.author.bot:
        return
    recording = next((a for a in message.attachments if is_audio(a)), None)
    if recording is None:
        return
    # A message carries no locale: the language of the member's last slash command (in this process), else English.
    member = requester(message.author.id, message.channel.id, message.author.display_name, message.id,
                       locale=deps.languages.get(message.author.id), username=message.author.name)
    lang = member.language
    heard = await hear(deps, member, recording)
    if not isinstance(heard, Notice):
        await message.reply(said(heard, lang)[:1900], mention_author=False)
        return
    await message.reply(render(heard, lang)[:1900], mention_author=False)
    outcome = await asyncio.to_thread(deps.app.imagine, member, GenerationParams(str(heard.values["text"])))
    if isinstance(outcome, Accepted):
        deps.track_in(outcome, message.channel.id, lang)  # a DM: the member is its only reader
    await message.channel.send(rendered(outcome, lang)[:1900])


def said(reply: Reply | str, lang: str) -> str:
    """A refusal from :func:`hear` as the sentence to show."""
    return reply if isinstance(reply, str) else render(reply, lang)
