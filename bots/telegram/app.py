"""The Telegram bot: a python-telegram-bot Application with verb-named handlers, a typed context (PTB's
contexttypesbot pattern) and one callback handler per kind of button, routed by pattern. Handlers translate between
Telegram and the application facade (:class:`core.app.Muralist`) and render its outcomes through the catalogue in
the member's language; no business rule lives here, and nothing here touches storage."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from telegram import ForceReply, Message, Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    filters,
)

from bots.delivery_loop import DeliveryLoop
from bots.downloads import read_picture
from bots.listings import help_text, models_text, styles_text
from bots.telegram.delivery import MODERATORS_LANGUAGE, TelegramSender
from bots.telegram.deps import Progress, TelegramDeps
from bots.telegram.formatting import PARSE_MODE, as_html
from bots.telegram.menu import publish_command_menu
from bots.telegram.translate import (
    ACCEPT_BUTTON,
    ANSWER_LIMIT,
    CAPTION_LIMIT,
    DELETE_BUTTON,
    EDIT_BUTTON,
    MEMBER_BUTTON,
    MESSAGE_LIMIT,
    MOD_BUTTON,
    PLATFORM,
    command_argument,
    edited_job,
    imagine_params,
    licence_keyboard,
    moderator_buttons,
    names_a_member,
    pressed,
    requester,
)
from core.catalogue import language, render, text
from core.chat_settings import GLOBAL_SCOPE, MOD_CHANNEL, NSFW_ALLOWED
from core.command_syntax import parse_cartoon, parse_report, parse_upscale, parse_variations
from core.domain import Accepted, GenerationParams, Notice, Rejected, Reply, Requester
from core.params import InvalidParams
from core.runtime import Runtime
from core.voice import MAX_BYTES as VOICE_MAX_BYTES
from core.voice import MAX_SECONDS as VOICE_MAX_SECONDS

log = logging.getLogger(__name__)


class _RepliesToEditQuestion(filters.MessageFilter):
    """A reply to one of the bot's "send the new prompt for job X" questions (routes it to edit_from_reply)."""

    def filter(self, message: Message) -> bool:
        asked = message.reply_to_message
        return bool(asked is not None and asked.from_user is not None and asked.from_user.is_bot
                    and edited_job(asked.text or ""))


_REPLIES_TO_EDIT = _RepliesToEditQuestion()


class MuralistContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Handlers reach their dependencies through a typed property instead of a string key."""

    @property
    def deps(self) -> TelegramDeps:
        return self.bot_data["deps"]


# --- translating an update ------------------------------------------------------------------------------------------


def _lang(update: Update) -> str:
    return language(update.effective_user.language_code if update.effective_user else None)


def _who(update: Update) -> Requester:
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    assert user is not None and chat is not None
    return requester(user.id, chat.id, user.full_name, message.message_id if message else None, _lang(update),
                     user.username)


def _replied_member(update: Update, context: MuralistContext) -> Requester | None:
    """The author of the message a moderator's command replies to (how "/ban 7d spam" names its member)."""
    message, chat = update.effective_message, update.effective_chat
    replied = message.reply_to_message if message is not None else None
    user = replied.from_user if replied is not None else None
    if user is None or chat is None or user.is_bot:
        return None
    return requester(user.id, chat.id, user.full_name, replied.message_id if replied else None,
                     language(user.language_code), user.username)


def _member_and_rest(update: Update, context: MuralistContext) -> tuple[Requester | str | None, list[str]]:
    """(the member a moderator's command names, the words after it): a typed @username, mention, #ID or
    platform:id wins; otherwise the author of the replied-to message."""
    args = _argument(update).split()
    if args and names_a_member(args[0]):
        return args[0], args[1:]
    return _replied_member(update, context), args


def _argument(update: Update) -> str:
    return command_argument(update.effective_message.text or "") if update.effective_message else ""


async def _reply(update: Update, sentence: str, *, code: Iterable[str] = (), **kwargs: Any) -> Message | None:
    """Answer in HTML parse mode: the sentence escaped (it may repeat a prompt or a name), ``code`` job ids as
    code."""
    if update.effective_message is None:
        return None
    return await update.effective_message.reply_text(as_html(sentence, MESSAGE_LIMIT, code=code),
                                                     parse_mode=PARSE_MODE, **kwargs)


async def _say(update: Update, reply: Reply) -> None:
    await _reply(update, render(reply, _lang(update)))


