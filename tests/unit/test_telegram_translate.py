"""Telegram ⇄ core translation as plain functions."""

from __future__ import annotations

import pytest

from bots.telegram.translate import (
    callback_data,
    command_argument,
    imagine_request,
    language,
    outcome_text,
    parse_callback,
    requester,
)
from core.domain import Accepted, GenerationParams, Rejected
from core.params import InvalidParams


def test_the_message_becomes_a_request_with_flags_and_the_group_policy() -> None:
    who = requester(21, -100, "ada", 7)
    request = imagine_request(who, "/imagine@muralist_bot a fox's den --seed 3 --size 256x128", nsfw_allowed=True)
    assert request.params == GenerationParams("a fox's den", seed=3, width=256, height=128)
    assert request.requester.chat_id == "-100" and request.requester.message_id == "7" and request.nsfw_allowed


def test_command_argument_keeps_spacing_and_handles_a_bare_command() -> None:
    assert command_argument("/imagine  two  spaces") == " two  spaces"
    assert command_argument("/imagine") == ""


def test_malformed_flags_are_refused() -> None:
    with pytest.raises(InvalidParams, match="--seed"):
        imagine_request(requester(1, 1), "/imagine a fox --seed x", nsfw_allowed=False)


def test_language_follows_the_member() -> None:
    assert [language(c) for c in ("zh-hans", "zh-TW", "en", None, "fr")] == ["zh", "zh", "en", "en", "en"]


def test_common_refusals_are_said_in_chinese() -> None:
    blocked = Rejected("prompt", "blocked", {"categories": ["sexual"]})
    assert "内容规则" in outcome_text(blocked, "zh") and "sexual" in outcome_text(blocked, "zh")
    assert "排在第 3 位" in outcome_text(Accepted("abc", 3, GenerationParams("x")), "zh")
    assert outcome_text(Rejected("quota", "No pictures left."), "en") == "No pictures left."


def test_callback_data_round_trips_within_telegrams_64_bytes() -> None:
    data = callback_data("mod_remove", "k3v9q2mx7a", 3)
    assert len(data.encode()) <= 64
    assert parse_callback(data) == parse_callback("mr:mod_remove:k3v9q2mx7a:3")
    assert parse_callback(data).idx == 3  # type: ignore[union-attr]
    assert parse_callback("something else") is None and parse_callback(None) is None
