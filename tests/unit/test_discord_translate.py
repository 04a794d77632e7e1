"""Discord ⇄ core translation as plain functions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bots.discord.translate import (
    custom_id,
    imagine_request,
    outcome_message,
    parse_custom_id,
    requester,
    tiers_for,
)
from bots.results import result_files, result_text
from core.domain import Accepted, Decision, GenerationParams, ImageRecord, Job, JobStatus, Rejected
from core.params import InvalidParams
from core.spec import JobSpec


def job(*decisions: Decision) -> Job:
    images = tuple(ImageRecord(i, 7 + i, 64, 64, "ab" * 32, d, 0.1, None if d is Decision.BLOCK else f"/p/{i}.png")
                   for i, d in enumerate(decisions))
    spec = JobSpec(prompt="a fox", negative_prompt="", seed=7, steps=8, width=64, height=64, cfg=7.5,
                   count=len(decisions))
    return Job("k3v9q2mx7a", 1, "discord", "3001", JobStatus.DONE, "miniature", spec, datetime(2026, 1, 1, tzinfo=UTC),
               images=images)


def test_slash_options_become_a_request() -> None:
    who = requester(11, 3001, "ada", 99)
    request = imagine_request(who, {"prompt": "a fox", "negative": "blur", "size": "256x128", "steps": 12,
                                    "seed": 3, "count": 2, "cfg": 6.0}, nsfw_channel=True, tiers=frozenset({"vip"}))
    assert request.params == GenerationParams("a fox", "blur", 3, 12, 256, 128, 6.0, 2)
    assert request.requester.platform == "discord" and request.requester.user_id == "11"
    assert request.requester.message_id == "99" and request.nsfw_allowed and request.tiers == {"vip"}


def test_a_malformed_size_is_a_sentence() -> None:
    with pytest.raises(InvalidParams, match="WIDTHxHEIGHT"):
        imagine_request(requester(1, 2), {"prompt": "x", "size": "big"}, nsfw_channel=False)


def test_roles_map_to_tiers() -> None:
    assert tiers_for([5, 6, 7], {"6": "supporter", "9": "staff"}) == {"supporter"}


def test_custom_ids_round_trip_and_reject_strangers() -> None:
    assert parse_custom_id(custom_id("reroll", "k3v9q2mx7a")).job_id == "k3v9q2mx7a"  # type: ignore[union-attr]
    assert parse_custom_id(custom_id("report", "abc", 2)).idx == 2  # type: ignore[union-attr]
    for bad in ("muralist:delete:abc", "other:reroll:abc", "muralist:reroll:ABC!", "muralist:reroll:" + "a" * 40):
        assert parse_custom_id(bad) is None


def test_review_pictures_are_spoilers_and_blocked_ones_never_leave() -> None:
    finished = job(Decision.ALLOW, Decision.REVIEW, Decision.BLOCK)
    files = result_files(finished)
    assert [(f.index, f.filename.startswith("SPOILER_")) for f in files] == [(0, False), (1, True)]
    text = result_text(finished, "<@11>")
    assert "<@11>" in text and "Picture(s) 2 may be sensitive" in text and "Picture(s) 3 were blocked" in text


def test_outcome_messages() -> None:
    assert "posted in this channel" in outcome_message(Accepted("abc", 2, GenerationParams("x")))
    assert outcome_message(Rejected("quota", "No pictures left.")) == "No pictures left."