async def _submitted(update: Update, context: MuralistContext, outcome: Accepted | Rejected) -> None:
    """Answer a submit; an accepted job's answer is the message its progress is shown in."""
    lang = _lang(update)
    if not isinstance(outcome, Accepted):
        await _reply(update, render(outcome, lang))
        return
    message = await _reply(update, f"{render(outcome, lang)} {text('posted_here', lang)}", code=[outcome.job_id])
    if message is not None:
        context.deps.track(outcome.job_id, Progress(message.chat_id, message.message_id, lang, outcome.ahead))


def _is_moderator(update: Update, context: MuralistContext) -> bool:
    return update.effective_user is not None and update.effective_user.id in context.deps.admin_ids


async def _may_moderate(update: Update, context: MuralistContext) -> bool:
    """The one rule for every moderator's command and button: the bot's moderators anywhere, and the admins of the
    moderators' chat inside that chat (only the bot's moderators choose which chat that is)."""
    if _is_moderator(update, context):
        return True
    chat = update.effective_chat
    if chat is None or chat.type == "private":
        return False
    if not await asyncio.to_thread(context.deps.app.is_moderators_chat, PLATFORM, str(chat.id)):
        return False
    return await _is_group_admin(update, context)


async def _refuse(update: Update, context: MuralistContext, what: str) -> str:
    """Audit a non-moderator's attempt (core logs it with who and what) and say the refusal in their language."""
    refusal = await asyncio.to_thread(context.deps.app.refuse_non_moderator, _who(update), what)
    return render(refusal, _lang(update))


async def _is_group_admin(update: Update, context: MuralistContext) -> bool:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return False
    if user.id in context.deps.admin_ids:
        return True
    if chat.type == "private":
        return False
    member = await context.bot.get_chat_member(chat.id, user.id)
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


# --- commands -------------------------------------------------------------------------------------------------------


async def start(update: Update, context: MuralistContext) -> None:
    await _reply(update, text("welcome", _lang(update)))
    await show_licence(update, context)


async def show_licence(update: Update, context: MuralistContext) -> None:
    licence = await asyncio.to_thread(context.deps.app.licence_text)
    await _reply(update, licence, reply_markup=licence_keyboard(_lang(update)))


async def accept_licence(update: Update, context: MuralistContext) -> None:
    await _say(update, await asyncio.to_thread(context.deps.app.accept_licence, _who(update)))


async def show_help(update: Update, context: MuralistContext) -> None:
    await _reply(update, help_text(_lang(update), "telegram"))


async def show_quota(update: Update, context: MuralistContext) -> None:
    await _say(update, await asyncio.to_thread(context.deps.app.quota, _who(update)))


async def show_history(update: Update, context: MuralistContext) -> None:
    lang = _lang(update)
    jobs = await asyncio.to_thread(context.deps.app.history, _who(update), 10)
    await _reply(update, "\n".join(text("history_line", lang, job_id=j.id, created=f"{j.created_at:%Y-%m-%d %H:%M}",
                                        status=text(f"job_status_{j.status.value}", lang), prompt=j.prompt[:60])
                           for j in jobs)
                 or text("history_empty", lang), code=[j.id for j in jobs])


async def imagine(update: Update, context: MuralistContext) -> None:
    """``/imagine …``; with a bare ``--style-image`` in reply to a picture, that picture gives the style."""
    message = update.effective_message
    assert message is not None
    try:
        params, model = imagine_params(message.text or "")
    except InvalidParams as exc:
        await _say(update, Rejected("params", exc.said()))
        return
    if params.style_image is not None and not context.deps.app.style_available():
        await _say(update, Rejected("style_unconfigured"))  # before any download: it could never be used
        return
    if params.style_image == "" and _has_picture(message.reply_to_message):
        assert message.reply_to_message is not None
        reference = await _uploaded_picture(update, context, message.reply_to_message)
        if reference is None:
            return
        params = replace(params, style_image=reference)
    await _submitted(update, context, await asyncio.to_thread(context.deps.app.imagine, _who(update), params, model))


async def cancel_job(update: Update, context: MuralistContext) -> None:
    job_id = _argument(update).split()
    if not job_id:
        await _reply(update, text("cancel_which", _lang(update)))
        return
    await _say(update, await asyncio.to_thread(context.deps.app.cancel, _who(update), job_id[0]))


async def link(update: Update, context: MuralistContext) -> None:
    code = _argument(update).strip() or None
    await _say(update, await asyncio.to_thread(context.deps.app.link, _who(update), code))


