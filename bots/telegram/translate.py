"""Telegram ⇄ core translation as plain functions: message text → request, outcomes → sentences in the member's
language (Chinese or English), callback data ⇄ (action, job, picture)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.command_syntax import parse_imagine_request
from core.domain import Accepted, GenerationRequest, Outcome, Rejected, Requester

PLATFORM = "telegram"
_CALLBACK = re.compile(r"^mr:(?P<action>[a-z_0-9]+)(?::(?P<job>[a-z0-9]{1,16}))?(?::(?P<idx>\d{1,2}))?$")

TEXT = {
    "en": {
        "welcome": "Welcome to muralist! I turn descriptions into pictures. First read the licence below and press "
                   "Accept (or send /accept).",
        "help": "/imagine <description> [--negative TEXT] [--seed N] [--steps N] [--size WxH] [--cfg X] [--count N]\n"
                "/quota — pictures left today\n/history — your last jobs\n/cancel JOB — stop a job of yours\n"
                "/license, /accept — the model licence\n"
                "/link [CODE] — share one quota with your other accounts",
        "not_text": "I can only read text here: send /imagine followed by a description of the picture.",
        "img2img": "To start from this picture, send it again with a caption describing what to make of it.",
        "unknown": "I do not know that command; send /help for the list.",
        "moderators_only": "Only moderators can do that.",
        "group_admins_only": "Only this group's admins (or the bot's admins) can change that.",
        "gone": "That job no longer exists.",
        "licence": "Before your first picture, read the licence with /license and accept it with /accept.",
        "blocked": "This prompt was blocked by the content rules ({categories}); nothing was generated.",
        "quota": "Your quota does not cover this request; send /quota to see what is left and when it resets.",
        "accepted": "Job {job} accepted ({position}). I will send the pictures here.",
        "position_next": "you are next",
        "position": "position {position} in the queue",
    },
    "zh": {
        "welcome": "欢迎使用 muralist！我可以把文字描述变成图片。"
                   "请先阅读下面的许可协议并点击“接受”（或发送 /accept）。",
        "help": "/imagine <描述> [--negative 文本] [--seed 数字] [--steps 数字] [--size 宽x高] [--cfg 数字] "
                "[--count 数字]\n"
                "/quota — 今天剩余的图片数\n/history — 最近的任务\n/license、/accept — 模型许可协议\n"
                "/link [代码] — 与其他平台账号共享配额",
        "not_text": "这里只能读文字：请发送 /imagine 加上图片的描述。",
        "img2img": "要以这张图片为基础生成，请重新发送图片并附上文字说明。",
        "unknown": "我不认识这个命令；发送 /help 查看命令列表。",
        "moderators_only": "只有管理员可以这样做。",
        "group_admins_only": "只有本群管理员（或机器人管理员）可以修改这个设置。",
        "gone": "这个任务已经不存在了。",
        "licence": "生成第一张图片之前，请用 /license 阅读许可协议，并用 /accept 接受。",
        "blocked": "这个提示词被内容规则拦截（{categories}），没有生成任何图片。",
        "quota": "你的配额不足以完成这个请求；发送 /quota 查看剩余数量和重置时间。",
        "accepted": "任务 {job} 已受理（{position}）。图片会发送到这里。",
        "position_next": "下一个就是你",
        "position": "排在第 {position} 位",
    },
}


def language(code: str | None) -> str:
    return "zh" if (code or "").lower().startswith("zh") else "en"


def t(lang: str, key: str, **values: object) -> str:
    return TEXT[lang][key].format(**values)


def requester(user_id: int, chat_id: int, name: str | None = None, message_id: int | None = None) -> Requester:
    return Requester(PLATFORM, str(user_id), str(chat_id), name, None if message_id is None else str(message_id))


def command_argument(text: str) -> str:
    """The text after '/imagine' or '/imagine@botname', spacing and quotes untouched."""
    return text.partition(" ")[2] if " " in text.strip() else ""


def imagine_request(who: Requester, text: str, *, nsfw_allowed: bool) -> GenerationRequest:
    """Raises core.params.InvalidParams on malformed flags."""
    params, model = parse_imagine_request(command_argument(text))
    return GenerationRequest(who, params, model, nsfw_allowed=nsfw_allowed)


def outcome_text(outcome: Outcome, lang: str) -> str:
    """Core speaks English; the common refusals are said in the member's language, the rest as core said them."""
    if isinstance(outcome, Accepted):
        where = t(lang, "position_next") if outcome.position <= 1 else t(lang, "position", position=outcome.position)
        return t(lang, "accepted", job=outcome.job_id, position=where)
    if lang == "en" or not isinstance(outcome, Rejected):
        return outcome.message
    if outcome.code == "licence":
        return t(lang, "licence")
    if outcome.code == "prompt":
        categories = ", ".join(str(c) for c in outcome.details.get("categories", []))  # type: ignore[attr-defined]
        return t(lang, "blocked", categories=categories)
    if outcome.code == "quota":
        return t(lang, "quota")
    return outcome.message


def callback_data(action: str, job_id: str | None = None, idx: int | None = None) -> str:
    data = "mr:" + action + ("" if job_id is None else f":{job_id}") + ("" if idx is None else f":{idx}")
    assert len(data.encode()) <= 64  # Telegram's limit for callback data
    return data


@dataclass(frozen=True)
class Callback:
    action: str
    job_id: str | None
    idx: int | None


def parse_callback(data: str | None) -> Callback | None:
    match = _CALLBACK.match(data or "")
    if match is None:
        return None
    return Callback(match["action"], match["job"], int(match["idx"]) if match["idx"] else None)
