"""Telegram ⇄ core translation as plain functions."""

from __future__ import annotations

import pytest

from bots.telegram.translate import (
    ACCEPT_BUTTON,
    CAPTION_LIMIT,
    DELETE_BUTTON,
    EDIT_BUTTON,
    MEMBER_BUTTON,
    MOD_BUTTON,
    callback_data,
    command_argument,
    edited_job,
    imagine_params,
    licence_keyboard,
    lines_text,
    moderator_keyboard,
    pressed,
    requester,
    result_keyboard,
)
from core.catalogue import language, render, text
from core.delivery import ModeratorPost, ResultButton
from core.domain import Accepted, GenerationParams, Notice, Rejected
from core.params import InvalidParams


def test_the_message_becomes_parameters_and_a_model() -> None:
    params, model = imagine_params("/imagine@muralist_bot a fox's den --seed 3 --size 256x128 --model sd15")
    assert params == GenerationParams("a fox's den", seed=3, width=256, height=128) and model == "sd15"


def test_a_caption_is_a_prompt_with_or_without_the_command() -> None:
    assert imagine_params("a castle --strength 0.7") == imagine_params("/imagine a castle --strength 0.7")
    assert imagine_params("a castle --strength 0.7")[0].strength == 0.7


def test_the_requester_carries_the_chat_the_message_and_the_language() -> None:
    who = requester(21, -100, "ada", 7, "zh")
    assert (who.platform, who.user_id, who.chat_id, who.message_id, who.language) == ("telegram", "21", "-100", "7",
                                                                                      "zh")
    assert not who.local and who.tiers == frozenset()  # a chat member never names server files


def test_command_argument_keeps_spacing_and_handles_a_bare_command() -> None:
    assert command_argument("/imagine  two  spaces") == " two  spaces"
    assert command_argument("/imagine") == ""


def test_malformed_flags_are_refused() -> None:
    with pytest.raises(InvalidParams, match="--seed"):
        imagine_params("/imagine a fox --seed x")


def test_language_follows_the_member() -> None:
    assert [language(c) for c in ("zh-hans", "zh-TW", "en", None, "fr")] == ["zh", "zh", "en", "en", "en"]


def test_refusals_are_said_in_the_members_language() -> None:
    blocked = Rejected("prompt", {"categories": "sexual"})
    assert "内容规则" in render(blocked, "zh") and "sexual" in render(blocked, "zh")
    assert "前面还有 3 个任务" in render(Accepted("abc", 3, GenerationParams("x")), "zh")
    assert render(Rejected("moderators_only"), "en") == "Only moderators can do that."


def test_callback_data_stays_within_telegrams_64_bytes_and_each_pattern_matches_only_its_buttons() -> None:
    data = callback_data("mod_remove", "k3v9q2mx7a", 3)
    assert len(data.encode()) <= 64
    match = MOD_BUTTON.match(data)
    assert match is not None and pressed(match) == ("remove", "k3v9q2mx7a", 3)
    member = MEMBER_BUTTON.match(callback_data("reroll", "k3v9q2mx7a"))
    assert member is not None and pressed(member) == ("reroll", "k3v9q2mx7a", None)
    assert ACCEPT_BUTTON.match(callback_data("accept"))
    for stray in ("mr:mod_remove:k3v9q2mx7a:3", "mr:accept", "mr:frobnicate:k3v9q2mx7a", "something else",
                  "mr:edit:k3v9q2mx7a", "mr:delete:k3v9q2mx7a:0"):
        assert MEMBER_BUTTON.match(stray) is None
    edit = EDIT_BUTTON.match("mr:edit:k3v9q2mx7a")
    delete = DELETE_BUTTON.match(callback_data("delete", "k3v9q2mx7a", 3))
    assert edit is not None and pressed(edit) == ("edit", "k3v9q2mx7a", None)
    assert delete is not None and pressed(delete) == ("delete", "k3v9q2mx7a", 3)
    assert DELETE_BUTTON.match("mr:delete:k3v9q2mx7a") is None and EDIT_BUTTON.match("mr:edit:k3v9q2mx7a:1") is None


def test_a_reply_to_the_edit_question_names_its_job_in_every_language() -> None:
    for lang in ("en", "zh"):
        assert edited_job(text("edit_prompt_ask", lang, job_id="k3v9q2mx7a")) == "k3v9q2mx7a"
    for other in ("Job k3v9q2mx7a accepted (you are next).", "k3v9q2mx7a", "",
                  text("edit_prompt_ask", "en", job_id="k3v9q2mx7a") + " and more"):
        assert edited_job(other) is None
    assert MOD_BUTTON.match("mr:report:k3v9q2mx7a:0") is None and ACCEPT_BUTTON.match("mr:accept:x") is None


def _labels_and_data(markup):  # type: ignore[no-untyped-def]
    return [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard]


def test_result_buttons_are_one_row_per_action_with_short_labels_for_several_pictures() -> None:
    buttons = [ResultButton("reroll", "job1", None), ResultButton("edit", "job1", None),
               ResultButton("info", "job1", None), ResultButton("upscale", "job1", 0),
               ResultButton("upscale", "job1", 1), ResultButton("report", "job1", 0), ResultButton("report", "job1", 1),
               ResultButton("delete", "job1", 0), ResultButton("delete", "job1", 1)]
    assert _labels_and_data(result_keyboard(buttons, "en")) == [
        [("Reroll", "mr:reroll:job1"), ("🖋 Edit", "mr:edit:job1"), ("📋 Info", "mr:info:job1")],
        [("U1", "mr:upscale:job1:0"), ("U2", "mr:upscale:job1:1")],
        [("Report 1", "mr:report:job1:0"), ("Report 2", "mr:report:job1:1")],
        [("❌1", "mr:delete:job1:0"), ("❌2", "mr:delete:job1:1")],
    ]
    one = [ResultButton("reroll", "job1", None), ResultButton("variations", "job1", 0)]
    assert _labels_and_data(result_keyboard(one, "zh")) == [[("重新生成", "mr:reroll:job1")],
                                                            [("变体", "mr:variations:job1:0")]]


def test_moderator_and_licence_keyboards() -> None:
    post = ModeratorPost("-1001", "job1", 2, "/x.png", Notice("why_report"))
    assert _labels_and_data(moderator_keyboard(post, "en")) == [[("Approve", "mr:mod_approve:job1:2"),
                                                                  ("Remove", "mr:mod_remove:job1:2"),
                                                                  ("Ban 7 days", "mr:mod_ban_7d:job1:2")]]
    assert _labels_and_data(licence_keyboard("zh")) == [[("接受", "mr:accept")]]


def test_a_caption_is_the_rendered_lines_within_telegrams_limit() -> None:
    lines = [Notice("result", {"mention": "", "prompt": "a fox", "seed": 9, "job_id": "job1"}),
             Notice("result_review", {"numbers": "2"})]
    assert lines_text(lines, "en").splitlines() == ["a fox — seed 9, job job1", render(lines[1], "en")]
    long = [Notice("result", {"mention": "", "prompt": "y" * 3000, "seed": 9, "job_id": "job1"})]
    assert len(lines_text(long, "en")) <= CAPTION_LIMIT
