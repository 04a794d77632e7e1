"""The miniature Stable Diffusion: real diffusers stages, seeded, deterministic."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from core.pipelines import JobCancelled, TextToImage, load_pipeline
from core.spec import JobSpec


def pixels(pipe: TextToImage, seed: int, prompt: str = "a red fox in the snow", count: int = 1) -> list[np.ndarray]:
    out = pipe(JobSpec(prompt=prompt, negative_prompt="", seed=seed, steps=4, width=64, height=64, cfg=7.5,
                       count=count))
    return [np.asarray(im) for im in out.images]


def test_same_seed_same_pixels(miniature: TextToImage) -> None:
    assert np.array_equal(pixels(miniature, 7)[0], pixels(miniature, 7)[0])


def test_different_seed_different_pixels(miniature: TextToImage) -> None:
    assert not np.array_equal(pixels(miniature, 7)[0], pixels(miniature, 8)[0])


def test_prompt_changes_the_picture(miniature: TextToImage) -> None:
    assert not np.array_equal(pixels(miniature, 7, "a red fox")[0], pixels(miniature, 7, "a blue whale")[0])


def test_pictures_have_the_asked_size_and_progress_is_reported(miniature: TextToImage) -> None:
    steps: list[tuple[int, int]] = []
    spec = JobSpec(prompt="a lighthouse", negative_prompt="fog", seed=1, steps=3, width=128, height=64, cfg=5.0,
                   count=2)
    previews: list[Any] = []

    def progress(step: int, total: int, preview: Any = None) -> None:
        steps.append((step, total))
        previews.append(preview() if preview is not None else None)  # made from this step's latents, or never

    out = miniature(spec, progress)
    assert [im.size for im in out.images] == [(128, 64), (128, 64)]
    assert out.seeds == [1, 2]
    assert steps == [(1, 3), (2, 3), (3, 3)]
    # Every step offers a preview of the job's two pictures side by side: a JPEG, each fitting in 128 px.
    assert all(p is not None and p[:2] == b"\xff\xd8" for p in previews)
    assert Image.open(io.BytesIO(previews[-1])).size == (256, 64) and len(set(previews)) == 3
    assert not np.array_equal(np.asarray(out.images[0]), np.asarray(out.images[1]))


def test_any_unicode_prompt_encodes(miniature: TextToImage) -> None:
    # The byte-level tokenizer has no unknown characters: emoji, CJK and RTL text all run.
    assert pixels(miniature, 3, "🦊 狐狸 في الثلج")[0].shape == (64, 64, 3)


def test_a_cancelled_job_stops_between_steps(miniature: TextToImage) -> None:
    seen: list[int] = []

    def cancel_at_two(step: int, total: int, _preview: object = None) -> None:
        seen.append(step)
        if step == 2:
            raise JobCancelled("gone")

    spec = JobSpec(prompt="a fox", negative_prompt="", seed=1, steps=6, width=64, height=64, cfg=7.5, count=1)
    with pytest.raises(JobCancelled, match="gone"):
        miniature(spec, cancel_at_two)
    assert seen == [1, 2]


def test_image_to_image_and_inpainting_add_no_copy_of_the_weights(models_dir: Path) -> None:
    import torch

    pipe = load_pipeline("miniature", models_dir).to(torch.bfloat16)  # as float16 weights on a GPU would be
    model = TextToImage(pipe)
    for kind in ("img2img", "inpaint"):
        other = model.tasks[kind].pipe
        assert (other.unet, other.vae, other.text_encoder) == (pipe.unet, pipe.vae, pipe.text_encoder)
    assert {p.dtype for p in pipe.unet.parameters()} == {torch.bfloat16}
