"""Discord ⇄ core translation as plain functions."""

from __future__ import annotations

import pytest

from bots.discord.buttons import MemberButton, ModButton, rendered
from bots.discord.translate import custom_id, imagine_params, requester, tiers_for
from core.domain import Accepted, GenerationParams, Rejected
from core.params import InvalidParams


def test_slash_options_become_params_and_the_member_carries_what_discord_vouches_for() -> None:
    params, model = imagine_params({"prompt": "a fox", "negative": "blur", "size": "256x128", "steps": 12,
                                    "seed": 3, "count": 2, "cfg": 6.0, "model": "mini-b"})
    assert params == GenerationParams("a fox", "blur", 3, 12, 256, 128, 6.0, 2) and model == "mini-b"
    who = requester(11, 3001, "ada", 99, locale="zh-CN", tiers=frozenset({"vip"}), nsfw_channel=True)
    assert (who.platform, who.user_id, who.chat_id, who.message_id) == ("discord", "11", "3001", "99")
    assert who.language == "zh" and who.tiers == {"vip"} and who.nsfw_chat and not who.local


def test_a_malformed_size_is_a_sentence() -> None:
    with pytest.raises(InvalidParams, match="WIDTHxHEIGHT"):
        imagine_params({"prompt": "x", "size": "big"})


def test_roles_map_to_tiers() -> None:
    assert tiers_for([5, 6, 7], {"6": "supporter", "9": "staff"}) == {"supporter"}


def test_custom_ids_round_trip_and_strangers_match_no_button() -> None:
    member = MemberButton.__discord_ui_compiled_template__  # type: ignore[attr-defined]
    moderator = ModButton.__discord_ui_compiled_template__  # type: ignore[attr-defined]
    assert member.match(custom_id("reroll", "k3v9q2mx7a"))["job"] == "k3v9q2mx7a"
    assert member.match(custom_id("report", "abc", 2))["idx"] == "2"
    assert member.match(custom_id("delete", "abc", 3))["action"] == "delete"
    for bad in ("muralist:destroy:abc", "other:reroll:abc", "muralist:reroll:ABC!", "muralist:reroll:" + "a" * 40,
                "muralist:mod_approve:abc:1"):
        assert member.match(bad) is None
    assert moderator.match("muralist:mod_approve:abc:1") and not moderator.match("muralist:mod_delete:abc:1")


def test_replies_say_where_the_pictures_go_in_the_members_language() -> None:
    assert "posted in this chat" in rendered(Accepted("abc", 2, GenerationParams("x")), "en")
    assert "图片会发送到这里" in rendered(Accepted("abc", 2, GenerationParams("x")), "zh")
    assert "no longer exists" in rendered(Rejected("gone"), "en")


def test_flags_typed_inside_the_prompt_are_parsed_and_slash_options_win() -> None:
    params, model = imagine_params({"prompt": "a fox in the snow --seed 3 --steps 5 --ar 3:2 --no text, watermark",
                                    "steps": 9, "negative": "blur"})
    assert params.prompt == "a fox in the snow" and params.seed == 3 and params.steps == 9
    assert params.aspect == (3, 2) and params.negative_prompt == "text, watermark, blur" and model is None
