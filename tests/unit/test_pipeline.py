"""The miniature Stable Diffusion: real diffusers stages, seeded, deterministic."""

from __future__ import annotations

import numpy as np

from core.pipelines import TextToImage
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
    out = miniature(spec, lambda s, t: steps.append((s, t)))
    assert [im.size for im in out.images] == [(128, 64), (128, 64)]
    assert out.seeds == [1, 2]
    assert steps == [(1, 3), (2, 3), (3, 3)]
    assert not np.array_equal(np.asarray(out.images[0]), np.asarray(out.images[1]))


def test_any_unicode_prompt_encodes(miniature: TextToImage) -> None:
    # The byte-level tokenizer has no unknown characters: emoji, CJK and RTL text all run.
    assert pixels(miniature, 3, "🦊 狐狸 في الثلج")[0].shape == (64, 64, 3)
