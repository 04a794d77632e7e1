"""Style reference pictures through the real Telegram and Discord clients against their fakes: a photo captioned
``/imagine … --style-image``, a reply to a picture, a Discord ``style_image`` attachment — and, where the operator
configured no IP-Adapter, one sentence before any download and no job."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bots.discord.client import MuralistDiscord
from core.config import Settings
from core.runtime import Runtime, build_runtime
from tests.bots import test_discord as discord_tests
from tests.bots import test_telegram as telegram_tests
from tests.bots.fake_discord import FakeDiscord
from tests.bots.fake_telegram import FakeTelegram

STYLIST = 31  # members of these tests only
NOT_SET_UP = "Style reference pictures are not set up here"


def _png(seed: int) -> bytes:
    buf = BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (64, 96, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def styled_runtime(tmp_path_factory: pytest.TempPathFactory, miniature_ip_adapter: Path):  # type: ignore[no-untyped-def]
    rt = build_runtime(Settings(data_dir=tmp_path_factory.mktemp("styled-bots"), ip_adapter=str(miniature_ip_adapter),
                                rate_limit_jobs=1000, max_queued_jobs_per_user=50))
    yield rt
    rt.close()


@pytest.fixture(scope="module")
def plain_runtime(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """No MURALIST_IP_ADAPTER, and no worker: nothing here may be queued anyway."""
    rt = build_runtime(Settings(data_dir=tmp_path_factory.mktemp("plain-bots")), embedded_worker=False)
    yield rt
    rt.close()


def _job_of(runtime: Runtime, caption: str):  # type: ignore[no-untyped-def]
    job = runtime.repo.get_job(caption.split("job ")[-1].split()[0])
    assert job is not None
    return job


def test_telegram_a_captioned_photo_or_a_reply_to_one_gives_the_style(styled_runtime: Runtime) -> None:
    runtime = styled_runtime

    async def scenario(fake: FakeTelegram) -> None:
        await telegram_tests.accept(fake, STYLIST)
        fake.send_photo(STYLIST, _png(1), "/imagine a lighthouse --style-image --style-strength 0.8")
        (photo,) = await fake.wait_for(lambda: [p for p in fake.photos(STYLIST) if "a lighthouse" in p.text])
        job = _job_of(runtime, photo.text)
        assert (job.kind, job.spec.image, job.spec.style_strength) == ("txt2img", None, 0.8)  # style, not a start
        assert job.spec.style_image is not None and "IP-Adapter, strength 0.8" in photo.text
        fake.say(STYLIST, "/imagine a harbour at night --style-image", reply_to_photo=_png(2))
        (reply,) = await fake.wait_for(lambda: [p for p in fake.photos(STYLIST) if "a harbour at night" in p.text])
        replied = _job_of(runtime, reply.text)
        assert replied.spec.style_image not in (None, job.spec.style_image) and replied.spec.style_strength == 0.6
        fake.say(STYLIST, "/imagine a fox --style-image")  # no picture attached or replied to
        await fake.wait_for(lambda: any("Say which picture gives the style" in x for x in fake.texts(STYLIST)))

    telegram_tests.run(runtime, scenario)


def test_telegram_without_an_ip_adapter_says_so_before_any_download(plain_runtime: Runtime) -> None:
    runtime = plain_runtime

    async def scenario(fake: FakeTelegram) -> None:
        await telegram_tests.accept(fake, STYLIST)
        made = telegram_tests.jobs(runtime)
        fake.send_photo(STYLIST, None, "/imagine a fox --style-image")  # an endless photo: never read
        await fake.wait_for(lambda: any(NOT_SET_UP in x for x in fake.texts(STYLIST)))
        fake.say(STYLIST, "/imagine a fox --style-image k3v9q2mx7a")
        await fake.wait_for(lambda: len([x for x in fake.texts(STYLIST) if NOT_SET_UP in x]) == 2)
        assert not any("larger than 20 MB" in x for x in fake.texts(STYLIST))
        assert telegram_tests.jobs(runtime) == made

    telegram_tests.run(runtime, scenario)


def test_discord_a_style_image_attachment_gives_the_style(styled_runtime: Runtime) -> None:
    runtime = styled_runtime

    async def scenario(fake: FakeDiscord, bot: MuralistDiscord) -> None:
        await discord_tests.accepted(fake, STYLIST)
        await fake.slash("imagine", STYLIST, prompt="a windmill --seed 4", style_image=("attachment", _png(3)),
                         style_strength=0.7)
        (message,) = await fake.wait_for(lambda: [m for m in discord_tests.results(fake) if "a windmill" in m.content])
        job = _job_of(runtime, message.content)
        assert (job.seed, job.spec.style_strength) == (4, 0.7) and job.spec.style_image is not None
        assert "IP-Adapter, strength 0.7" in message.content

    discord_tests.run(runtime, scenario)


def test_discord_without_an_ip_adapter_says_so_before_any_download(plain_runtime: Runtime) -> None:
    runtime = plain_runtime

    async def scenario(fake: FakeDiscord, bot: MuralistDiscord) -> None:
        await discord_tests.accepted(fake, STYLIST)
        made = telegram_tests.jobs(runtime)  # a count of the jobs table, whatever the platform
        endless = await fake.slash("imagine", STYLIST, prompt="a fox", style_image=("attachment", None, 1024))
        await fake.wait_for(lambda: NOT_SET_UP in endless.last_text)
        typed = await fake.slash("imagine", STYLIST, prompt="a fox --style-image k3v9q2mx7a")
        await fake.wait_for(lambda: NOT_SET_UP in typed.last_text)
        assert telegram_tests.jobs(runtime) == made

    discord_tests.run(runtime, scenario)
