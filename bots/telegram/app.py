"""The Telegram bot: a python-telegram-bot Application with verb-named handlers, a typed context (PTB's
contexttypesbot pattern) and one callback handler per kind of button, routed by pattern. Handlers translate between
Telegram and the application facade (:class:`core.app.Muralist`) and render its outcomes through the catalogue in
the member's language; no business rule lives here, and nothing here touches storage."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from dataclasses import replace
from typing import Any

from telegram import Message, Update
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
from bots.telegram.delivery import TelegramSender
from bots.telegram.deps import Progress, TelegramDeps
from bots.telegram.translate import (
    ACCEPT_BUTTON,
    ANSWER_LIMIT,
    MEMBER_BUTTON,
    MESSAGE_LIMIT,
    MOD_BUTTON,
    PLATFORM,
    command_argument,
    imagine_params,
    licence_keyboard,
    pressed,
    requester,
)
from core.catalogue import language, render, text
from core.chat_settings import GLOBAL_SCOPE, MOD_CHANNEL, NSFW_ALLOWED
from core.domain import Accepted, Notice, Rejected, Reply, Requester
from core.params import InvalidParams
from core.runtime import Runtime

log = logging.getLogger(__name__)
MAX_DOWNLOAD_MB = 20  # the Bot API's getFile limit


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
    return requester(user.id, chat.id, user.full_name, message.message_id if message else None, _lang(update))


def _argument(update: Update) -> str:
    return command_argument(update.effective_message.text or "") if update.effective_message else ""


async def _reply(update: Update, sentence: str, **kwargs: Any) -> Message | None:
    if update.effective_message is None:
        return None
    return await update.effective_message.reply_text(sentence[:MESSAGE_LIMIT], **kwargs)


async def _say(update: Update, reply: Reply) -> None:
    await _reply(update, render(reply, _lang(update)))


async def _submitted(update: Update, context: MuralistContext, outcome: Accepted | Rejected) -> None:
    """Answer a submit; an accepted job's answer is the message its progress is shown in."""
    lang = _lang(update)
    if not isinstance(outcome, Accepted):
        await _reply(update, render(outcome, lang))
        return
    message = await _reply(update, f"{render(outcome, lang)} {text('posted_here', lang)}")
    if message is not None:
        context.deps.track(outcome.job_id, Progress(message.chat_id, message.message_id, lang, outcome.ahead))


def _is_moderator(update: Update, context: MuralistContext) -> bool:
    return update.effective_user is not None and update.effective_user.id in context.deps.admin_ids


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
    await _reply(update, text("help", _lang(update)))


async def show_quota(update: Update, context: MuralistContext) -> None:
    await _say(update, await asyncio.to_thread(context.deps.app.quota, _who(update)))


async def show_history(update: Update, context: MuralistContext) -> None:
    lang = _lang(update)
    jobs = await asyncio.to_thread(context.deps.app.history, _who(update), 10)
    await _reply(update, "\n".join(text("history_line", lang, job_id=j.id, created=f"{j.created_at:%Y-%m-%d %H:%M}",
                                        status=j.status.value, prompt=j.prompt[:60]) for j in jobs)
                 or text("history_empty", lang))


async def imagine(update: Update, context: MuralistContext) -> None:
    assert update.effective_message is not None
    try:
        params, model = imagine_params(update.effective_message.text or "")
    except InvalidParams as exc:
        await _say(update, Rejected("params", {"detail": str(exc)}))
        return
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
    if not _is_moderator(update, context):
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
    if not _is_moderator(update, context):
        await _reply(update, await _refuse(update, context, "/ban"))
        return
    args = _argument(update).split()
    if len(args) < 3:
        await _reply(update, text("ban_usage", _lang(update)))
        return
    await _say(update, await asyncio.to_thread(context.deps.app.ban, _who(update), args[0], args[1],
                                               " ".join(args[2:])))


