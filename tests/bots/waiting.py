"""Waiting for what a bot does, without fixed sleeps."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from core.domain import GenerationParams, QuotaSettings, Requester
from core.params import check_params
from core.ports import NewJob
from core.runtime import Runtime


async def wait_for(predicate: Any, timeout: float = 30.0) -> Any:
    """Poll ``predicate`` until it returns something truthy (and return it), or fail after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        found = predicate()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("timed out waiting for the bot")


def finished_unannounced(runtime: Runtime, who: Requester, prompt: str) -> str:
    """A job that finishes without a word on the event bus, as if its worker died before announcing it: only the
    delivery sweep can find it. The sweep lists every undelivered job, oldest first, so once this one reaches the chat,
    a sweep has run that would have sent again any earlier job still taken for undelivered."""
    spec = check_params(GenerationParams(prompt), runtime.spec)
    rules, _ = QuotaSettings(default_limit=10**6, max_queued=10**6, burst_jobs=10**6).rules_for()
    created = runtime.repo.create_job(NewJob(runtime.repo.ensure_user(who), who, spec, runtime.spec.name,
                                             runtime.spec.queue, nsfw_allowed=False), rules=rules,
                                      now=datetime.now(UTC))
    assert isinstance(created, str), created
    assert runtime.repo.start_job(created, datetime.now(UTC)) is not None
    assert runtime.repo.finish_job(created, [], [], datetime.now(UTC))
    return created
