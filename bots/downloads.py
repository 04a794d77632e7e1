"""Downloading a member's picture with a bound on the bytes actually received and the time actually spent.

``discord.Attachment.read`` and PTB's ``File.download_as_bytearray`` buffer whatever the server sends, and the size
the platform states is only a claim; a picture input is therefore streamed and cut off one byte past the limit,
within a deadline. (A Telegram file URL carries the bot token: callers never log the URL or the exception text.)"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import aiohttp

from core.catalogue import text

log = logging.getLogger(__name__)
# Discord's attachment limit for a bot and the Telegram Bot API's getFile limit alike.
MAX_PICTURE_BYTES = 20 * 2**20


class TooLarge(Exception):
    """More bytes arrived than the limit allows (whatever size was stated)."""


async def read_at_most(url: str, limit: int, *, timeout_s: float = 30.0, chunk: int = 64 * 1024) -> bytes:
    """The body at ``url``; TooLarge past ``limit`` bytes; aiohttp.ClientError or TimeoutError when the download
    fails or takes longer than ``timeout_s`` in all."""
    received = bytearray()
    async with asyncio.timeout(timeout_s), aiohttp.ClientSession() as session, session.get(url) as response:
        response.raise_for_status()
        async for piece in response.content.iter_chunked(chunk):
            received += piece
            if len(received) > limit:
                raise TooLarge(url)
    return bytes(received)


async def read_picture(url: str | Callable[[], Awaitable[str]], stated_size: int | None, lang: str, what: str,
                       platform_errors: tuple[type[Exception], ...] = ()) -> bytes | str:
    """A member's picture, or the one sentence (in ``lang``) saying why not: larger than MAX_PICTURE_BYTES as the
    platform states it (checked before anything is fetched) or as it arrives, or the download failed.
    ``url`` is the picture's URL, or how to ask the platform for it (which may fail with one of
    ``platform_errors``); ``what`` names the picture in the log, which never holds the URL."""
    too_large = text("upload_too_large", lang, mb=MAX_PICTURE_BYTES // 2**20)
    failed: tuple[type[Exception], ...] = (aiohttp.ClientError, ValueError, TimeoutError, *platform_errors)
    if (stated_size or 0) > MAX_PICTURE_BYTES:
        return too_large
    try:
        return await read_at_most(url if isinstance(url, str) else await url(), MAX_PICTURE_BYTES)
    except TooLarge:
        return too_large
    except failed as exc:
        log.warning("download of %s failed: %s", what, type(exc).__name__)
        return text("upload_failed", lang)
