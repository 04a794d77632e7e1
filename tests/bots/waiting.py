"""Waiting for what a bot does, without fixed sleeps."""

from __future__ import annotations

import asyncio
from typing import Any


async def wait_for(predicate: Any, timeout: float = 30.0) -> Any:
    """Poll ``predicate`` until it returns something truthy (and return it), or fail after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        found = predicate()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("timed out waiting for the bot")
