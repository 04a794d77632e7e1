"""Downloading a member's picture with a bound on the bytes actually received and the time actually spent.

``discord.Attachment.read`` and PTB's ``File.download_as_bytearray`` buffer whatever the server sends, and the size
the platform states is only a claim; a picture input is therefore streamed and cut off one byte past the limit,
within a deadline. (A Telegram file URL carries the bot token: callers never log the URL or the exception text.)"""

from __future__ import annotations

import asyncio

import aiohttp


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
