"""The "photo to cartoon" preset through the facade and the console, on the embedded stack (SQLite, in-process
worker, miniature model): image-to-image of the member's picture in the ``cartoon`` style, under every gate."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from bots.console.bot import ConsoleBot
from core.app import CARTOON_STRENGTH
from core.config import Settings
from core.domain import Accepted, GenerationParams, JobStatus, Rejected, Requester
from core.runtime import Runtime, build_runtime

ADA = Requester("telegram", "1", chat_id="100", display_name="ada")
EVE_ELSEWHERE = Requester("telegram", "3", chat_id="300", display_name="eve")


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory, models_dir: Path):  # type: ignore[no-untyped-def]
    rt = build_runtime(Settings(data_dir=tmp_path_factory.mktemp("cartoon"), models_dir=models_dir,
                                rate_limit_jobs=1000, max_queued_jobs_per_user=50))
    for who in (ADA, EVE_ELSEWHERE):
        rt.app.accept_licence(who)
    yield rt
    rt.close()


def _png(size: tuple[int, int] = (96, 64)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 200, 90)).save(buf, format="PNG")
    return buf.getvalue()


def _done(runtime: Runtime, outcome: object) -> str:
    assert isinstance(outcome, Accepted), outcome
    job = runtime.app.wait(outcome.job_id, 120)
    assert job is not None and job.status is JobStatus.DONE
    return job.id


def test_an_uploaded_photo_becomes_a_cartoon_of_the_same_size(runtime: Runtime) -> None:
    upload = runtime.app.upload(_png())
    assert isinstance(upload, str)
    job_id = _done(runtime, runtime.app.cartoon(ADA, upload))
    job = runtime.repo.get_job(job_id)
    assert job is not None
    assert (job.spec.kind, job.spec.style, job.spec.strength) == ("img2img", "cartoon", CARTOON_STRENGTH)
    assert "cartoon style" in job.spec.prompt and "photorealistic" in job.spec.negative_prompt
    delivered = runtime.app.deliveries("telegram", "test").claim(job_id)
    assert delivered is not None and Image.open(delivered.pictures[0].path).size == (96, 64)


def test_a_job_picture_keeps_its_prompt_unless_words_are_given(runtime: Runtime) -> None:
    source = _done(runtime, runtime.app.imagine(ADA, GenerationParams("a red lighthouse", seed=4)))
    kept = runtime.repo.get_job(_done(runtime, runtime.app.cartoon(ADA, f"{source}:1")))
    assert kept is not None and "a red lighthouse" in kept.spec.prompt and kept.spec.style == "cartoon"
    told = runtime.repo.get_job(_done(runtime, runtime.app.cartoon(ADA, source, "my grandmother")))
    assert told is not None and "my grandmother" in told.spec.prompt and "lighthouse" not in told.spec.prompt


def test_a_chat_cannot_cartoon_a_server_file_or_someone_elses_picture(runtime: Runtime, tmp_path: Path) -> None:
    real = tmp_path / "real.png"
    real.write_bytes(_png())
    before = len(runtime.app.history(EVE_ELSEWHERE))
    path = runtime.app.cartoon(EVE_ELSEWHERE, str(real))
    assert isinstance(path, Rejected) and "uploaded" in path.message
    source = _done(runtime, runtime.app.imagine(ADA, GenerationParams("a quiet bay", seed=1)))
    theirs = runtime.app.cartoon(EVE_ELSEWHERE, source)
    assert isinstance(theirs, Rejected) and "not one you can use here" in theirs.message
    assert len(runtime.app.history(EVE_ELSEWHERE)) == before  # nothing made, nothing charged


def test_the_console_cartoons_a_local_file(runtime: Runtime, tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(_png((128, 96)))
    console = ConsoleBot(runtime.app, Requester("console", "op", chat_id="console", local=True), job_timeout=120)
    console.handle("/accept")
    assert console.handle("/cartoon") == ["Use /cartoon PATH|JOB [what it shows]."]
    out = console.handle(f"/cartoon {photo} a cat on a sofa")
    made = [line for line in out if line.endswith(".png")]
    assert len(made) == 1, out
    with Image.open(made[0]) as picture:
        assert picture.size == (128, 96)
    assert runtime.app.history(console.requester, 1)[0].spec.style == "cartoon"
