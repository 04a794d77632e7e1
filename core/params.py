"""Parameter checks in the spirit of diffusers' ``check_inputs``: precise errors, raised before anything is written."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from core.domain import GenerationParams
from core.models_registry import ModelSpec

MAX_SEED = 2**32 - 1
MAX_COUNT = 4
MIN_CFG, MAX_CFG = 0.0, 30.0
MIN_SIDE = 64


class InvalidParams(ValueError):
    """A user-caused problem with the request; ``str(exc)`` is one sentence safe to show them."""


@dataclass(frozen=True)
class ResolvedParams:
    prompt: str
    negative_prompt: str
    seed: int
    steps: int
    width: int
    height: int
    cfg: float
    count: int


def check_params(params: GenerationParams, spec: ModelSpec, *, max_prompt_chars: int) -> ResolvedParams:
    """Fill defaults and validate. Raises :class:`InvalidParams` with the first problem found."""
    prompt = params.prompt.strip()
    if not prompt:
        raise InvalidParams("The prompt is empty: describe the picture after /imagine.")
    if len(prompt) > max_prompt_chars:
        raise InvalidParams(f"The prompt is {len(prompt)} characters long; the limit is {max_prompt_chars}.")
    negative = params.negative_prompt.strip()
    if len(negative) > max_prompt_chars:
        raise InvalidParams(f"The negative prompt is {len(negative)} characters long; the limit is {max_prompt_chars}.")

    width = params.width if params.width is not None else spec.default_size
    height = params.height if params.height is not None else spec.default_size
    for side_name, side in (("width", width), ("height", height)):
        if side % 8:
            raise InvalidParams(f"The {side_name} {side} is not a multiple of 8; try {max(MIN_SIDE, side // 8 * 8)}.")
        if side < MIN_SIDE or side > spec.max_side:
            raise InvalidParams(f"The {side_name} must be between {MIN_SIDE} and {spec.max_side} pixels.")
    if width * height > spec.max_pixels:
        raise InvalidParams(
            f"{width}x{height} is larger than this model allows ({spec.max_pixels} pixels, e.g. "
            f"{int(spec.max_pixels**0.5)}x{int(spec.max_pixels**0.5)})."
        )

    steps = params.steps if params.steps is not None else spec.default_steps
    if not 1 <= steps <= spec.max_steps:
        raise InvalidParams(f"Steps must be between 1 and {spec.max_steps}.")
    cfg = params.cfg if params.cfg is not None else spec.default_cfg
    if not MIN_CFG <= cfg <= MAX_CFG or cfg != cfg:  # cfg != cfg catches NaN
        raise InvalidParams(f"The guidance scale (--cfg) must be between {MIN_CFG:g} and {MAX_CFG:g}.")
    if not 1 <= params.count <= MAX_COUNT:
        raise InvalidParams(f"The picture count must be between 1 and {MAX_COUNT}.")
    seed = params.seed if params.seed is not None else secrets.randbelow(MAX_SEED + 1)
    if not 0 <= seed <= MAX_SEED:
        raise InvalidParams(f"The seed must be a whole number between 0 and {MAX_SEED}.")
    return ResolvedParams(prompt, negative, seed, steps, width, height, float(cfg), params.count)


def with_seed(params: GenerationParams, seed: int) -> GenerationParams:
    return replace(params, seed=seed)
