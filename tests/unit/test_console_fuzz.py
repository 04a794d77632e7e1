"""Hostile input at the console: every command with random arguments gets sentences back, never an exception, a
traceback or a hang (a hypothesis-driven fuzz against the real embedded stack)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bots.console.bot import ConsoleBot
from core.config import Settings
from core.domain import Requester
from core.runtime import Runtime, build_runtime

COMMANDS = ["/help", "/license", "/accept", "/imagine", "/reroll", "/variations", "/upscale", "/cartoon", "/cancel",
            "/styles", "/models", "/quota", "/history", "/report", "/appeal", "/link", "/unlink", "/nope", "imagine",
            ""]
NASTY = ["99999999999999999999999", "-1", "0", "1e20", "nan", "inf", "strike", "strike 9999999999999999999999",
         "--seed", "--seed 99999999999999999999", "--size 99999x99999", "--steps -5", "--count 1000", "--cfg nan",
         "--image /etc/passwd", "--image /dev/zero", "--mask x", "--box 1,2", "\x00", "\ud800", "—seed 5", "img:x",
         "#999999999999999999999", "a" * 5000, "🦊" * 50, "--model ../../etc", "--style ' OR 1=1 --"]


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory, models_dir: Path):  # type: ignore[no-untyped-def]
    runtime: Runtime = build_runtime(Settings(data_dir=tmp_path_factory.mktemp("fuzz"), models_dir=models_dir,
                                              rate_limit_jobs=10**6, quota_daily_images=10**6,
                                              max_queued_jobs_per_user=10**6))
    console = ConsoleBot(runtime.app, Requester("console", "fuzzer", chat_id="console", local=True), job_timeout=60)
    console.handle("/accept")
    yield console
    runtime.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@example(command="/imagine", words=["\ud800"])  # once a UnicodeEncodeError at the database
@example(command="/report", words=["abcdefghjk", "1", "\udfff"])
@example(command="/appeal", words=["strike", "99999999999999999999999"])  # once an OverflowError in SQLite
@example(command="/appeal", words=["abcdefghjk", "99999999999999999999"])
@example(command="/report", words=["abcdefghjk", "99999999999999999999", "why"])
@given(command=st.sampled_from(COMMANDS),
       words=st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=40)), max_size=4))
def test_every_console_command_answers_in_sentences(bot: ConsoleBot, command: str, words: list[str]) -> None:
    line = " ".join([command, *words])
    start = time.monotonic()
    replies = bot.handle(line)
    assert time.monotonic() - start < 60
    assert all(isinstance(r, str) for r in replies)
    assert not any("Traceback" in r or "Something went wrong" in r for r in replies), (line, replies)
