"""The one message catalogue: complete in every language, and every outcome core produces renders in each."""

from __future__ import annotations

import string

import pytest

from core.catalogue import LANGUAGES, MESSAGES, language, render, text
from core.domain import Accepted, GenerationParams, Notice, Rejected


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_with_the_same_placeholders(lang: str) -> None:
    missing = [code for code, entry in MESSAGES.items() if lang not in entry]
    assert missing == [], f"untranslated into {lang}: {missing}"
    drifted = [code for code, entry in MESSAGES.items() if _fields(entry[lang]) != _fields(entry["en"])]
    assert drifted == [], f"{lang} placeholders differ from English: {drifted}"


def test_platform_language_tags_pick_a_catalogue_language() -> None:
    assert [language(t) for t in ("zh-hans", "zh_CN.UTF-8", "en-US", None, "fr")] == ["zh", "zh", "en", "en", "en"]


@pytest.mark.parametrize("outcome", [
    Accepted("k3v9q2mx7a", 0, GenerationParams("a fox")),
    Accepted("k3v9q2mx7a", 4, GenerationParams("a fox")),
    Accepted("k3v9q2mx7a", None, GenerationParams("a fox")),
    Rejected("quota", {"asked_code": ("asked_many", {"count": 3}), "left": 1, "total": 25,
                       "resets_code": ("resets_day", {"wait": "3h 05m"})}),
    Rejected("prompt", {"categories": "sexual × minors", "suspended": {"until": "2026-01-02 12:00", "reason": "3"}}),
    Rejected("model", {"message": "model_unknown", "model": "nope", "models": "miniature"}),
    Rejected("banned", {"until_code": ("until_permanent", {}), "reason_text": ""}),
    Notice("quota_status", {"used": 1, "limit": 25, "left": 24, "queued": 0, "granted_code": None,
                            "tier_code": ("tier_text", {"tier": "supporter"}), "period_code": ("period_day", {}),
                            "resets_code": ("resets_rolling", {"at": "12:00", "wait": "1h 00m"})}),
])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_outcomes_render_in_every_language(outcome: object, lang: str) -> None:
    sentence = render(outcome, lang)
    assert sentence and "{" not in sentence and "_code" not in sentence


def test_picture_refusals_are_said_in_the_members_language_and_logged_in_english() -> None:
    from safety.image_input import BadImage, open_untrusted

    with pytest.raises(BadImage) as refused:
        open_untrusted(b"definitely not a picture")
    assert str(refused.value).startswith("the picture is not a picture (PNG")  # logs and the CLI: English
    said = Rejected("input", refused.value.said())
    assert render(said, "en") == str(refused.value)
    assert render(said, "zh").startswith("图片 不是图片（请发送 PNG") and " 或 " in render(said, "zh")


def test_moderation_refusals_core_says_itself_are_translated() -> None:
    from core.moderation.refusal import Refusal

    refusal = Refusal("mod_no_delivered_picture", number=3, job_id="k3v9q2mx7a")
    assert str(refusal) == "There is no delivered picture 3 in job k3v9q2mx7a."
    assert render(Rejected(refusal.code, refusal.values), "zh") == "任务 k3v9q2mx7a 中没有已发送的第 3 张图片。"


def test_chinese_members_read_chinese() -> None:
    refused = Rejected("licence", {"licence": "CreativeML Open RAIL-M"})
    assert "/license" in render(refused, "zh") and "许可协议" in render(refused, "zh")
    assert text("accepted", "zh", job_id="abc", position_text="下一个就轮到你").startswith("任务 abc")
