"""Image-to-image, inpainting, upscaling, samplers, styles and cancel — on the miniature model and SQLite."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.config import Settings
from core.domain import Accepted, GenerationParams, GenerationRequest, JobStatus, QuotaSettings, Rejected, Requester
from core.events import InMemoryEventBus
from core.generation import JobRunner, RunResult
from core.models_registry import model_spec
from core.params import SAMPLERS, check_params
from core.pipelines import TextToImage
from core.service import GenerationService
from core.spec import JobSpec
from core.storage.db import build_engine, ensure_schema, session_factory
from core.storage.images import LocalImageStore, LocalInputStore
from core.storage.repositories import SqlJobRepository
from safety.license import get_licence
from safety.prompt_filter import PromptFilter
from tests.fakes import FakeClock, FakeDispatcher, FakePipeline, ScriptedChecker

ADA = Requester("console", "ada", local=True)  # the local operator: may name files
SPEC = model_spec(Settings())


def spec(**kw: object) -> JobSpec:
    base: dict[str, object] = {"prompt": "a castle", "negative_prompt": "", "seed": 4, "steps": 4, "width": 64,
                               "height": 64, "cfg": 7.5, "count": 1}
    return JobSpec(**{**base, **kw})  # type: ignore[arg-type]


def px(pipe: TextToImage, **kw: object) -> np.ndarray:
    return np.asarray(pipe(spec(**kw)).images[0]).astype(np.int16)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("in") / "in.png"
    gradient = np.tile(np.linspace(0, 255, 64, dtype=np.uint8), (64, 1))
    Image.fromarray(np.stack([gradient, gradient.T, 255 - gradient], axis=2)).save(path)
    return str(path)


def test_img2img_is_deterministic_and_follows_the_input(miniature: TextToImage, source: str) -> None:
    a = px(miniature, kind="img2img", image=source, strength=0.5)
    assert np.array_equal(a, px(miniature, kind="img2img", image=source, strength=0.5))
    assert not np.array_equal(a, px(miniature, kind="img2img", image=source, strength=0.5, seed=5))
    original = np.asarray(Image.open(source).convert("RGB")).astype(np.int16)
    gentle = np.abs(px(miniature, kind="img2img", image=source, strength=0.3, steps=10) - original).mean()
    strong = np.abs(px(miniature, kind="img2img", image=source, strength=1.0, steps=10) - original).mean()
    assert gentle < strong  # a low strength stays closer to the input


def test_inpainting_repaints_the_box_and_keeps_the_rest(miniature: TextToImage, source: str) -> None:
    # Two seeds: inside the box the pictures differ (it is repainted); outside they agree (it is kept).
    a = px(miniature, kind="inpaint", image=source, strength=1.0, box=(16, 16, 32, 32), seed=1)
    b = px(miniature, kind="inpaint", image=source, strength=1.0, box=(16, 16, 32, 32), seed=2)
    diff = np.abs(a - b).mean(axis=2)
    inside = diff[20:44, 20:44].mean()
    outside = np.concatenate([diff[:8].ravel(), diff[56:].ravel()]).mean()
    assert inside > 3 * outside


def test_a_mask_picture_repaints_what_is_white_like_the_same_box(miniature: TextToImage, source: str,
                                                                  tmp_path: Path) -> None:
    mask = tmp_path / "mask.png"
    picture = Image.new("L", (64, 64), 0)
    picture.paste(255, (16, 16, 48, 48))
    picture.save(mask)
    by_mask = px(miniature, kind="inpaint", image=source, strength=1.0, mask=str(mask), seed=1)
    by_box = px(miniature, kind="inpaint", image=source, strength=1.0, box=(16, 16, 32, 32), seed=1)
    assert np.array_equal(by_mask, by_box)


def test_upscale_doubles_the_size_deterministically(miniature: TextToImage, source: str) -> None:
    out = miniature(spec(kind="upscale", image=source, upscale=2))
    assert out.images[0].size == (128, 128) and "Lanczos" in out.method
    assert np.array_equal(np.asarray(out.images[0]), np.asarray(miniature(spec(kind="upscale", image=source,
                                                                               upscale=2)).images[0]))


def test_every_sampler_runs_and_they_differ(miniature: TextToImage) -> None:
    results = {name: px(miniature, sampler=name) for name in SAMPLERS}
    assert not np.array_equal(results["euler"], results["ddim"])
    assert all(r.shape == (64, 64, 3) for r in results.values())


def test_a_strength_too_low_for_the_steps_is_refused() -> None:
    with pytest.raises(ValueError, match="no denoising step"):
        check_params(GenerationParams("a fox", image="x.png", strength=0.1, steps=4), SPEC, max_prompt_chars=1000,
                     input_size=(64, 64))


def test_styles_and_samplers_are_checked_at_submit() -> None:
    styled = check_params(GenerationParams("a fox", style="watercolor"), SPEC, max_prompt_chars=1000)
    assert styled.prompt.startswith("a fox, watercolor") and "photo" in styled.negative_prompt
    for bad in (GenerationParams("a fox", style="vaporwave"), GenerationParams("a fox", sampler="magic")):
        with pytest.raises(ValueError, match="Unknown"):
            check_params(bad, SPEC, max_prompt_chars=1000)


@pytest.fixture
def world(tmp_path: Path, prompt_filter: PromptFilter):  # type: ignore[no-untyped-def]
    engine = build_engine(Settings(data_dir=tmp_path))
    ensure_schema(engine, auto_migrate=True)
    repo = SqlJobRepository(session_factory(engine))
    service = GenerationService(repo, FakeDispatcher(), prompt_filter, SPEC, get_licence(SPEC.licence_id),
                                QuotaSettings(), FakeClock(), inputs=LocalInputStore(tmp_path / "inputs"))
    service.accept_licence(ADA)
    yield repo, service, tmp_path
    engine.dispose()


def test_cancel_a_queued_job_refunds_and_the_worker_skips_it(world) -> None:  # type: ignore[no-untyped-def]
    repo, service, root = world
    outcome = service.submit(GenerationRequest(ADA, GenerationParams("a fox", count=2)))
    assert isinstance(outcome, Accepted) and service.quota(ADA).used == 2
    assert "no job" in service.cancel(outcome.job_id, Requester("console", "bob")).message
    assert "cancelled" in service.cancel(outcome.job_id, ADA).message
    assert service.quota(ADA).used == 0
    pipeline = FakePipeline()
    result = JobRunner(repo, pipeline, ScriptedChecker(), LocalImageStore(root / "img"), InMemoryEventBus(),
                       FakeClock()).run(outcome.job_id)
    assert result is RunResult.SKIPPED and pipeline.calls == 0
    assert "already finished" in service.cancel(outcome.job_id, ADA).message


def test_cancel_a_running_job_stops_it_between_steps(world) -> None:  # type: ignore[no-untyped-def]
    repo, service, root = world
    outcome = service.submit(GenerationRequest(ADA, GenerationParams("a fox", steps=30)))

    class CancelMidway(FakePipeline):
        def __call__(self, spec, progress=None):  # type: ignore[no-untyped-def]
            def step(done: int, total: int) -> None:
                if done == 10:
                    service.cancel(outcome.job_id, ADA)  # the member presses /cancel while it runs
                if progress:
                    progress(done, total)
            return super().__call__(spec, step)

    runner = JobRunner(repo, CancelMidway(), ScriptedChecker(), LocalImageStore(root / "img"), InMemoryEventBus(),
                       FakeClock())
    assert runner.run(outcome.job_id) is RunResult.CANCELLED
    job = repo.get_job(outcome.job_id)
    assert job is not None and job.status is JobStatus.CANCELLED and job.images == ()
    assert service.quota(ADA).used == 0


def test_a_blocked_input_picture_is_refused_before_generation(world, source: str) -> None:  # type: ignore[no-untyped-def]
    repo, service, root = world
    outcome = service.submit(GenerationRequest(ADA, GenerationParams("a castle", image=source)))
    assert isinstance(outcome, Accepted)
    pipeline = FakePipeline()
    runner = JobRunner(repo, pipeline, ScriptedChecker(block_first_call=True), LocalImageStore(root / "img"),
                       InMemoryEventBus(), FakeClock())
    assert runner.run(outcome.job_id) is RunResult.FAILED and pipeline.calls == 0
    job = repo.get_job(outcome.job_id)
    assert job is not None and "input picture was blocked" in (job.error or "")
    assert service.quota(ADA).used == 0


def test_inputs_are_stored_without_exif_and_bad_ones_refused(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo, service, root = world
    photo = tmp_path / "photo.jpg"
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    Image.new("RGB", (100, 70), (1, 2, 3)).save(photo, exif=exif)
    outcome = service.submit(GenerationRequest(ADA, GenerationParams("a castle", image=str(photo))))
    assert isinstance(outcome, Accepted)
    job = repo.get_job(outcome.job_id)
    assert job is not None and job.spec.kind == "img2img" and (job.spec.width, job.spec.height) == (96, 64)  # grid
    with Image.open(job.spec.image or "") as stored:
        assert not stored.getexif()
    junk = tmp_path / "junk.png"
    junk.write_text("not a picture")
    refused = service.submit(GenerationRequest(ADA, GenerationParams("a castle", image=str(junk))))
    assert isinstance(refused, Rejected) and refused.code == "input" and "not a picture" in refused.message


def test_a_reroll_repeats_every_setting_but_the_seed(world, source: str) -> None:  # type: ignore[no-untyped-def]
    repo, service, _ = world
    first = service.submit(GenerationRequest(ADA, GenerationParams(
        "a castle", "fog", steps=6, cfg=5.0, sampler="ddim", image=source, strength=0.9, box="8,8,16,16")))
    assert isinstance(first, Accepted)
    again = service.reroll(first.job_id, ADA)
    assert isinstance(again, Accepted)
    old, new = repo.get_job(first.job_id), repo.get_job(again.job_id)
    assert old.spec.kind == "inpaint" and old.spec.box == (8, 8, 16, 16)
    assert new.spec == replace(old.spec, seed=new.spec.seed)


def test_configured_upscaler_and_inpainting_checkpoint_are_used_and_named(models_dir: Path, source: str) -> None:
    helpers = TextToImage.load("miniature", models_dir, inpaint_source="miniature", upscaler_source="miniature")
    four = helpers(spec(kind="upscale", image=source, upscale=4))
    assert four.images[0].size == (256, 256) and four.method == "diffusion upscaler ×4"
    two = helpers(spec(kind="upscale", image=source, upscale=2))
    assert two.images[0].size == (128, 128) and "resampled to ×2" in two.method
    painted = helpers(spec(kind="inpaint", image=source, strength=1.0, box=(16, 16, 32, 32)))
    assert painted.images[0].size == (64, 64) and painted.method == "inpainting with the inpainting checkpoint"
    assert helpers.tasks["inpaint"].pipe.unet.config.in_channels == 9  # a real inpainting UNet: picture, mask, latents
