"""The one download rule both chat bots apply to a member's picture: at most 20 MB, whether as the platform states
it or as it arrives, and one sentence in the member's language when it cannot be had (the log never holds the URL,
which on Telegram carries the bot token)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web

from bots.downloads import MAX_PICTURE_BYTES, read_picture

PICTURE = b"\x89PNG\r\n\x1a\n" + b"\0" * 1000
SECRET_URL_PART = "bot123456:SECRET"


async def _serving(handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
                   body: Callable[[str], Awaitable[bytes | str]]) -> tuple[bytes | str, int]:
    """(what ``body`` made of a local server's URL, how many requests the server saw)."""
    seen = 0

    async def counted(request: web.Request) -> web.StreamResponse:
        nonlocal seen
        seen += 1
        return await handler(request)

    app = web.Application()
    app.router.add_get("/{path:.*}", counted)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        return await body(f"http://127.0.0.1:{port}/file/{SECRET_URL_PART}/photo.png"), seen
    finally:
        await runner.cleanup()


async def _picture(_: web.Request) -> web.StreamResponse:
    return web.Response(body=PICTURE)


async def _endless(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    await response.prepare(request)
    for _ in range(MAX_PICTURE_BYTES // 2**20 + 2):  # a megabyte at a time, one more than the limit
        await response.write(b"\0" * 2**20)
    return response


async def _missing(_: web.Request) -> web.StreamResponse:
    return web.Response(status=404)


def test_a_picture_within_the_limit_arrives_whole() -> None:
    got, _ = asyncio.run(_serving(_picture, lambda url: read_picture(url, len(PICTURE), "en", "photo 1")))
    assert got == PICTURE


def test_a_stated_size_over_the_limit_is_refused_before_anything_is_fetched() -> None:
    got, requests = asyncio.run(_serving(_picture, lambda url: read_picture(url, MAX_PICTURE_BYTES + 1, "zh", "p")))
    assert got == "图片超过了 20 MB。" and requests == 0


def test_a_body_longer_than_it_claimed_is_cut_off_at_the_limit() -> None:
    got, _ = asyncio.run(_serving(_endless, lambda url: read_picture(url, 1024, "en", "photo 2")))
    assert got == "The picture is larger than 20 MB."


@pytest.mark.parametrize("platform_fails", [False, True])
def test_a_failed_download_is_one_sentence_and_the_log_never_holds_the_url(
        platform_fails: bool, caplog: pytest.LogCaptureFixture) -> None:
    class PlatformError(Exception):
        pass

    def ask_platform(url: str) -> Callable[[], Awaitable[str]]:
        async def locate() -> str:
            if platform_fails:
                raise PlatformError(f"could not reach {url}")
            return url
        return locate

    with caplog.at_level(logging.WARNING, logger="bots.downloads"):
        got, _ = asyncio.run(_serving(_missing, lambda url: read_picture(ask_platform(url), None, "en", "photo 3",
                                                                         (PlatformError,))))
    assert got == "The picture could not be downloaded."
    assert "photo 3" in caplog.text and SECRET_URL_PART not in caplog.text
