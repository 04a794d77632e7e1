"""Telegram ⇄ core translation as plain functions: message text → parameters, who pressed or sent what → a
:class:`Requester` in their language, core's buttons and captions → inline keyboards and text, callback data ⇄
(action, job, picture). Every sentence comes from :mod:`core.catalogue`."""

from __future__ import annotations

import re
from collections.abc import Iterable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from core.catalogue import LANGUAGES, render, text
from core.command_syntax import parse_imagine_request
from core.delivery import ModeratorPost, ResultButton
from core.domain import GenerationParams, Notice, Requester

PLATFORM = "telegram"
CAPTION_LIMIT = 1024  # Telegram's limit for a photo caption
ANSWER_LIMIT = 200  # … and for the text of a callback query answer
MESSAGE_LIMIT = 4096

# One pattern per kind of button, so the Application routes each to its own handler (CallbackQueryHandler(pattern=)).
_JOB = r"(?P<job>[a-z0-9]{1,16})"
ACCEPT_BUTTON = re.compile(r"^mr:accept$")
MEMBER_BUTTON = re.compile(rf"^mr:(?P<action>reroll|variations|upscale|restore|report|info):{_JOB}"
                           rf"(?::(?P<idx>\d{{1,2}}))?$")
EDIT_BUTTON = re.compile(rf"^mr:(?P<action>edit):{_JOB}(?P<idx>)$")
DELETE_BUTTON = re.compile(rf"^mr:(?P<action>delete):{_JOB}:(?P<idx>\d{{1,2}})$")
MOD_BUTTON = re.compile(rf"^mr:mod_(?P<action>approve|remove|ban_7d):{_JOB}:(?P<idx>\d{{1,2}})$")
# A moderator post's "ban" is a fixed seven days here: Telegram has no follow-up menu as light as Discord's select.
_MOD_ACTIONS = {"approve": ("mod_approve", "button_approve"), "remove": ("mod_remove", "button_remove"),
                "ban": ("mod_ban_7d", "button_ban_7d")}


def requester(user_id: int, chat_id: int, name: str | None = None, message_id: int | None = None,
              language: str = "en", username: str | None = None) -> Requester:
    return Requester(PLATFORM, str(user_id), str(chat_id), name, None if message_id is None else str(message_id),
                     language=language, username=username)


def command_argument(message: str) -> str:
    """The text after '/imagine' or '/imagine@botname', spacing and quotes untouched."""
    return message.partition(" ")[2] if " " in message.strip() else ""


def imagine_params(message: str) -> tuple[GenerationParams, str | None]:
    """The parameters and model of an ``/imagine`` message (or a picture's caption, with or without the command).
    Raises core.params.InvalidParams on malformed flags."""
    if not message.startswith("/imagine"):
        message = f"/imagine {message}"
    return parse_imagine_request(command_argument(message))


def callback_data(action: str, job_id: str | None = None, idx: int | None = None) -> str:
    data = "mr:" + action + ("" if job_id is None else f":{job_id}") + ("" if idx is None else f":{idx}")
    assert len(data.encode()) <= 64  # Telegram's limit for callback data
    return data


def pressed(match: re.Match[str]) -> tuple[str, str, int | None]:
    """(action, job id, picture index) of a member or moderator button matched by its pattern."""
    return match["action"], match["job"], int(match["idx"]) if match["idx"] else None


def lines_text(lines: Iterable[Notice], lang: str, limit: int = CAPTION_LIMIT) -> str:
    return "\n".join(render(line, lang) for line in lines)[:limit].strip()


def licence_keyboard(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(text("button_accept", lang),
                                                       callback_data=callback_data("accept"))]])


def result_keyboard(buttons: Iterable[ResultButton], lang: str) -> InlineKeyboardMarkup:
    """One row per action, in core's order. With one picture the buttons say what they do; with several, a short
    label and the picture's number (a row of four full labels would be cut off on a phone)."""
    rows: dict[str, list[ResultButton]] = {}
    for button in buttons:  # the job's own buttons (Reroll, Edit, Info) share the first row
        rows.setdefault("job" if button.idx is None else button.action, []).append(button)
    keyboard = []
    for row in rows.values():
        single = len(row) == 1
        keyboard.append([InlineKeyboardButton(
            text(f"button_{b.action}", lang) if single or b.idx is None
            else text(f"button_{b.action}_short", lang, number=b.idx + 1),
            callback_data=callback_data(b.action, b.job_id, b.idx)) for b in row])
    return InlineKeyboardMarkup(keyboard)


# "Send the new prompt for job X …" in every language: a reply to it names the job it edits. The bot's own words
# are the only thing read from the replied-to message (the handler checks that the bot wrote it).
_EDIT_ASKS = [re.compile("^" + r"(?P<job>[a-z0-9]{1,16})".join(map(re.escape, text("edit_prompt_ask", lang, job_id="\0")
                                                                    .split("\0"))) + "$")
              for lang in LANGUAGES]


def edited_job(asked: str) -> str | None:
    """The job id in the text of an "edit prompt" question the bot sent, or None when it is not one."""
    return next((match["job"] for pattern in _EDIT_ASKS if (match := pattern.match(asked.strip()))), None)


def moderator_keyboard(post: ModeratorPost, lang: str) -> InlineKeyboardMarkup:
    keyboard = moderator_buttons(post.job_id, post.idx, post.actions, lang)
    assert keyboard is not None  # a new post offers every action
    return keyboard


def moderator_buttons(job_id: str, idx: int, actions: Iterable[str], lang: str) -> InlineKeyboardMarkup | None:
    """The buttons a moderators' post offers (after a decision, only those still worth pressing); None: none."""
    row = [InlineKeyboardButton(text(_MOD_ACTIONS[a][1], lang), callback_data=callback_data(_MOD_ACTIONS[a][0],
                                                                                             job_id, idx))
           for a in actions if a in _MOD_ACTIONS]
    return InlineKeyboardMarkup([row]) if row else None


_MEMBER_REFERENCE = re.compile(r"^(@\w{1,64}|<@!?\d{1,20}>|#\d{1,18}|[a-z]{2,16}:\S{1,64})$")


def names_a_member(word: str) -> bool:
    """Whether a command's first word names a member (@username, a mention, #ID, platform:id) rather than being a
    duration: with a reply, "/ban 7d spam" bans the replied-to member, "/ban @ada 7d spam" still bans @ada."""
    return bool(_MEMBER_REFERENCE.match(word))
