from __future__ import annotations

import pytest

from core.command_syntax import parse_imagine
from core.config import Settings
from core.domain import GenerationParams
from core.models_registry import model_spec
from core.params import InvalidParams, check_params

SPEC = model_spec(Settings(model="miniature"))


def check(**kwargs: object):  # type: ignore[no-untyped-def]
    return check_params(GenerationParams(**{"prompt": "a fox", **kwargs}), SPEC, max_prompt_chars=1000)  # type: ignore[arg-type]


def test_defaults_come_from_the_model() -> None:
    p = check()
    assert (p.width, p.height, p.steps, p.count) == (SPEC.default_size, SPEC.default_size, SPEC.default_steps, 1)
    assert 0 <= p.seed < 2**32


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"prompt": "   "}, "empty"),
        ({"prompt": "x" * 1001}, "limit is 1000"),
        ({"width": 100}, "multiple of 8"),
        ({"width": 4096}, "between 64 and 512"),
        ({"steps": 0}, "Steps must be"),
        ({"steps": 10**6}, "Steps must be"),
        ({"count": 9}, "count must be"),
        ({"cfg": -1.0}, "guidance"),
        ({"cfg": float("nan")}, "guidance"),
        ({"seed": -5}, "seed"),
        ({"prompt": "a fox\x00 in snow"}, "^The prompt contains a control character"),
        ({"negative_prompt": "blur\x1b[31m"}, "^The negative prompt contains a control character"),
        ({"prompt": "\x00", "image": "in.png", "upscale": 2}, "control character"),
    ],
)
def test_bad_params_get_one_clear_sentence(kwargs: dict[str, object], says: str) -> None:
    with pytest.raises(InvalidParams, match=says) as info:
        check(**kwargs)
    assert str(info.value).endswith(".") and "\n" not in str(info.value)


def test_tabs_and_line_breaks_are_ordinary_text() -> None:
    assert check(prompt="a fox\tin snow\r\nat dusk").prompt == "a fox\tin snow\r\nat dusk"


def test_flags_parse_with_apostrophes_and_spaces_in_values() -> None:
    p = parse_imagine("a fox's den at dusk --negative blurry, low quality --seed 42 --size 256x128 --cfg 6.5 --count 2")
    assert p == GenerationParams("a fox's den at dusk", "blurry, low quality", 42, None, 256, 128, 6.5, 2)


def test_prompt_without_flags_is_the_whole_text() -> None:
    assert parse_imagine("  a red fox -- in snow ").prompt == "a red fox -- in snow"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("fox --foo 3", "Unknown option --foo"),
        ("fox --seed abc", "whole number"),
        ("fox --seed 1.5", "whole number"),
        ("fox --size 7", "WIDTHxHEIGHT"),
        ("fox --cfg inf", "finite"),
        ("fox --steps", "needs a value"),
        ("fox --seed 1 --seed 2", "twice"),
    ],
)
def test_malformed_flags_are_refused(text: str, says: str) -> None:
    with pytest.raises(InvalidParams, match=says):
        parse_imagine(text)


def test_broken_unicode_in_a_prompt_is_one_sentence() -> None:
    from core.config import Settings
    from core.models_registry import model_spec
    from core.params import InvalidParams, check_params
    from core.spec import GenerationParams

    for prompt, negative in (("a fox \ud800", ""), ("a fox", "\udfff blur")):
        with pytest.raises(InvalidParams, match="not valid Unicode"):
            check_params(GenerationParams(prompt, negative), model_spec(Settings()), max_prompt_chars=1000)
