"""What members type: Midjourney's habits (--ar, --no) and what phones do to "--" (an em or en dash)."""

from __future__ import annotations

import pytest

from core.command_syntax import parse_imagine
from core.config import Settings
from core.models_registry import model_spec
from core.params import InvalidParams, check_params


def test_a_phones_dashes_are_flags() -> None:
    for typed in ("a fox —seed 5", "a fox – seed 5", "a fox --seed 5"):
        params = parse_imagine(typed)
        assert params.prompt == "a fox" and params.seed == 5, typed
    assert parse_imagine("a fox — in the snow").prompt == "a fox — in the snow"  # a dash in prose stays prose


def test_aspect_ratio_keeps_the_models_area_in_the_asked_shape() -> None:
    spec = model_spec(Settings())
    wide = check_params(parse_imagine("a valley --ar 16:9"), spec, max_prompt_chars=1000)
    tall = check_params(parse_imagine("a tower --ar 2:3"), spec, max_prompt_chars=1000)
    assert wide.width > wide.height and tall.height > tall.width
    assert all(side % 8 == 0 for side in (wide.width, wide.height, tall.width, tall.height))
    assert abs(wide.width * wide.height - spec.default_size**2) / spec.default_size**2 < 0.15
    for bad in ("a valley --ar 16", "a valley --ar 50:1", "a valley --ar 3:2 --size 256x256"):
        with pytest.raises(InvalidParams):
            check_params(parse_imagine(bad), spec, max_prompt_chars=1000)


def test_no_is_a_negative_prompt() -> None:
    assert parse_imagine("a street --no text, cars --negative blur").negative_prompt == "blur, text, cars"
