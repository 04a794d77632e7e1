"""The rules behind /settings and /prefs, without a database: which value a setting takes, who wins when a member's
default, a chat's default and a flag meet, and which limits refuse and which quietly lower."""

from __future__ import annotations

import pytest

from core.chat_policy import BadValue, ServiceLimits, fill_defaults, hold_to_limits, normalised
from core.domain import ChatLimits, GenerationParams, Rejected
from core.spec import JobSpec

SERVICE = ServiceLimits(max_steps=50, max_side=512)


def spec(**changes: object) -> JobSpec:
    values: dict[str, object] = {"prompt": "a fox", "negative_prompt": "", "seed": 1, "steps": 8, "width": 128,
                                 "height": 128, "cfg": 7.5, "count": 1, **changes}
    return JobSpec(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "typed", "stored"), [
    ("max_steps", "10", "10"), ("max_count", "2", "2"), ("max_size", "256", "256"), ("steps", " 12 ", "12"),
    ("size", "256x128", "256x128"), ("size", "192", "192x192"), ("style", "INK", "ink"), ("sampler", "dpm++", "dpm++"),
    ("negative", "blurry, text", "blurry, text"), ("max_steps", "off", None), ("style", "None", None),
])
def test_a_setting_keeps_its_value_in_one_spelling(name: str, typed: str, stored: str | None) -> None:
    assert normalised(name, typed, SERVICE) == stored


@pytest.mark.parametrize(("name", "typed", "says"), [
    ("max_steps", "51", "from 1 to 50"),  # never beyond the service's own limit
    ("max_steps", "0", "from 1 to 50"),
    ("max_count", "5", "from 1 to 4"),
    ("steps", "ten", "whole number"),
    ("max_size", "1024", "from 64 to 512"),
    ("max_size", "300", "multiple of 8"),
    ("size", "100x100", "multiple of 8"),
    ("size", "huge", "WIDTHxHEIGHT"),
    ("style", "cubism", "ink"),
    ("sampler", "fastest", "euler"),
    ("negative", "x" * 1001, "1000 characters"),
])
def test_a_bad_value_is_one_sentence_that_says_what_it_takes(name: str, typed: str, says: str) -> None:
    with pytest.raises(BadValue) as raised:
        normalised(name, typed, SERVICE)
    refusal = raised.value.refusal
    assert refusal.code == "setting_value" and says in refusal.message and "nothing was changed" in refusal.message


def test_a_flag_wins_over_a_members_default_which_wins_over_the_chats() -> None:
    mine = {"style": "ink", "steps": "12", "negative": "blurry"}
    chat = {"style": "anime", "steps": "20", "size": "256x256"}
    filled, defaulted = fill_defaults(GenerationParams("a fox", steps=5), mine, chat, ChatLimits())
    assert (filled.style, filled.steps, filled.negative_prompt) == ("ink", 5, "blurry")
    assert (filled.width, filled.height) == (256, 256)  # nobody but the chat said a size
    assert defaulted == {"style", "negative"}  # the flag's steps are the member's own, not a default
    typed, _ = fill_defaults(GenerationParams("a fox", style="anime", negative_prompt="text"), mine, {}, ChatLimits())
    assert (typed.style, typed.negative_prompt, typed.steps) == ("anime", "text", 12)


def test_defaults_leave_a_pictures_own_size_and_an_enlargement_alone() -> None:
    mine = {"size": "256x256", "style": "ink"}
    from_picture, _ = fill_defaults(GenerationParams("a fox", image="upload:x"), mine, {}, ChatLimits())
    assert (from_picture.width, from_picture.height, from_picture.style) == (None, None, "ink")
    shaped, _ = fill_defaults(GenerationParams("a fox", aspect=(3, 2)), mine, {}, ChatLimits())
    assert shaped.width is None  # --ar is the member's choice of shape
    enlarged, defaulted = fill_defaults(GenerationParams("", image="upload:x", upscale=2), mine, {}, ChatLimits())
    assert enlarged.style is None and defaulted == frozenset()


def test_the_chats_own_defaults_are_lowered_to_its_limits() -> None:
    chat = {"steps": "30", "size": "512x256", "max_steps": "10", "max_size": "256"}
    filled, defaulted = fill_defaults(GenerationParams("a fox"), {}, chat, ChatLimits(max_steps=10, max_size=256))
    assert (filled.steps, filled.width, filled.height, defaulted) == (10, 256, 128, frozenset())


def test_asking_beyond_a_limit_is_refused_naming_it() -> None:
    limits = ChatLimits(max_steps=10, max_count=2, max_size=256)
    for asked, checked, says in (
            (GenerationParams("a fox", steps=30), spec(steps=30), "at most 10 steps, and you asked for 30"),
            (GenerationParams("a fox", count=3), spec(count=3), "jobs of at most 2 picture(s)"),
            (GenerationParams("a fox", width=512, height=512), spec(width=512, height=512),
             "up to 256 pixels on the longest side, and you asked for 512x512")):
        refused = hold_to_limits(asked, checked, limits)
        assert isinstance(refused, Rejected) and refused.code == "chat_limit", refused
        assert says in refused.message and refused.message.endswith("nothing was queued.")


def test_a_members_default_beyond_the_limit_is_refused_as_their_default() -> None:
    refused = hold_to_limits(GenerationParams("a fox", steps=30), spec(steps=30), ChatLimits(max_steps=10),
                             frozenset({"steps"}))
    assert isinstance(refused, Rejected)
    assert refused.message == ("Your default steps (30) is over this chat's limit of 10: give --steps yourself or "
                               "change it with /prefs steps VALUE; nothing was queued.")


def test_what_nobody_asked_for_is_lowered_to_fit() -> None:
    limits = ChatLimits(max_steps=4, max_size=128)
    held = hold_to_limits(GenerationParams("a fox"), spec(steps=8, width=256, height=192), limits)
    assert not isinstance(held, Rejected) and (held.steps, held.width, held.height) == (4, 128, 96)
    # A limit at or above the asked value changes nothing; enlarging is not making a picture.
    assert hold_to_limits(GenerationParams("a fox", steps=4), spec(steps=4), limits) == spec(steps=4)
    upscale = spec(kind="upscale", image="upload:x", width=512, height=512, steps=1, upscale=4)
    assert hold_to_limits(GenerationParams("", image="upload:x", upscale=4), upscale, limits) == upscale