async def set_mod_chat(update: Update, context: MuralistContext) -> None:
    # The moderators' chat is one for the whole bot, so a group's own admins may not choose it: it would send every
    # report and review-band picture to their group.
    if not await _may_moderate(update, context):
        await _reply(update, await _refuse(update, context, "/modchat"))
        return
    chat = update.effective_chat
    assert chat is not None
    await asyncio.to_thread(context.deps.app.set_chat_setting, _who(update), GLOBAL_SCOPE, MOD_CHANNEL, str(chat.id))
    lang = _lang(update)
    await _reply(update, text("mod_channel_set", lang, where=text("this_chat", lang)))


async def set_nsfw(update: Update, context: MuralistContext) -> None:
    lang, value = _lang(update), _argument(update).strip().lower()
    if value not in ("on", "off"):
        await _reply(update, text("nsfw_usage", lang))
        return
    if not await _is_group_admin(update, context):
        await _reply(update, text("group_admins_only", lang))
        return
    chat = update.effective_chat
    assert chat is not None
    await asyncio.to_thread(context.deps.app.set_chat_setting, _who(update), str(chat.id), NSFW_ALLOWED, value)
    await _reply(update, text("nsfw_set", lang, value=value))


async def ban_user(update: Update, context: MuralistContext) -> None:
    """/ban @username 7d spam, /ban telegram:123 7d spam, or /ban 7d spam as a reply to the member's message."""
    if not await _may_moderate(update, context):
        await _reply(update, await _refuse(update, context, "/ban"))
        return
    member, rest = _member_and_rest(update, context)
    if member is None or len(rest) < 2:
        await _reply(update, text("ban_usage", _lang(update)))
        return
    await _say(update, await asyncio.to_thread(context.deps.app.ban, _who(update), member, rest[0], " ".join(rest[1:])))


async def unban_user(update: Update, context: MuralistContext) -> None:
    if not await _may_moderate(update, context):
        await _reply(update, await _refuse(update, context, "/unban"))
        return
    member, _ = _member_and_rest(update, context)
    if member is None:
        await _reply(update, text("unban_usage", _lang(update)))
        return
    await _say(update, await asyncio.to_thread(context.deps.app.unban, _who(update), member))


async def show_member_history(update: Update, context: MuralistContext) -> None:
    """/modhistory @username (or as a reply): a member's moderation history, with names instead of ids."""
    if not await _may_moderate(update, context):
        await _reply(update, await _refuse(update, context, "/modhistory"))
        return
    lang = _lang(update)
    member, _ = _member_and_rest(update, context)
    if member is None:
        await _reply(update, text("modhistory_usage", lang))
        return
    lines = await asyncio.to_thread(context.deps.app.member_history, member, PLATFORM)
    if isinstance(lines, Rejected):
        await _say(update, lines)
        return
    await _reply(update, "\n".join(render(line, lang) for line in lines))


async def mod_command(update: Update, context: MuralistContext) -> None:
    """`/mod web` in a group, by one of its admins: a one-time console link for this group's cases, sent in a private
    message (a reply in the group would show it to everyone)."""
    lang = _lang(update)
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    if chat.type == "private":
        await _reply(update, text("mod_web_usage", lang))
        return
    if _argument(update).strip().lower() != "web":
        return  # a bare /mod in a group may be another moderation bot's command: not ours to answer
    if not await _is_group_admin(update, context):
        await _reply(update, await _refuse(update, context, "/mod web"))
        return
    reply = await asyncio.to_thread(context.deps.app.web_link, _who(update), [f"{PLATFORM}:{chat.id}"])
    if isinstance(reply, Rejected):
        await _say(update, reply)
        return
    try:
        await context.bot.send_message(user.id, render(reply, lang)[:MESSAGE_LIMIT])
    except TelegramError:  # they never opened a private chat with the bot, so it may not write to them
        await _reply(update, text("mod_web_start_private", lang))
        return
    await _reply(update, text("mod_web_sent", lang))
# --- the console's other commands: every front door offers the same ----------------------------------------------


async def show_styles(update: Update, context: MuralistContext) -> None:
    await _reply(update, await asyncio.to_thread(styles_text, context.deps.app, _lang(update)))


async def show_models(update: Update, context: MuralistContext) -> None:
    await _reply(update, await asyncio.to_thread(models_text, context.deps.app, _lang(update)))


async def reroll(update: Update, context: MuralistContext) -> None:
    job_id = _argument(update).split()
    if not job_id:
        await _reply(update, text("which_job", _lang(update), command="reroll"))
        return
    await _submitted(update, context, await asyncio.to_thread(context.deps.app.reroll, _who(update), job_id[0]))


