"""/settings limits and defaults and /prefs member defaults through the facade, as every adapter gets them, on the
embedded stack (SQLite, in-process worker, miniature model: 128 px and 8 steps by default, 512 px and 50 steps at
most)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import Settings
from core.domain import Accepted, GenerationParams, Notice, Rejected, Requester
from core.runtime import Runtime, build_runtime
from core.spec import JobSpec

ADMIN = Requester("telegram", "10", chat_id="-500", display_name="ada")
MEMBER = Requester("telegram", "11", chat_id="-500", display_name="bob")
MEMBER_ELSEWHERE = Requester("telegram", "11", chat_id="-600", display_name="bob")  # the same member, another chat
OTHER_MEMBER = Requester("telegram", "12", chat_id="-500", display_name="cy")


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[Runtime]:
    rt = build_runtime(Settings(data_dir=tmp_path_factory.mktemp("limits"), models_dir=models_dir,
                                rate_limit_jobs=1000, max_queued_jobs_per_user=50))
    for who in (ADMIN, MEMBER, OTHER_MEMBER):
        rt.app.accept_licence(who)
    yield rt
    rt.close()


@pytest.fixture
def app(runtime: Runtime) -> Iterator[Runtime]:
    """Each test starts with no chat settings and no member defaults."""
    yield runtime
    for name in ("max_steps", "max_count", "max_size", "style", "steps", "size"):
        runtime.app.change_chat_setting(ADMIN, name, "off")
    for who in (MEMBER, OTHER_MEMBER):
        for name in ("style", "sampler", "size", "steps", "negative"):
            runtime.app.change_preference(who, name, "off")


def _job(runtime: Runtime, outcome: object) -> JobSpec:
    assert isinstance(outcome, Accepted), outcome
    job = runtime.repo.get_job(outcome.job_id)
    assert job is not None
    return job.spec


def _jobs(runtime: Runtime, who: Requester) -> int:
    return len(runtime.app.history(who, 100))


def test_asking_beyond_the_chats_limit_is_one_sentence_and_queues_nothing(app: Runtime) -> None:
    changed = app.app.change_chat_setting(ADMIN, "max_steps", "10")
    assert isinstance(changed, Notice) and changed.message == "This chat's max_steps is now 10."
    jobs, used = _jobs(app, MEMBER), app.app.quota(MEMBER).values["used"]
    refused = app.app.imagine(MEMBER, GenerationParams("a fox", steps=30))
    assert isinstance(refused, Rejected)
    assert refused.message == "This chat allows at most 10 steps, and you asked for 30; nothing was queued."
    assert _jobs(app, MEMBER) == jobs and app.app.quota(MEMBER).values["used"] == used
    assert _job(app, app.app.imagine(MEMBER, GenerationParams("a fox", steps=10))).steps == 10
    assert _job(app, app.app.imagine(MEMBER_ELSEWHERE, GenerationParams("a fox", steps=30))).steps == 30
    # The limit holds for a job made again from another, too: a reroll of the 30-step job in this chat.
    made_elsewhere = app.app.imagine(MEMBER_ELSEWHERE, GenerationParams("an owl", steps=30))
    assert isinstance(made_elsewhere, Accepted)
    rerolled = app.app.reroll(MEMBER, made_elsewhere.job_id)
    assert isinstance(rerolled, Rejected) and "at most 10 steps" in rerolled.message


def test_what_the_member_did_not_ask_for_is_lowered_to_the_chats_limits(app: Runtime) -> None:
    app.app.change_chat_setting(ADMIN, "max_size", "64")
    app.app.change_chat_setting(ADMIN, "max_steps", "4")
    plain = _job(app, app.app.imagine(MEMBER, GenerationParams("a fox")))
    assert (plain.width, plain.height, plain.steps) == (64, 64, 4)  # the model's 128 px and 8 steps, lowered
    refused = app.app.imagine(MEMBER, GenerationParams("a fox", width=128, height=128))
    assert isinstance(refused, Rejected) and "up to 64 pixels on the longest side" in refused.message
    app.app.change_chat_setting(ADMIN, "max_count", "1")
    first = app.app.imagine(MEMBER, GenerationParams("a hare"))
    assert isinstance(first, Accepted) and app.app.wait(first.job_id, 120) is not None
    # /variations makes two unless told: here one, as the chat allows; asking for two is refused.
    assert _job(app, app.app.variations(MEMBER, first.job_id)).count == 1
    asked = app.app.variations(MEMBER, first.job_id, count=2)
    assert isinstance(asked, Rejected) and "jobs of at most 1 picture(s), and you asked for 2" in asked.message


def test_a_members_default_fills_what_they_leave_out_and_a_flag_wins(app: Runtime) -> None:
    set_style = app.app.change_preference(MEMBER, "style", "ink")
    assert isinstance(set_style, Notice) and set_style.message.startswith("Your default style is now ink")
    app.app.change_preference(MEMBER, "negative", "blurry, text")
    app.app.change_preference(MEMBER, "size", "96x64")
    made = _job(app, app.app.imagine(MEMBER, GenerationParams("a harbour")))
    assert (made.style, made.width, made.height) == ("ink", 96, 64) and "blurry, text" in made.negative_prompt
    flagged = _job(app, app.app.imagine(MEMBER, GenerationParams("a harbour", style="anime", width=64, height=64)))
    assert (flagged.style, flagged.width) == ("anime", 64)
    # Their own: another member in the same chat gets no style; the defaults follow the member to another chat.
    assert _job(app, app.app.imagine(OTHER_MEMBER, GenerationParams("a harbour"))).style is None
    assert _job(app, app.app.imagine(MEMBER_ELSEWHERE, GenerationParams("a harbour"))).style == "ink"
    shown = app.app.preferences(MEMBER).message
    assert "style: ink" in shown and "size: 96x64" in shown and "sampler: —" in shown


def test_a_default_beyond_the_chats_limit_is_refused_when_used(app: Runtime) -> None:
    app.app.change_preference(MEMBER, "steps", "30")
    app.app.change_chat_setting(ADMIN, "max_steps", "10")
    jobs = _jobs(app, MEMBER)
    refused = app.app.imagine(MEMBER, GenerationParams("a fox"))
    assert isinstance(refused, Rejected) and refused.message == (
        "Your default steps (30) is over this chat's limit of 10: give --steps yourself or change it with "
        "/prefs steps VALUE; nothing was queued.")
    assert _jobs(app, MEMBER) == jobs
    assert _job(app, app.app.imagine(MEMBER, GenerationParams("a fox", steps=6))).steps == 6  # the flag wins
    assert _job(app, app.app.imagine(MEMBER_ELSEWHERE, GenerationParams("a fox"))).steps == 30  # no limit there


def test_the_chats_defaults_apply_to_everyone_below_their_own(app: Runtime) -> None:
    for name, value in (("style", "watercolor"), ("steps", "6"), ("size", "64x96")):
        assert isinstance(app.app.change_chat_setting(ADMIN, name, value), Notice)
    made = _job(app, app.app.imagine(OTHER_MEMBER, GenerationParams("a garden")))
    assert (made.style, made.steps, made.width, made.height) == ("watercolor", 6, 64, 96)
    app.app.change_preference(MEMBER, "style", "ink")
    assert _job(app, app.app.imagine(MEMBER, GenerationParams("a garden"))).style == "ink"
    settings = app.app.chat_settings(ADMIN).values
    assert {k: settings[k] for k in ("style", "steps", "size", "max_steps")} == {
        "style": "watercolor", "steps": "6", "size": "64x96", "max_steps": "—"}
    unset = app.app.change_chat_setting(ADMIN, "style", "off")
    assert isinstance(unset, Notice) and unset.message == "This chat's style is no longer set."
    assert _job(app, app.app.imagine(OTHER_MEMBER, GenerationParams("a garden"))).style is None


def test_unknown_names_and_bad_values_change_nothing(app: Runtime) -> None:
    before = app.app.chat_settings(ADMIN).values
    for name, value, code in (("colour", "red", "settings_usage"), ("max_steps", "500", "setting_value"),
                              ("max_size", "lots", "setting_value"), ("others_buttons", "everyone", "setting_value")):
        refused = app.app.change_chat_setting(ADMIN, name, value)
        assert isinstance(refused, Rejected) and refused.code == code, (name, refused)
    assert app.app.chat_settings(ADMIN).values == before
    assert isinstance(app.app.change_preference(MEMBER, "max_steps", "3"), Rejected)  # a chat's, not a member's
    bad = app.app.change_preference(MEMBER, "sampler", "fastest")
    assert isinstance(bad, Rejected) and "sampler takes one of:" in bad.message
    assert "sampler: —" in app.app.preferences(MEMBER).message
