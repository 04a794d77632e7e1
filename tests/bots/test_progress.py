"""Progress people can see, through the real discord.py and python-telegram-bot clients against the fake servers: a
preview picture visible in the channel, edited in place no more than once every 2 s (by the fake server's clock),
taken down once the result is posted; and a place in the queue that stays true while jobs ahead of it run."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from bots.progress_board import MIN_EDIT_INTERVAL_S
from core.config import Settings
from core.runtime import Runtime, build_runtime
from tests.bots.fake_discord import GENERAL, FakeDiscord
from tests.bots.fake_telegram import FakeTelegram
from tests.bots.test_discord import accepted as accepted_on_discord
from tests.bots.test_discord import run as run_discord
from tests.bots.test_telegram import accept as accept_on_telegram
from tests.bots.test_telegram import run as run_telegram

ADA, BOB = 31, 32
JPEG = b"\xff\xd8"


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    # One job at a time, so "ahead of you" has one right answer at every moment.
    rt = build_runtime(Settings(data_dir=tmp_path_factory.mktemp("progress"), rate_limit_jobs=1000,
                                max_queued_jobs_per_user=50, worker_concurrency=1))
    yield rt
    rt.close()


@contextmanager
def slow_steps(runtime: Runtime, seconds: float) -> Iterator[None]:
    """The miniature model makes a step in milliseconds; a real one takes a good part of a second. Each step of the
    real miniature pipeline (latents and all) is held back by ``seconds``, so a job lasts as long as a real one."""
    runner = runtime.runner
    assert runner is not None and runner.pipeline is not None
    inner = runner.pipeline

    def slowed(spec: Any, progress: Any = None) -> Any:
        def step(done: int, total: int, preview: Any = None) -> None:
            time.sleep(seconds)
            if progress is not None:
                progress(done, total, preview)

        return inner(spec, step)

    runner.pipeline = slowed
    try:
        yield
    finally:
        runner.pipeline = inner


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def test_telegram_shows_a_preview_edited_in_place_every_2_s_at_most_then_deletes_it(runtime: Runtime) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        await accept_on_telegram(fake, ADA)
        fake.say(ADA, "/imagine a lighthouse at dusk --steps 16 --seed 3")
        result = await fake.wait_for(lambda: [p for p in fake.photos(ADA) if "a lighthouse at dusk" in p.text],
                                     timeout=240)
        answer = next(s for s in fake.sent if s.chat_id == ADA and s.text.startswith("Job ")
                      and "accepted" in s.text)
        job_id = answer.text.split()[1]
        previews = [s for s in fake.sent if s.chat_id == ADA and s.method == "sendPhoto" and job_id in s.text
                    and s is not result[0]]
        assert len(previews) == 1, [s.text for s in fake.sent if s.chat_id == ADA]
        progress = previews[0]
        assert progress.photos[0][:2] == JPEG and len(progress.photos[0]) <= 64 * 1024
        assert "generating now" in progress.text and "/16" in progress.text and progress.spoilers == [False]
        # The text answer was the progress message until the first preview replaced it.
        assert answer.deleted and progress.at < result[0].at
        new_pictures = [e for e in progress.edits if e.method == "editMessageMedia"]
        assert new_pictures and all(e.photo and e.photo[:2] == JPEG for e in new_pictures)
        # Each edit brings a new picture, and the message shows the newest.
        assert len({e.photo for e in new_pictures}) == len(new_pictures)
        assert progress.photos[0] == new_pictures[-1].photo
        # Never more than one edit per 2 s per message, counted from the message's own arrival.
        for message in (answer, progress):
            assert all(g >= MIN_EDIT_INTERVAL_S for g in gaps([message.at, *(e.at for e in message.edits)])), \
                gaps([message.at, *(e.at for e in message.edits)])
        # Once the result is posted the progress message goes, and nothing edits it afterwards.
        await fake.wait_for(lambda: progress.deleted)
        assert progress.deleted_at is not None and progress.deleted_at >= result[0].at
        assert all(e.at <= progress.deleted_at for e in progress.edits)

    with slow_steps(runtime, 0.5):
        run_telegram(runtime, scenario)


def test_telegram_queue_places_stay_true_while_the_jobs_ahead_run(runtime: Runtime) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        await accept_on_telegram(fake, BOB)
        def answers() -> list[Any]:
            return [s for s in fake.sent if s.chat_id == BOB and s.text.startswith("Job ") and "accepted" in s.text]

        for n, prompt in enumerate(("first in line --steps 12", "second in line --steps 10",
                                    "third in line --steps 4"), start=1):
            fake.say(BOB, f"/imagine {prompt}")
            await fake.wait_for(lambda n=n: len(answers()) == n)
        first, second, third = answers()
        # The first is generating; the ones behind it are told how many are queued ahead — running ones never
        # count, and no two queued jobs hear the same place.
        assert "(next in line)" in second.text, second.text
        assert "(1 ahead of you)" in third.text, third.text
        await fake.wait_for(lambda: [p for p in fake.photos(BOB) if "third in line" in p.text], timeout=240)
        await fake.wait_for(lambda: third.deleted)
        said = [e.text for e in third.edits]
        # As the first finished and the second started, the third moved up to next in line, then started.
        places = [p for p in ("next in line", "generating now") if any(p in t for t in said)]
        assert places == ["next in line", "generating now"], said
        assert said.index(next(t for t in said if "next in line" in t)) < \
            said.index(next(t for t in said if "generating now" in t))
        assert all(g >= MIN_EDIT_INTERVAL_S for g in gaps([third.at, *(e.at for e in third.edits)]))
        assert first.deleted and second.deleted

    with slow_steps(runtime, 0.5):
        run_telegram(runtime, scenario)


def test_discord_posts_a_public_preview_edits_it_every_2_s_at_most_and_deletes_it_for_the_result(
        runtime: Runtime) -> None:
    async def scenario(fake: FakeDiscord, _bot: Any) -> None:
        await accepted_on_discord(fake, ADA)
        reply = await fake.slash("imagine", ADA, prompt="a harbour in the fog", steps=16, seed=4)
        await fake.wait_for(lambda: "accepted" in reply.last_text)
        job_id = reply.last_text.split()[1]
        result = await fake.wait_for(lambda: [m for m in fake.messages if m.channel_id == GENERAL
                                              and "a harbour in the fog" in m.content and m.files], timeout=240)
        progress = [m for m in fake.messages if m.channel_id == GENERAL and job_id in m.content
                    and m is not result[0]]
        assert len(progress) == 1, [m.content for m in fake.messages]
        message = progress[0]
        # A channel message (not the member's private answer), with a preview picture uploaded and replaced.
        pictures = [files for files in [message.files, *(e.files for e in message.edits)] if files]
        assert pictures and all(f[0][0] == f"preview-{job_id}.jpg" and f[0][1][:2] == JPEG for f in pictures)
        assert len({f[0][1] for f in pictures}) >= 2, "the preview was never replaced by a newer one"
        assert any("generating now" in e.content and "/16" in e.content for e in message.edits)
        times = [message.at, *(e.at for e in message.edits)]
        assert all(g >= MIN_EDIT_INTERVAL_S for g in gaps(times)), gaps(times)
        await fake.wait_for(lambda: message.deleted)
        assert message.deleted_at is not None and message.deleted_at >= result[0].at
        assert all(e.at <= message.deleted_at for e in message.edits)
        assert "accepted" in reply.last_text  # the private answer is left as it was: no bar stuck at 16/16

    with slow_steps(runtime, 0.5):
        run_discord(runtime, scenario)