async def variations(update: Update, context: MuralistContext) -> None:
    try:
        picture, strength, count = parse_variations(_argument(update))
    except InvalidParams:
        await _reply(update, text("variations_usage", _lang(update)))
        return
    outcome = await asyncio.to_thread(context.deps.app.variations, _who(update), picture, strength=strength,
                                      count=count)
    await _submitted(update, context, outcome)


async def upscale(update: Update, context: MuralistContext) -> None:
    try:
        picture, factor = parse_upscale(_argument(update))
    except InvalidParams:
        await _reply(update, text("upscale_usage", _lang(update)))
        return
    outcome = await asyncio.to_thread(context.deps.app.upscale, _who(update), picture, factor)
    await _submitted(update, context, outcome)


async def cartoon(update: Update, context: MuralistContext) -> None:
    """``/cartoon JOB[:N] [what it shows]``: the "photo to cartoon" preset on a picture made here. A picture the
    member sends goes through :func:`cartoon_from_picture` (the caption /cartoon)."""
    try:
        picture, prompt = parse_cartoon(_argument(update))
    except InvalidParams:
        await _reply(update, text("cartoon_usage", _lang(update)))
        return
    await _submitted(update, context, await asyncio.to_thread(context.deps.app.cartoon, _who(update), picture, prompt))


async def restore(update: Update, context: MuralistContext) -> None:
    """``/restore JOB[:N]``: the operator's face model over a picture made here (a picture the member sends goes
    through :func:`preset_from_picture`, the caption /restore)."""
    picture = _argument(update).split()
    if not picture:
        await _reply(update, text("restore_usage", _lang(update)))
        return
    await _submitted(update, context, await asyncio.to_thread(context.deps.app.restore, _who(update), picture[0]))


async def report(update: Update, context: MuralistContext) -> None:
    """A typed report reaches the moderators' chat like the Report button's."""
    picture, deps = parse_report(_argument(update)), context.deps
    if picture is None:
        await _reply(update, text("report_usage", _lang(update)))
        return
    who = _who(update)
    reply = await asyncio.to_thread(deps.app.report, who, *picture)
    await _say(update, reply)
    if isinstance(reply, Notice) and deps.delivery is not None:
        context.application.create_task(deps.delivery.post_to_moderators(picture[0], picture[1], "why_report",
                                                                         who.chat_id),
                                        update=update, name=f"report {picture[0]}")


async def appeal(update: Update, context: MuralistContext) -> None:
    target = _argument(update).strip()
    if not target:
        await _reply(update, text("appeal_usage", _lang(update)))
        return
    await _say(update, await asyncio.to_thread(context.deps.app.appeal, _who(update), target))


async def unlink(update: Update, context: MuralistContext) -> None:
    await _say(update, await asyncio.to_thread(context.deps.app.unlink, _who(update)))


async def chat_settings(update: Update, context: MuralistContext) -> None:
    """``/settings`` shows this chat's settings to its admins; ``/settings NAME VALUE`` changes one (``nsfw``,
    ``others_buttons``, the limits ``max_steps``, ``max_count``, ``max_size``, the defaults ``style``, ``steps``,
    ``size``)."""
    lang, args = _lang(update), _argument(update).split()
    if not await _is_group_admin(update, context):
        await _reply(update, text("chat_admins_only", lang))
        return
    if not args:
        await _say(update, await asyncio.to_thread(context.deps.app.chat_settings, _who(update)))
    elif len(args) == 2:
        await _say(update, await asyncio.to_thread(context.deps.app.change_chat_setting, _who(update), *args))
    else:
        await _reply(update, text("settings_usage", lang))


async def preferences(update: Update, context: MuralistContext) -> None:
    """``/prefs`` shows a member's own defaults for /imagine; ``/prefs NAME VALUE`` sets one (a negative prompt's
    value is the rest of the line). Anyone may: each changes only their own."""
    name, _, value = _argument(update).strip().partition(" ")
    if not name:
        await _say(update, await asyncio.to_thread(context.deps.app.preferences, _who(update)))
    elif not value.strip():
        await _reply(update, text("prefs_usage", _lang(update)))
    else:
        await _say(update, await asyncio.to_thread(context.deps.app.change_preference, _who(update), name, value))


# --- pictures a member sends ----------------------------------------------------------------------------------------


