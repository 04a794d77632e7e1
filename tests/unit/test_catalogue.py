"""The one message catalogue: complete in every language, and every outcome core produces renders in each."""

from __future__ import annotations

import string
from datetime import UTC, datetime

import pytest

from core.catalogue import LANGUAGES, MESSAGES, language, render, text
from core.domain import Accepted, GenerationParams, Notice, Rejected
from safety.moderation import Event


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


def test_a_chinese_moderator_reads_a_ban_confirmation_in_chinese_and_the_cli_keeps_english() -> None:
    from core.app import _done
    from core.moderation.sanctions import Sanctions
    from safety.moderation import StrikePolicy

    sanctions = Sanctions(_Log(), _Clock(), StrikePolicy())
    sentence = sanctions.ban(7, "telegram:1", "7d", "spam", 1, label="Ada (@ada)")
    assert sentence == "Ada (@ada) is banned until 2026-11-30 12:00 UTC."  # what the operator's CLI prints
    confirmed = _done(sentence)
    assert render(confirmed, "en") == sentence
    assert render(confirmed, "zh") == "Ada (@ada) 已被封禁，直到 2026-11-30 12:00 UTC。"
    assert render(_done(sanctions.unban(7, "telegram:1", "", 1)), "zh") == "用户 #7 可以重新生成图片了。"


def test_a_bad_ban_duration_is_refused_in_the_moderators_language() -> None:
    from core.app import _refused
    from core.moderation.sanctions import Sanctions
    from safety.moderation import ModerationError, StrikePolicy

    with pytest.raises(ModerationError) as refused:
        Sanctions(_Log(), _Clock(), StrikePolicy()).ban(7, "telegram:1", "soon", "spam", 1)
    assert str(refused.value) == "'soon' is not a duration: use e.g. 30m, 12h, 7d, 2w or permanent."
    said = _refused(refused.value)
    assert render(said, "en") == str(refused.value)
    assert render(said, "zh") == "'soon' 不是有效的时长：请使用例如 30m、12h、7d、2w 或 permanent。"
    with pytest.raises(ModerationError) as own_case:
        Sanctions(_Log(), _Clock(), StrikePolicy()).ban(1, "telegram:1", "7d", "spam", 1)
    assert render(_refused(own_case.value), "zh") == "管理员不能裁决自己的案件；请找另一位管理员。"


def test_an_operators_own_english_refusal_is_still_said() -> None:
    from core.app import _refused
    from safety.moderation import ModerationError

    assert render(_refused(ModerationError("Grant either --pictures N or --tier NAME.")), "zh") == (
        "Grant either --pictures N or --tier NAME.")


class _Clock:
    def now(self) -> datetime:
        return datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class _Log:
    """Just enough of the moderation log for Sanctions: events kept in a list."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def add_event(self, action: str, actor: str, *, now: datetime, **fields: object) -> int:
        self.events.append(Event(len(self.events) + 1, action, actor, now, **fields))
        return len(self.events)

    def events_for_user(self, user_id: int) -> list[Event]:
        return [e for e in self.events if e.target_user_id == user_id]


def test_chinese_members_read_chinese() -> None:
    refused = Rejected("licence", {"licence": "CreativeML Open RAIL-M"})
    assert "/license" in render(refused, "zh") and "许可协议" in render(refused, "zh")
    assert text("accepted", "zh", job_id="abc", position_text="下一个就轮到你").startswith("任务 abc")
