"""One job's parameters: checked once, stored and read back unchanged, and asked for again unchanged."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from core.config import Settings
from core.domain import GenerationParams
from core.models_registry import model_spec
from core.params import check_params
from core.spec import JobSpec
from core.storage.job_mapping import spec_columns, spec_from_row
from core.storage.models import JobRow

MODEL = model_spec(Settings(model="miniature"))
PICTURE = (64, 48)  # the size of a stored input picture

EVERY_KIND = [
    pytest.param(GenerationParams("a fox"), id="txt2img, defaults"),
    pytest.param(GenerationParams("a fox", "blur", 9, 12, 128, 64, 5.5, 2, sampler="ddim"), id="txt2img, all set"),
    pytest.param(GenerationParams("a fox", style="watercolor"), id="txt2img, styled"),
    pytest.param(GenerationParams("a fox", image="/in/a.png", strength=0.4), id="img2img"),
    pytest.param(GenerationParams("a fox", image="/in/a.png", box="8,8,16,16"), id="inpaint, box"),
    pytest.param(GenerationParams("a fox", image="/in/a.png", mask="/in/m.png", strength=0.9), id="inpaint, mask"),
    pytest.param(GenerationParams("", image="/in/a.png", upscale=4), id="upscale"),
]


def checked(request: GenerationParams) -> JobSpec:
    return check_params(request, MODEL, max_prompt_chars=1000, input_size=PICTURE if request.image else None)


@pytest.mark.parametrize("request_", EVERY_KIND)
def test_a_job_row_reads_back_the_spec_it_was_written_from(request_: GenerationParams) -> None:
    spec = checked(request_)
    assert spec_from_row(JobRow(**spec_columns(spec))) == spec


@pytest.mark.parametrize("request_", EVERY_KIND)
def test_asking_again_with_the_same_seed_gives_the_same_job(request_: GenerationParams) -> None:
    spec = checked(request_)
    again = checked(spec.as_request(seed=spec.seed))
    # The style's words are in the prompts once, not twice; only its name is not repeated.
    assert again == replace(spec, style=None)


def test_asking_again_without_a_seed_draws_a_new_one() -> None:
    spec = checked(GenerationParams("a fox", seed=5))
    seeds = {checked(spec.as_request()).seed for _ in range(5)}
    assert seeds != {5} and len(seeds) > 1


def test_a_spec_no_pipeline_could_run_is_refused() -> None:
    spec = checked(GenerationParams("a fox"))
    unknown: Any = "sketch"
    with pytest.raises(ValueError, match="kind"):
        replace(spec, kind=unknown)
    with pytest.raises(ValueError, match="input picture"):
        replace(spec, kind="img2img")
    short: Any = (1, 2, 3)
    with pytest.raises(ValueError, match="box"):
        replace(spec, kind="inpaint", image="/in/a.png", box=short)
