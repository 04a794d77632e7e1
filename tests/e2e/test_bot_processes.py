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
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from core.config import Settings
from core.domain import JobStatus
from core.runtime import Runtime, build_runtime
from core.storage.models import JobRow, QuotaLedgerRow
from tests.bots.fake_discord import GUILD_ID, FakeDiscord
from tests.bots.fake_telegram import TOKEN, FakeTelegram

ADA = 31
LONG_JOB = "a long job --steps 50 --size 384x384 --count 2"


class TheJob:
    """The drill's one job as the database records it, read beside the bot process (with no worker of its own)."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self._reader: Runtime | None = None

    def open(self) -> None:
        """Once the bot has created and migrated the database, and before the job is asked for."""
        self._reader = build_runtime(Settings(data_dir=self.data), embedded_worker=False)

    def _engine(self) -> Engine:
        assert self._reader is not None, "open() first"
        return self._reader.engine

    def status(self) -> JobStatus | None:
        with self._engine().connect() as conn:
            status = conn.execute(select(JobRow.status)).scalar_one_or_none()
        return None if status is None else JobStatus(status)

    def charged(self) -> int:
        with self._engine().connect() as conn:
            return int(conn.execute(select(func.sum(QuotaLedgerRow.delta))).scalar_one())

    async def running(self) -> None:
        deadline = time.monotonic() + 120
        while await asyncio.to_thread(self.status) is not JobStatus.RUNNING:
            assert time.monotonic() < deadline, "the job never started"
            await asyncio.sleep(0.2)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()


@pytest.fixture
def data(tmp_path: Path, models_dir: Path) -> Path:
    """The bot's data dir, on the miniature models the suite already built."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "models").symlink_to(models_dir)
    return folder


@pytest.fixture
def the_job(data: Path) -> Iterator[TheJob]:
    job = TheJob(data)
    yield job
    job.close()


async def start_bot(platform: str, env: dict[str, str], data: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.cli", platform, env={**os.environ, **env, "MURALIST_DATA_DIR": str(data)},
        stdout=asyncio.subprocess.DEVNULL, stderr=open(data / f"{platform}.err", "a"))  # noqa: SIM115


async def start_telegram(fake: FakeTelegram, data: Path) -> asyncio.subprocess.Process:
    return await start_bot("telegram", {"MURALIST_TELEGRAM_TOKEN": TOKEN,
                                        "MURALIST_TELEGRAM_BASE_URL": fake.base_url,
                                        "MURALIST_TELEGRAM_BASE_FILE_URL": fake.file_url}, data)


async def start_discord(fake: FakeDiscord, data: Path) -> asyncio.subprocess.Process:
    return await start_bot("discord", {"MURALIST_DISCORD_TOKEN": "fake-token",
                                       "MURALIST_DISCORD_API_BASE": fake.api_base,
                                       "MURALIST_DISCORD_GATEWAY_URL": fake.ws_url,
                                       "MURALIST_DISCORD_GUILD_IDS": f"[{GUILD_ID}]"}, data)


async def sigterm(bot: asyncio.subprocess.Process, name: str) -> int:
    """What a supervisor does: SIGTERM, and the exit code, which must come within 10 s."""
    bot.send_signal(signal.SIGTERM)
    asked = time.monotonic()
    code = await asyncio.wait_for(bot.wait(), 10)
    print(f"{name} bot exited {time.monotonic() - asked:.1f} s after SIGTERM, code {code}")
    return code


def test_sigterm_mid_job_exits_within_10_s_and_the_next_process_delivers_once(data: Path, the_job: TheJob) -> None:
    async def main() -> None:
        fake = FakeTelegram()
        await fake.start()
        first = await start_telegram(fake, data)
        try:
            fake.say(ADA, "/accept")
            await fake.wait_for(lambda: any("accepted" in x for x in fake.texts(ADA)), timeout=120)
            the_job.open()
            fake.say(ADA, f"/imagine {LONG_JOB} --seed 4")
            await the_job.running()
            assert await sigterm(first, "telegram") == 0
            assert await asyncio.to_thread(the_job.status) is JobStatus.QUEUED  # handed back, not left running
            assert fake.photos(ADA) == []

            second = await start_telegram(fake, data)
            try:
                await fake.wait_for(lambda: fake.photos(ADA), timeout=240)
                await asyncio.sleep(2)  # a second delivery would come from the same sweep
            finally:
                await sigterm(second, "telegram")
        finally:
            if first.returncode is None:
                first.kill()
            await fake.stop()
        photos = [p for sent in fake.photos(ADA) for p in sent.photos]
        assert len(photos) == 2  # both pictures, once
        assert await asyncio.to_thread(the_job.status) is JobStatus.DONE
        assert await asyncio.to_thread(the_job.charged) == 2  # charged once

    asyncio.run(main())


def test_the_discord_process_hands_its_job_back_on_sigterm_within_10_s(data: Path, the_job: TheJob) -> None:
    async def main() -> None:
        fake = FakeDiscord()
        await fake.start()
        bot = await start_discord(fake, data)
        try:
            await fake.wait_for(lambda: fake.identified.is_set(), timeout=120)
            accept = await fake.slash("accept", ADA)
            await fake.wait_for(lambda: "accepted" in accept.last_text, timeout=60)
            the_job.open()
            await fake.slash("imagine", ADA, prompt=LONG_JOB)
            await the_job.running()
            assert await sigterm(bot, "discord") == 0
            assert await asyncio.to_thread(the_job.status) is JobStatus.QUEUED  # handed back for the next process
        finally:
            if bot.returncode is None:
                bot.kill()
            await fake.stop()

    asyncio.run(main())
