"""Style from a reference picture end to end on the embedded stack (SQLite, in-process worker, miniature model with
the miniature IP-Adapter as MURALIST_IP_ADAPTER): the console, a chat member through the facade, and a stack where
the operator configured no IP-Adapter."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bots.console.bot import ConsoleBot
from core.catalogue import render
from core.config import Settings
from core.domain import Accepted, GenerationParams, JobStatus, Notice, Rejected, Requester
from core.runtime import Runtime, build_runtime

ADA = Requester("telegram", "1", chat_id="100", display_name="ada")
EVE_ELSEWHERE = Requester("telegram", "3", chat_id="300", display_name="eve")
OPERATOR = Requester("console", "op", chat_id="console", local=True)


def _png(seed: int, size: tuple[int, int] = (96, 96)) -> bytes:
    buf = io.BytesIO()
    noise = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(noise).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory, miniature_ip_adapter: Path):  # type: ignore[no-untyped-def]
    rt = build_runtime(Settings(data_dir=tmp_path_factory.mktemp("style"), ip_adapter=str(miniature_ip_adapter),
                                rate_limit_jobs=1000, max_queued_jobs_per_user=50))
    for who in (ADA, EVE_ELSEWHERE):
        rt.app.accept_licence(who)
    yield rt
    rt.close()


def _done(runtime: Runtime, outcome: object) -> str:
    assert isinstance(outcome, Accepted), outcome
    job = runtime.app.wait(outcome.job_id, 120)
    assert job is not None and job.status is JobStatus.DONE, job
    return job.id


def test_the_console_makes_a_picture_in_the_style_of_a_file(runtime: Runtime, tmp_path: Path) -> None:
    reference = tmp_path / "brush strokes.png"
    reference.write_bytes(_png(1))
    console = ConsoleBot(runtime.app, OPERATOR, job_timeout=120)
    console.handle("/accept")
    assert "--style-image PATH|JOB" in "\n".join(console.handle("/help"))
    plain = console.handle("/imagine a lighthouse --seed 5 --size 64x64")
    styled = console.handle(f"/imagine a lighthouse --seed 5 --size 64x64 --style-image {reference} "
                            "--style-strength 0.8")
    made = [line for line in styled if line.endswith(".png")]
    assert len(made) == 1, styled
    assert "Made with text-to-image with a style reference picture (IP-Adapter, strength 0.8)." in styled
    with Image.open(made[0]) as ours, Image.open(next(p for p in plain if p.endswith(".png"))) as theirs:
        assert np.abs(np.asarray(ours, np.int16) - np.asarray(theirs, np.int16)).mean() > 1  # same seed, styled
    job = runtime.app.history(OPERATOR, 1)[0]
    assert job.spec.style_strength == 0.8 and job.spec.style_image != str(reference)  # a stored, EXIF-free copy


def test_a_chat_member_styles_with_an_upload_and_sees_it_in_info(runtime: Runtime) -> None:
    upload = runtime.app.upload(_png(2))
    assert isinstance(upload, str)
    job_id = _done(runtime, runtime.app.imagine(ADA, GenerationParams("a quiet bay", seed=3, style_image=upload)))
    info = runtime.app.picture_info(ADA, job_id)
    assert isinstance(info, Notice)
    said = render(info, "en")
    assert "style from a reference picture (strength 0.6)" in said
    assert said.split("To make it again: ")[1].startswith("/imagine a quiet bay")
    assert "--style-strength 0.6 --style-image (send it with the same input picture" in said
    assert "风格取自参考图片（强度 0.6）" in render(info, "zh")
    again = runtime.repo.get_job(_done(runtime, runtime.app.reroll(ADA, job_id)))  # 🔁 from the chat
    first = runtime.repo.get_job(job_id)
    assert again is not None and first is not None
    assert (again.spec.style_image, again.spec.style_strength) == (first.spec.style_image, 0.6)


def test_a_chat_names_a_reference_only_as_an_upload_or_a_picture_it_may_see(runtime: Runtime,
                                                                           tmp_path: Path) -> None:
    real = tmp_path / "real.png"
    real.write_bytes(_png(3))
    before = len(runtime.app.history(EVE_ELSEWHERE))
    path = runtime.app.imagine(EVE_ELSEWHERE, GenerationParams("a fox", style_image=str(real)))
    assert isinstance(path, Rejected) and "uploaded" in path.message
    source = _done(runtime, runtime.app.imagine(ADA, GenerationParams("a red kite", seed=1)))
    theirs = runtime.app.imagine(EVE_ELSEWHERE, GenerationParams("a fox", style_image=f"{source}:1"))
    assert isinstance(theirs, Rejected) and "not one you can use here" in theirs.message
    bare = runtime.app.imagine(EVE_ELSEWHERE, GenerationParams("a fox", style_image=""))
    assert isinstance(bare, Rejected) and "Say which picture gives the style" in render(bare, "en")
    assert len(runtime.app.history(EVE_ELSEWHERE)) == before  # nothing made, nothing charged


def test_without_an_ip_adapter_one_sentence_and_nothing_charged(tmp_path: Path) -> None:
    bare = build_runtime(Settings(data_dir=tmp_path), embedded_worker=False)  # nothing configured, nothing running
    try:
        app = bare.app
        app.accept_licence(ADA)
        upload = app.upload(_png(4))
        assert isinstance(upload, str) and not app.style_available()
        refused = app.imagine(ADA, GenerationParams("a fox", style_image=upload, style_strength=0.7))
        assert isinstance(refused, Rejected)
        assert render(refused, "en") == ("Style reference pictures are not set up here (the operator has not "
                                         "configured IP-Adapter weights); nothing was queued or charged.")
        assert "IP-Adapter" in render(refused, "zh")
        console = ConsoleBot(app, OPERATOR)
        console.handle("/accept")
        reference = tmp_path / "ref.png"
        reference.write_bytes(_png(5))
        assert console.handle(f"/imagine a fox --style-image {reference}") == [render(refused, "en")]
        assert app.history(ADA) == [] and app.history(OPERATOR) == []
        assert "Used 0 of" in render(app.quota(ADA), "en")
    finally:
        bare.close()