async def unban_user(update: Update, context: MuralistContext) -> None:
    if not _is_moderator(update, context):
        await _reply(update, await _refuse(update, context, "/unban"))
        return
    args = _argument(update).split()
    if not args:
        await _reply(update, text("unban_usage", _lang(update)))
        return
    await _say(update, await asyncio.to_thread(context.deps.app.unban, _who(update), args[0]))


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
    if not caption:
        await _reply(update, text("img2img", lang))
        return
    try:
        params, model = imagine_params(caption)
    except InvalidParams as exc:  # before the download: a typo should not cost a 20 MB transfer
        await _say(update, Rejected("params", {"detail": str(exc)}))
        return
    if message.photo:
        largest = max(message.photo, key=lambda p: p.width * p.height)
        file_id, size = largest.file_id, largest.file_size
    else:
        assert message.document is not None
        file_id, size = message.document.file_id, message.document.file_size
    if (size or 0) > MAX_DOWNLOAD_MB * 1024 * 1024:
        await _reply(update, text("upload_too_large", lang, mb=MAX_DOWNLOAD_MB))
        return
    try:
        data = bytes(await (await context.bot.get_file(file_id)).download_as_bytearray())
    except TelegramError:
        log.warning("telegram download of %s failed", file_id, exc_info=True)
        await _reply(update, text("upload_failed", lang))
        return
    upload = await asyncio.to_thread(context.deps.app.upload, data)
    if isinstance(upload, Rejected):
        await _say(update, upload)
        return
    params = replace(params, image=upload)
    await _submitted(update, context, await asyncio.to_thread(context.deps.app.imagine, _who(update), params, model))


# --- buttons: one handler per kind, routed by pattern ---------------------------------------------------------------


async def press_accept(update: Update, context: MuralistContext) -> None:
    query = update.callback_query
    assert query is not None
    notice = await asyncio.to_thread(context.deps.app.accept_licence, _who(update))
    await query.answer(render(notice, _lang(update))[:ANSWER_LIMIT])


async def press_result_button(update: Update, context: MuralistContext) -> None:
    """Reroll, Variations, Upscale and Report under a result: core's one dispatcher decides, with the presser's
    tiers and this chat's NSFW setting, charged to the presser."""
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
    sent = await context.bot.send_message(int(who.chat_id or 0), render(reply, lang)[:MESSAGE_LIMIT])
    if isinstance(reply, Accepted):
        deps.track(reply.job_id, Progress(sent.chat_id, sent.message_id, lang, reply.ahead))


async def press_mod_button(update: Update, context: MuralistContext) -> None:
    query, deps, lang = update.callback_query, context.deps, _lang(update)
    assert query is not None and context.matches
    action, job_id, idx = pressed(context.matches[0])
    if not _is_moderator(update, context):
        await query.answer(await _refuse(update, context, f"button {action} on {job_id}"), show_alert=True)
        return
    who, picture = _who(update), idx or 0
    if action == "ban_7d":
        reply = await asyncio.to_thread(deps.app.ban_author, who, job_id, picture, "7d",
                                        "banned from the moderators' chat")
    else:
        reply = await asyncio.to_thread(deps.app.decide_picture, who, job_id, picture, action)
        if action == "remove" and isinstance(reply, Notice) and deps.delivery is not None:
            context.application.create_task(deps.delivery.take_down(job_id), update=update,
                                            name=f"take down {job_id}")
    await query.answer(render(reply, lang)[:ANSWER_LIMIT], show_alert=True)


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
            "cancel": cancel_job, "modchat": set_mod_chat, "nsfw": set_nsfw, "ban": ban_user, "unban": unban_user}


def build_application(runtime: Runtime, *, token: str, base_url: str, admin_ids: frozenset[int],
                      base_file_url: str = "https://api.telegram.org/file/bot", deliver: bool = True,
                      rate_limit: bool = True,
                      sweep_interval: float = 5.0) -> Application[Any, Any, Any, Any, Any, Any]:
    """``deliver=False`` runs the handlers without the delivery loop (a second front door, or a test of restarts);
    reports and take-downs still reach Telegram."""
    deps = TelegramDeps(runtime.app, admin_ids, f"telegram:{os.getpid()}:{uuid.uuid4().hex[:8]}")

    async def post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
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
    app.add_handler(CallbackQueryHandler(press_mod_button, pattern=MOD_BUTTON))
    app.add_handler(CallbackQueryHandler(press_stale_button))
    app.add_handler(MessageHandler(fresh & (filters.PHOTO | filters.Document.IMAGE), imagine_from_picture))
    app.add_handler(MessageHandler(fresh & filters.COMMAND, refuse_unknown_command))
    app.add_handler(MessageHandler(fresh & ~filters.COMMAND & ~filters.StatusUpdate.ALL, refuse_non_text))
    app.add_error_handler(report_error)
    return app
