"""Style from a reference picture: the IP-Adapter path on the miniature model with a miniature IP-Adapter built
offline (tests/conftest.py), the checks that come before it, and the reference's own image check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.command_syntax import imagine_line, parse_imagine
from core.config import Settings
from core.domain import Accepted, GenerationParams, GenerationRequest, QuotaSettings, Rejected, Requester
from core.events import InMemoryEventBus
from core.generation import JobRunner, RunResult
from core.models_registry import model_spec
from core.params import DEFAULT_STYLE_STRENGTH, InvalidParams, check_params
from core.pipelines import ModelLoadError, TextToImage
from core.service import GenerationService
from core.spec import JobSpec
from core.storage.db import build_engine, ensure_schema, session_factory
from core.storage.images import LocalImageStore, LocalInputStore
from core.storage.repositories import SqlJobRepository
from safety.license import get_licence
from safety.prompt_filter import PromptFilter
from tests.fakes import FakeClock, FakeDispatcher, FakePipeline, ScriptedChecker

SPEC = model_spec(Settings())
ADA = Requester("console", "ada", local=True)


def spec(**kw: object) -> JobSpec:
    base: dict[str, object] = {"prompt": "a lighthouse", "negative_prompt": "", "seed": 7, "steps": 4, "width": 64,
                               "height": 64, "cfg": 7.5, "count": 1}
    return JobSpec(**{**base, **kw})  # type: ignore[arg-type]


def picture(pipe: TextToImage, **kw: object) -> np.ndarray:
    return np.asarray(pipe(spec(**kw)).images[0]).astype(np.int16)


def _reference(folder: Path, name: str, seed: int) -> str:
    path = folder / name
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (80, 80, 3), dtype=np.uint8)).save(path)
    return str(path)


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("references")
    return _reference(folder, "waves.png", 1), _reference(folder, "stripes.png", 2)


@pytest.fixture(scope="module")
def styled(models_dir: Path, miniature_ip_adapter: Path) -> TextToImage:
    """The miniature model with the operator-layout IP-Adapter folder loaded (MURALIST_IP_ADAPTER=that folder)."""
    return TextToImage.load("miniature", models_dir, ip_adapter=str(miniature_ip_adapter))


def test_the_miniature_ip_adapter_has_the_operator_layout(miniature_ip_adapter: Path) -> None:
    from safetensors import safe_open

    with safe_open(str(miniature_ip_adapter / "models" / "ip-adapter_sd15.safetensors"), "pt") as weights:
        keys = set(weights.keys())
    assert {"image_proj.proj.weight", "image_proj.norm.weight", "ip_adapter.1.to_k_ip.weight"} <= keys
    assert (miniature_ip_adapter / "models" / "image_encoder" / "config.json").is_file()


def test_a_style_reference_changes_the_picture_and_its_strength_matters(styled: TextToImage,
                                                                        references: tuple[str, str]) -> None:
    waves, stripes = references
    plain = picture(styled)
    with_waves = picture(styled, style_image=waves, style_strength=0.6)
    assert np.abs(with_waves - plain).mean() > 1  # same seed and prompt: only the reference differs
    assert np.array_equal(with_waves, picture(styled, style_image=waves, style_strength=0.6))  # repeatable
    assert not np.array_equal(with_waves, picture(styled, style_image=waves, style_strength=1.0))
    assert not np.array_equal(with_waves, picture(styled, style_image=stripes, style_strength=0.6))
    assert "IP-Adapter, strength 0.6" in styled(spec(style_image=waves, style_strength=0.6)).method


def test_loading_the_adapter_leaves_pictures_without_a_reference_unchanged(
        styled: TextToImage, miniature: TextToImage, references: tuple[str, str]) -> None:
    before = picture(styled)
    picture(styled, style_image=references[0], style_strength=1.0)
    assert np.array_equal(picture(styled), before)  # the adapter is switched off again after a styled call
    assert np.array_equal(before, picture(miniature))  # the same as a worker that never loaded it


def test_image_to_image_takes_a_style_reference_too(styled: TextToImage, references: tuple[str, str]) -> None:
    start = references[1]
    plain = picture(styled, kind="img2img", image=start, strength=0.8)
    assert not np.array_equal(plain, picture(styled, kind="img2img", image=start, strength=0.8,
                                             style_image=references[0], style_strength=0.8))


def test_a_worker_without_an_adapter_fails_a_styled_job_with_the_reason(miniature: TextToImage,
                                                                        references: tuple[str, str]) -> None:
    with pytest.raises(RuntimeError, match="MURALIST_IP_ADAPTER"):
        miniature(spec(style_image=references[0], style_strength=0.6))


def test_the_setting_miniature_builds_the_adapter_for_the_miniature_model(models_dir: Path,
                                                                         references: tuple[str, str]) -> None:
    built = TextToImage.load("miniature", models_dir, ip_adapter="miniature")
    assert "IP-Adapter" in built(spec(style_image=references[0], style_strength=0.5)).method
    assert any(models_dir.glob("*-ip-adapter/models/ip-adapter_sd15.safetensors"))


def test_a_folder_without_ip_adapter_weights_stops_the_worker_at_start(models_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="MURALIST_IP_ADAPTER"):
        TextToImage.load("miniature", models_dir, ip_adapter=str(tmp_path))


# --- the request: flags and checks --------------------------------------------------------------------------------


def test_the_flags_parse_on_every_text_front_door() -> None:
    params = parse_imagine("a fox --style-image k3v9q2mx7a:2 --style-strength 0.8 --seed 3")
    assert (params.prompt, params.style_image, params.style_strength, params.seed) == ("a fox", "k3v9q2mx7a:2", 0.8, 3)
    bare = parse_imagine("a fox —style-image")  # a phone's dash; no value: the attached or replied-to picture
    assert (bare.prompt, bare.style_image) == ("a fox", "")
    with pytest.raises(InvalidParams, match="needs a value"):
        parse_imagine("a fox --style-strength")


def test_the_checks_refuse_what_cannot_run() -> None:
    checked = check_params(GenerationParams("a fox", style_image="/in/ref.png"), SPEC)
    assert (checked.kind, checked.style_strength) == ("txt2img", DEFAULT_STYLE_STRENGTH)
    for params, words in ((GenerationParams("a fox", style_strength=0.5), "--style-image"),
                          (GenerationParams("a fox", style_image="/r.png", style_strength=1.5), "between 0.05 and 1"),
                          (GenerationParams("a fox", style_image="/r.png", style_strength=float("nan")), "between"),
                          (GenerationParams("a fox", image="/i.png", box="0,0,8,8", style_image="/r.png"), "--box")):
        with pytest.raises(InvalidParams, match=words):
            check_params(params, SPEC, input_size=(64, 64) if params.image else None)


def test_the_line_that_makes_it_again_ends_with_a_bare_style_image() -> None:
    line = imagine_line(spec(style_image="/srv/in/abc.png", style_strength=0.8), "miniature", 7, 1)
    assert line.endswith("--style-strength 0.8 --style-image") and "/srv" not in line
    again = parse_imagine(line.removeprefix("/imagine "))
    assert (again.style_image, again.style_strength) == ("", 0.8)


# --- the reference's own image check --------------------------------------------------------------------------------


def test_a_reference_that_fails_the_image_check_refuses_the_job(tmp_path: Path, references: tuple[str, str],
                                                                 prompt_filter: PromptFilter) -> None:
    engine = build_engine(Settings(data_dir=tmp_path))
    ensure_schema(engine, auto_migrate=True)
    repo = SqlJobRepository(session_factory(engine))
    service = GenerationService(repo, FakeDispatcher(), prompt_filter, SPEC, get_licence(SPEC.licence_id),
                                QuotaSettings(), FakeClock(), inputs=LocalInputStore(tmp_path / "in"))
    service.accept_licence(ADA)
    outcome = service.submit(GenerationRequest(ADA, GenerationParams("a fox", style_image=references[0])))
    assert isinstance(outcome, Accepted)
    job = repo.get_job(outcome.job_id)
    assert job is not None and job.spec.style_image is not None and job.spec.style_image != references[0]  # stored
    pipeline = FakePipeline()
    runner = JobRunner(repo, pipeline, ScriptedChecker(block_first_call=True), LocalImageStore(tmp_path / "img"),
                       InMemoryEventBus(), FakeClock())
    assert runner.run(outcome.job_id) is RunResult.FAILED and pipeline.calls == 0
    failed = repo.get_job(outcome.job_id)
    assert failed is not None and "style reference picture was blocked" in (failed.error or "")
    assert service.quota(ADA).used == 0
    refused = service.submit(GenerationRequest(ADA, GenerationParams("a fox", style_image="")))
    assert isinstance(refused, Rejected) and refused.code == "input" and "--style-image" in refused.message
    engine.dispose()