async def imagine_from_picture(update: Update, context: MuralistContext) -> None:
    """A photo (or a picture sent as a file) with a caption is image-to-image: the caption is the prompt, with the
    same flags as /imagine. The picture crosses to the server only as an upload id."""
    message, lang = update.effective_message, _lang(update)
    assert message is not None
    caption = (message.caption or "").strip()
    chat = update.effective_chat
    in_group = chat is not None and chat.type != "private"
    if in_group and not caption.startswith("/imagine") and not _addressed(update, context):
        return  # a holiday photo shared in the group is not a request
    album = message.media_group_id
    first_of_album = album is not None and bool(caption) and context.deps.albums.caption_seen(album)
    if not caption:
        if album is None or await context.deps.albums.asks_for_caption(album):
            await _reply(update, text("img2img", lang))
        return
    try:
        params, model = imagine_params(caption)
    except InvalidParams as exc:  # before the download: a typo should not cost a 20 MB transfer
        await _say(update, Rejected("params", exc.said()))
        return
    if params.style_image is not None and not context.deps.app.style_available():
        await _say(update, Rejected("style_unconfigured"))
        return
    upload = await _uploaded_picture(update, context, message)
    if upload is None:
        return
    # A bare --style-image makes the photo the style reference; otherwise it is the picture to start from.
    params = replace(params, style_image=upload) if params.style_image == "" else replace(params, image=upload)
    outcome = await asyncio.to_thread(context.deps.app.imagine, _who(update), params, model)
    await _submitted(update, context, outcome)
    if first_of_album and isinstance(outcome, Accepted):
        await _reply(update, text("album_first_picture", lang))


async def preset_from_picture(update: Update, context: MuralistContext) -> None:
    """A picture captioned ``/cartoon [what it shows]`` (the "photo to cartoon" preset) or ``/restore`` (its faces
    restored): every gate applies, as to a typed command."""
    message = update.effective_message
    assert message is not None
    caption = (message.caption or "").strip()
    if message.media_group_id is not None:  # the album's other photos are passed over (bots.telegram.albums)
        context.deps.albums.caption_seen(message.media_group_id)
    if caption.startswith("/restore") and not context.deps.app.restore_available():
        await _say(update, Rejected("restore_unconfigured"))  # before the download: it could never be used
        return
    upload = await _uploaded_picture(update, context, message)
    if upload is None:
        return
    if caption.startswith("/restore"):
        outcome = await asyncio.to_thread(context.deps.app.restore, _who(update), upload)
    else:
        outcome = await asyncio.to_thread(context.deps.app.cartoon, _who(update), upload, command_argument(caption))
    await _submitted(update, context, outcome)


async def _uploaded_picture(update: Update, context: MuralistContext, message: Message) -> str | None:
    """The upload id of the picture in ``message`` (how a chat picture reaches the worker), or None once the member
    has been told why not (too large, the download failed, not a picture)."""
    data = await _download_picture(update, context, message)
    if data is None:
        return None
    upload = await asyncio.to_thread(context.deps.app.upload, data)
    if isinstance(upload, Rejected):
        await _say(update, upload)
        return None
    return upload


async def _download_picture(update: Update, context: MuralistContext, message: Message) -> bytes | None:
    """The bytes of the picture in ``message`` (its largest photo size, or the file), or None once the member has
    been told why not (too large, or the download failed)."""
    if message.photo:
        largest = max(message.photo, key=lambda p: p.width * p.height)
        file_id, size = largest.file_id, largest.file_size
    else:
        assert message.document is not None
        file_id, size = message.document.file_id, message.document.file_size

    async def url() -> str:  # it holds the bot token: never logged
        return (await context.bot.get_file(file_id)).file_path or ""

    got = await read_picture(url, size, _lang(update), f"telegram file {file_id}", (TelegramError,))
    if isinstance(got, str):
        await _reply(update, got)
        return None
    return got


def _has_picture(message: Message | None) -> bool:
    return message is not None and bool(message.photo or (message.document and (message.document.mime_type or "")
                                                                      .startswith("image/")))


async def verify_picture(update: Update, context: MuralistContext) -> None:
    """/verify as the caption of a picture, or as a reply to a message with one: was it made here?"""
    message = update.effective_message
    assert message is not None
    if message.media_group_id is not None:  # the album's other photos are passed over (bots.telegram.albums)
        context.deps.albums.caption_seen(message.media_group_id)
    target = message if _has_picture(message) else message.reply_to_message
    if target is None or not _has_picture(target):
        await _reply(update, text("verify_which", _lang(update)))
        return
    data = await _download_picture(update, context, target)
    if data is None:
        return
    await _say(update, await asyncio.to_thread(context.deps.app.verify, _who(update), data))


