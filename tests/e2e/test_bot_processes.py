"""The real `muralist telegram` and `muralist discord` processes against the fake platforms, as an operator runs
them (embedded worker, SQLite).

A supervisor's SIGTERM mid-job must end the process within 10 s (it hung for more than 30 s once) and hand the job
back; the next process finishes it and the member gets the pictures exactly once, charged once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from core.config import Settings
from core.domain import JobStatus
from core.runtime import build_runtime
from core.storage.models import JobRow, QuotaLedgerRow
from tests.bots.fake_discord import GUILD_ID, FakeDiscord
from tests.bots.fake_telegram import TOKEN, FakeTelegram

ADA = 31


async def start_bot(fake: FakeTelegram, data: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "MURALIST_TELEGRAM_TOKEN": TOKEN, "MURALIST_TELEGRAM_BASE_URL": fake.base_url,
           "MURALIST_TELEGRAM_BASE_FILE_URL": fake.file_url, "MURALIST_DATA_DIR": str(data)}
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bots.cli", "telegram", env=env,
                                                stdout=asyncio.subprocess.DEVNULL, stderr=open(data / "bot.err", "a"))  # noqa: SIM115


def test_sigterm_mid_job_exits_within_10_s_and_the_next_process_delivers_once(tmp_path: Path,
                                                                                models_dir: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "models").symlink_to(models_dir)  # the miniature models the suite already built
    reader = None

    def job_status() -> JobStatus | None:
        with reader.engine.connect() as conn:  # type: ignore[union-attr]
            status = conn.execute(select(JobRow.status)).scalar_one_or_none()
        return None if status is None else JobStatus(status)

    async def main() -> None:
        nonlocal reader
        fake = FakeTelegram()
        await fake.start()
        first = await start_bot(fake, data)
        try:
            fake.say(ADA, "/accept")
            await fake.wait_for(lambda: any("accepted" in x for x in fake.texts(ADA)), timeout=120)
            reader = build_runtime(Settings(data_dir=data), embedded_worker=False)
            fake.say(ADA, "/imagine a long job --steps 50 --size 384x384 --count 2 --seed 4")
            deadline = time.monotonic() + 120
            while await asyncio.to_thread(job_status) is not JobStatus.RUNNING:
                assert time.monotonic() < deadline, "the job never started"
                await asyncio.sleep(0.2)
            first.send_signal(signal.SIGTERM)
            asked = time.monotonic()
            code = await asyncio.wait_for(first.wait(), 10)
            print(f"telegram bot exited {time.monotonic() - asked:.1f} s after SIGTERM, code {code}")
            assert code == 0
            assert await asyncio.to_thread(job_status) is JobStatus.QUEUED  # handed back, not left running
            assert fake.photos(ADA) == []

            second = await start_bot(fake, data)
            try:
                await fake.wait_for(lambda: fake.photos(ADA), timeout=240)
                await asyncio.sleep(2)  # a second delivery would come from the same sweep
            finally:
                second.send_signal(signal.SIGTERM)
                await asyncio.wait_for(second.wait(), 10)
        finally:
            if first.returncode is None:
                first.kill()
            await fake.stop()
        photos = [p for sent in fake.photos(ADA) for p in sent.photos]
        assert len(photos) == 2  # both pictures, once
        assert await asyncio.to_thread(job_status) is JobStatus.DONE
        with reader.engine.connect() as conn:  # type: ignore[union-attr]
            assert conn.execute(select(func.sum(QuotaLedgerRow.delta))).scalar_one() == 2  # charged once

    try:
        asyncio.run(main())
    finally:
        if reader is not None:
            reader.close()


def test_the_discord_process_hands_its_job_back_on_sigterm_within_10_s(tmp_path: Path, models_dir: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "models").symlink_to(models_dir)
    reader = None

    def job_status() -> JobStatus | None:
        with reader.engine.connect() as conn:  # type: ignore[union-attr]
            status = conn.execute(select(JobRow.status)).scalar_one_or_none()
        return None if status is None else JobStatus(status)

    async def main() -> None:
        nonlocal reader
        fake = FakeDiscord()
        await fake.start()
        env = {**os.environ, "MURALIST_DISCORD_TOKEN": "fake-token", "MURALIST_DISCORD_API_BASE": fake.api_base,
               "MURALIST_DISCORD_GATEWAY_URL": fake.ws_url, "MURALIST_DISCORD_GUILD_IDS": f"[{GUILD_ID}]",
               "MURALIST_DATA_DIR": str(data)}
        bot = await asyncio.create_subprocess_exec(sys.executable, "-m", "bots.cli", "discord", env=env,
                                                   stdout=asyncio.subprocess.DEVNULL,
                                                   stderr=asyncio.subprocess.DEVNULL)
        try:
            await fake.wait_for(lambda: fake.identified.is_set(), timeout=120)
            accept = await fake.slash("accept", ADA)
            await fake.wait_for(lambda: "accepted" in accept.last_text, timeout=60)
            reader = build_runtime(Settings(data_dir=data), embedded_worker=False)
            await fake.slash("imagine", ADA, prompt="a long job --steps 50 --size 384x384 --count 2")
            deadline = time.monotonic() + 120
            while await asyncio.to_thread(job_status) is not JobStatus.RUNNING:
                assert time.monotonic() < deadline, "the job never started"
                await asyncio.sleep(0.2)
            bot.send_signal(signal.SIGTERM)
            asked = time.monotonic()
            code = await asyncio.wait_for(bot.wait(), 10)
            print(f"discord bot exited {time.monotonic() - asked:.1f} s after SIGTERM, code {code}")
            assert code == 0
            assert await asyncio.to_thread(job_status) is JobStatus.QUEUED  # handed back for the next process
        finally:
            if bot.returncode is None:
                bot.kill()
            await fake.stop()

    try:
        asyncio.run(main())
    finally:
        if reader is not None:
            reader.close()