async def imagine_from_voice(update: Update, context: MuralistContext) -> None:
    """A voice note is a spoken /imagine: "I heard: …", then the words go through every gate a typed prompt does.
    In a group only when it answers the bot (a voice chat among members is not a request)."""
    message, lang = update.effective_message, _lang(update)
    assert message is not None
    chat = update.effective_chat
    if chat is not None and chat.type != "private" and not _addressed(update, context):
        return
    voice = message.voice or message.audio
    assert voice is not None
    # Refused on what Telegram states before a byte is fetched; the core bounds what is really decoded again.
    stated = voice.duration  # seconds, or a timedelta when PTB_TIMEDELTA is set
    if (stated.total_seconds() if isinstance(stated, timedelta) else stated or 0) > VOICE_MAX_SECONDS:
        await _reply(update, text("voice_too_long", lang, seconds=VOICE_MAX_SECONDS))
        return
    if (voice.file_size or 0) > VOICE_MAX_BYTES:
        await _reply(update, text("voice_too_large", lang, mb=VOICE_MAX_BYTES // 2**20))
        return
    try:
        data = bytes(await (await context.bot.get_file(voice.file_id)).download_as_bytearray())
    except TelegramError:
        log.warning("telegram download of %s failed", voice.file_id, exc_info=True)
        await _reply(update, text("upload_failed", lang))
        return
    heard = await asyncio.to_thread(context.deps.app.hear, _who(update), data)
    await _say(update, heard)
    if isinstance(heard, Notice):
        params = GenerationParams(str(heard.values["text"]))
        await _submitted(update, context, await asyncio.to_thread(context.deps.app.imagine, _who(update), params))


# --- buttons: one handler per kind, routed by pattern ---------------------------------------------------------------


async def press_accept(update: Update, context: MuralistContext) -> None:
    query = update.callback_query
    assert query is not None
    notice = await asyncio.to_thread(context.deps.app.accept_licence, _who(update))
    await query.answer(render(notice, _lang(update))[:ANSWER_LIMIT])


async def press_result_button(update: Update, context: MuralistContext) -> None:
    """Reroll, Variations, Upscale, Fix faces, Report and Info under a result: core's one dispatcher decides, with
    the presser's tiers and this chat's NSFW setting, charged to the presser."""
    query, deps, lang = update.callback_query, context.deps, _lang(update)
    assert query is not None and context.matches
    action, job_id, idx = pressed(context.matches[0])
    who = _who(update)
    reply = await asyncio.to_thread(deps.app.act_on_result, who, action, job_id, idx)
    if action == "report":
        await query.answer(render(reply, lang)[:ANSWER_LIMIT], show_alert=True)
        if isinstance(reply, Notice) and deps.delivery is not None:
            context.application.create_task(
                deps.delivery.post_to_moderators(job_id, idx or 0, "why_report", who.chat_id), update=update,
                name=f"report {job_id}")
        return
    await query.answer()
    new_job = [reply.job_id] if isinstance(reply, Accepted) else []
    # 📋 Info answers the result it was pressed under, so the chat sees which picture it is about.
    under = query.message.message_id if action == "info" and query.message is not None else None
    sent = await context.bot.send_message(int(who.chat_id or 0), as_html(render(reply, lang), MESSAGE_LIMIT,
                                                                         code=[job_id, *new_job]),
                                          parse_mode=PARSE_MODE, reply_to_message_id=under)
    if isinstance(reply, Accepted):
        deps.track(reply.job_id, Progress(sent.chat_id, sent.message_id, lang, reply.ahead))


async def press_edit_button(update: Update, context: MuralistContext) -> None:
    """🖋 under a result: a question the member answers by replying with the new prompt (a ForceReply opens the
    reply at once). The question names the job, which is how the reply finds it again."""
    query, lang = update.callback_query, _lang(update)
    assert query is not None and context.matches
    _, job_id, _ = pressed(context.matches[0])
    asked = await asyncio.to_thread(context.deps.app.edit_prompt, _who(update), job_id)
    if not isinstance(asked, Notice):
        await query.answer(render(asked, lang)[:ANSWER_LIMIT], show_alert=True)
        return
    await query.answer()
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_message(
        chat.id, as_html(render(asked, lang), MESSAGE_LIMIT, code=[job_id]), parse_mode=PARSE_MODE,
        reply_markup=ForceReply(selective=True, input_field_placeholder=str(asked.values["prompt"])[:64]))


async def edit_from_reply(update: Update, context: MuralistContext) -> None:
    """A reply to the bot's "send the new prompt for job X": a new job with that prompt, charged to whoever
    replied. Only the job id is read from the replied-to message, and only when the bot itself wrote it."""
    message = update.effective_message
    assert message is not None and message.reply_to_message is not None
    asked = message.reply_to_message
    job_id = edited_job(asked.text or "")
    if asked.from_user is None or asked.from_user.id != context.bot.id or job_id is None:
        await refuse_non_text(update, context)
        return
    outcome = await asyncio.to_thread(context.deps.app.edit_and_rerun, _who(update), job_id, message.text or "")
    await _submitted(update, context, outcome)


async def press_delete_button(update: Update, context: MuralistContext) -> None:
    """❌ under a result: its author or a moderator takes that picture down; anyone else reads one sentence."""
    query, deps, lang = update.callback_query, context.deps, _lang(update)
    assert query is not None and context.matches
    _, job_id, idx = pressed(context.matches[0])
    moderator = await _may_moderate(update, context)
    outcome = await asyncio.to_thread(deps.app.delete_picture, _who(update), job_id, idx or 0, moderator=moderator)
    if isinstance(outcome, Rejected):
        await query.answer(render(outcome, lang)[:ANSWER_LIMIT], show_alert=True)
        return
    await query.answer(render(outcome.reply, lang)[:ANSWER_LIMIT])
    if outcome.public is not None and deps.delivery is not None:
        context.application.create_task(deps.delivery.change_public_post(outcome.public), update=update,
                                        name=f"delete {job_id}:{idx}")


async def press_mod_button(update: Update, context: MuralistContext) -> None:
    """Approve, Remove or Ban under a moderators' post: core decides, the post is edited to say who did what and
    when (keeping only the buttons still worth pressing), and the picture's public post changes to match."""
    query, deps, lang = update.callback_query, context.deps, _lang(update)
    assert query is not None and context.matches
    action, job_id, idx = pressed(context.matches[0])
    if not await _may_moderate(update, context):
        await query.answer(await _refuse(update, context, f"button {action} on {job_id}"), show_alert=True)
        return
    who, picture = _who(update), idx or 0
    if action == "ban_7d":
        outcome = await asyncio.to_thread(deps.app.ban_author, who, job_id, picture, "7d")
    else:
        outcome = await asyncio.to_thread(deps.app.decide_picture, who, job_id, picture, action)
    if isinstance(outcome, Rejected):
        await query.answer(render(outcome, lang)[:ANSWER_LIMIT], show_alert=True)
        return
    await query.answer(render(outcome.reply, lang)[:ANSWER_LIMIT], show_alert=True)
    caption = "\n".join(render(line, MODERATORS_LANGUAGE) for line in outcome.caption)[:CAPTION_LIMIT]
    with contextlib.suppress(TelegramError):  # "message is not modified": a second press changed nothing
        await query.edit_message_caption(caption=caption, reply_markup=moderator_buttons(
            job_id, picture, outcome.actions, MODERATORS_LANGUAGE))
    if outcome.public is not None and deps.delivery is not None:
        context.application.create_task(deps.delivery.change_public_post(outcome.public), update=update,
                                        name=f"{action} {job_id}:{picture}")


async def press_stale_button(update: Update, context: MuralistContext) -> None:
    """Buttons from an older version of the bot, or data nobody should have sent."""
    query = update.callback_query
    assert query is not None
    await query.answer(text("gone", _lang(update)), show_alert=True)


# --- everything else ------------------------------------------------------------------------------------------------


def _addressed(update: Update, context: MuralistContext) -> bool:
    """In a group the bot speaks only when spoken to: a private chat, a reply to one of its messages, or a command
    that names it (``/cmd@its_name``). Chatter and other bots' commands get no answer."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None or chat.type == "private":
        return True
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == context.bot.id:
        return True
    command = (message.text or "").split(maxsplit=1)[0] if (message.text or "").startswith("/") else ""
    return command.lower().endswith("@" + (context.bot.username or "").lower()) and bool(context.bot.username)


async def refuse_non_text(update: Update, context: MuralistContext) -> None:
    if _addressed(update, context):
        await _reply(update, text("not_text", _lang(update)))


async def refuse_unknown_command(update: Update, context: MuralistContext) -> None:
    if _addressed(update, context):
        await _reply(update, text("unknown", _lang(update)))


async def report_error(update: object, context: MuralistContext) -> None:
    """Nothing a member sends may crash the bot: log it and say one sentence."""
    log.error("telegram handler failed", exc_info=context.error)
    if isinstance(update, Update):
        await _reply(update, text("internal_error", _lang(update)))


COMMANDS = {"start": start, "license": show_licence, "licence": show_licence, "accept": accept_licence,
            "help": show_help, "quota": show_quota, "history": show_history, "imagine": imagine, "link": link,
            "cancel": cancel_job, "modchat": set_mod_chat, "nsfw": set_nsfw, "ban": ban_user, "unban": unban_user,
            "mod": mod_command, "verify": verify_picture,
            "styles": show_styles, "models": show_models, "reroll": reroll, "variations": variations,
            "upscale": upscale, "report": report, "appeal": appeal, "unlink": unlink, "settings": chat_settings,
            "prefs": preferences,
            "modhistory": show_member_history, "cartoon": cartoon, "restore": restore}


def build_application(runtime: Runtime, *, token: str, base_url: str, admin_ids: frozenset[int],
                      base_file_url: str = "https://api.telegram.org/file/bot", deliver: bool = True,
                      rate_limit: bool = True,
                      sweep_interval: float = 5.0) -> Application[Any, Any, Any, Any, Any, Any]:
    """``deliver=False`` runs the handlers without the delivery loop (a second front door, or a test of restarts);
    reports and take-downs still reach Telegram."""
    deps = TelegramDeps(runtime.app, admin_ids, f"telegram:{os.getpid()}:{uuid.uuid4().hex[:8]}")

    async def post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await publish_command_menu(app.bot)
        if deliver and deps.delivery is not None:
            deps.delivery.start()

    async def post_shutdown(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        if deps.delivery is not None:
            await deps.delivery.stop()

    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder().token(token).base_url(base_url).base_file_url(base_file_url)
        .context_types(ContextTypes(context=MuralistContext))
        # One member's 20 MB download or a slow database call must not hold up every other chat; no handler
        # relies on updates arriving in order (no ConversationHandler).
        .concurrent_updates(True)
        .post_init(post_init).post_shutdown(post_shutdown))
    if rate_limit:  # Telegram allows about 30 messages/s overall and 1/s per chat
        # A 429 is waited out (its retry_after honoured) and the call retried, instead of failing the send.
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    app = builder.build()
    deps.delivery = DeliveryLoop(runtime.app, runtime.bus, PLATFORM, deps.instance, TelegramSender(deps, app.bot),
                                 sweep_interval)
    app.bot_data["deps"] = deps
    # An edited message is not a new request: editing /imagine must not make (and charge) a second job.
    fresh = ~filters.UpdateType.EDITED
    for name, handler in COMMANDS.items():
        app.add_handler(CommandHandler(name, handler, filters=fresh))
    app.add_handler(CallbackQueryHandler(press_accept, pattern=ACCEPT_BUTTON))
    app.add_handler(CallbackQueryHandler(press_result_button, pattern=MEMBER_BUTTON))
    app.add_handler(CallbackQueryHandler(press_edit_button, pattern=EDIT_BUTTON))
    app.add_handler(CallbackQueryHandler(press_delete_button, pattern=DELETE_BUTTON))
    app.add_handler(CallbackQueryHandler(press_mod_button, pattern=MOD_BUTTON))
    app.add_handler(CallbackQueryHandler(press_stale_button))
    pictures = filters.PHOTO | filters.Document.IMAGE
    app.add_handler(MessageHandler(fresh & pictures & filters.CaptionRegex(r"^/verify(@\w+)?(\s|$)"), verify_picture))
    app.add_handler(MessageHandler(fresh & pictures & filters.CaptionRegex(r"^/(cartoon|restore)(@\w+)?(\s|$)"),
                                   preset_from_picture))
    app.add_handler(MessageHandler(fresh & pictures, imagine_from_picture))
    app.add_handler(MessageHandler(fresh & (filters.VOICE | filters.AUDIO), imagine_from_voice))
    app.add_handler(MessageHandler(fresh & filters.REPLY & filters.TEXT & ~filters.COMMAND & _REPLIES_TO_EDIT,
                                   edit_from_reply))
    app.add_handler(MessageHandler(fresh & filters.COMMAND, refuse_unknown_command))
    app.add_handler(MessageHandler(fresh & ~filters.COMMAND & ~filters.StatusUpdate.ALL, refuse_non_text))
    app.add_error_handler(report_error)
    return app
