"""The Telegram bot: a python-telegram-bot Application with verb-named handlers and a typed context (PTB's
contexttypesbot pattern). Handlers translate between Telegram and ``core``; no business rule lives here."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass, replace
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus
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

from bots.telegram.delivery import GLOBAL, TelegramDelivery
from bots.telegram.translate import (
    PLATFORM,
    callback_data,
    imagine_request,
    language,
    outcome_text,
    parse_callback,
    requester,
    t,
)
from core.chat_settings import MOD_CHANNEL, NSFW_ALLOWED, ChatSettings
from core.domain import Accepted
from core.moderation import ModerationService
from core.params import InvalidParams
from core.runtime import Runtime
from safety.image_input import BadImage
from safety.moderation import ModerationError

log = logging.getLogger(__name__)


@dataclass
class Services:
    runtime: Runtime
    moderation: ModerationService
    chat_settings: ChatSettings
    admin_ids: frozenset[int]
    instance_name: str
    delivery: TelegramDelivery | None = None


class MuralistContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Handlers reach the services through a typed property instead of a string key."""

    @property
    def services(self) -> Services:
        return self.bot_data["services"]  # type: ignore[no-any-return]


def _who(update: Update) -> Any:
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    assert user is not None and chat is not None
    return requester(user.id, chat.id, user.full_name, message.message_id if message else None)


def _lang(update: Update) -> str:
    return language(update.effective_user.language_code if update.effective_user else None)


async def _reply(update: Update, text: str, **kwargs: Any) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text(text[:4000], **kwargs)


def _licence_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Accept / 接受", callback_data=callback_data("accept"))]])


async def start(update: Update, context: MuralistContext) -> None:
    await _reply(update, t(_lang(update), "welcome"))
    await show_licence(update, context)


async def show_licence(update: Update, context: MuralistContext) -> None:
    await _reply(update, context.services.runtime.service.licence_text(), reply_markup=_licence_keyboard())


async def accept_licence(update: Update, context: MuralistContext) -> None:
    await _reply(update, await asyncio.to_thread(context.services.runtime.service.accept_licence, _who(update)))


async def show_help(update: Update, context: MuralistContext) -> None:
    await _reply(update, t(_lang(update), "help"))


async def show_quota(update: Update, context: MuralistContext) -> None:
    await _reply(update, await asyncio.to_thread(context.services.runtime.service.describe_quota, _who(update)))


async def show_history(update: Update, context: MuralistContext) -> None:
    jobs = await asyncio.to_thread(context.services.runtime.service.history, _who(update), 10)
    await _reply(update, "\n".join(f"{j.id} {j.created_at:%Y-%m-%d %H:%M} {j.status.value} — {j.prompt[:60]}"
                                   for j in jobs) or "No jobs yet: try /imagine a lighthouse at dusk.")


async def _nsfw_allowed(update: Update, services: Services) -> bool:
    chat = update.effective_chat
    return chat is not None and await asyncio.to_thread(
        services.chat_settings.get, PLATFORM, str(chat.id), NSFW_ALLOWED) == "on"


async def imagine(update: Update, context: MuralistContext) -> None:
    services, lang = context.services, _lang(update)
    nsfw = await _nsfw_allowed(update, services)
    try:
        request = imagine_request(_who(update), update.effective_message.text or "",  # type: ignore[union-attr]
                                  nsfw_allowed=nsfw)
    except InvalidParams as exc:
        await _reply(update, str(exc))
        return
    outcome = await asyncio.to_thread(services.runtime.service.submit, request)
    message = await update.effective_message.reply_text(outcome_text(outcome, lang))  # type: ignore[union-attr]
    if isinstance(outcome, Accepted) and services.delivery is not None:
        services.delivery.progress_messages[outcome.job_id] = (message.chat_id, message.message_id)


async def cancel_job(update: Update, context: MuralistContext) -> None:
    job_id = (update.effective_message.text or "").partition(" ")[2].strip()  # type: ignore[union-attr]
    if not job_id:
        await _reply(update, "Say which job: /cancel JOB.")
        return
    await _reply(update, await asyncio.to_thread(context.services.runtime.service.cancel, job_id.split()[0],
                                                 _who(update)))


async def link(update: Update, context: MuralistContext) -> None:
    code = (update.effective_message.text or "").partition(" ")[2].strip()  # type: ignore[union-attr]
    mod = context.services.moderation
    try:
        text = await asyncio.to_thread(mod.redeem_link if code else mod.link_code,  # type: ignore[operator]
                                       *((_who(update), code) if code else (_who(update),)))
    except ModerationError as exc:
        text = str(exc)
    await _reply(update, text)


async def _is_group_admin(update: Update, context: MuralistContext) -> bool:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return False
    if user.id in context.services.admin_ids:
        return True
    if chat.type == "private":
        return False
    member = await context.bot.get_chat_member(chat.id, user.id)
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def set_mod_chat(update: Update, context: MuralistContext) -> None:
    if not await _is_group_admin(update, context):
        await _reply(update, t(_lang(update), "group_admins_only"))
        return
    chat = update.effective_chat
    assert chat is not None
    await asyncio.to_thread(context.services.chat_settings.set, PLATFORM, GLOBAL, MOD_CHANNEL, str(chat.id),
                            f"telegram:{update.effective_user.id}")  # type: ignore[union-attr]
    await _reply(update, "Pictures for review and reports will be posted in this chat.")


async def set_nsfw(update: Update, context: MuralistContext) -> None:
    value = (update.effective_message.text or "").partition(" ")[2].strip().lower()  # type: ignore[union-attr]
    if value not in ("on", "off"):
        await _reply(update, "Use /nsfw on or /nsfw off.")
        return
    if not await _is_group_admin(update, context):
        await _reply(update, t(_lang(update), "group_admins_only"))
        return
    await asyncio.to_thread(context.services.chat_settings.set, PLATFORM, str(update.effective_chat.id),  # type: ignore[union-attr]
                            NSFW_ALLOWED, value, f"telegram:{update.effective_user.id}")  # type: ignore[union-attr]
    await _reply(update, f"Adult content (never involving minors or real people) is now {value} in this chat.")


async def _deny(update: Update, context: MuralistContext, what: str) -> bool:
    user = update.effective_user
    if user is not None and user.id in context.services.admin_ids:
        return False
    log.warning("non-moderator telegram:%s tried %s", getattr(user, "id", None), what)
    await asyncio.to_thread(context.services.moderation.repo.add_event, "denied", f"telegram:{getattr(user, 'id', 0)}",
                            now=context.services.runtime.service.clock.now(), reason=f"not a moderator: {what}")
    return True


async def ban_user(update: Update, context: MuralistContext) -> None:
    await _moderate(update, context, "ban")


async def unban_user(update: Update, context: MuralistContext) -> None:
    await _moderate(update, context, "unban")


async def _moderate(update: Update, context: MuralistContext, verb: str) -> None:
    if await _deny(update, context, f"/{verb}"):
        await _reply(update, t(_lang(update), "moderators_only"))
        return
    args = (update.effective_message.text or "").split()[1:]  # type: ignore[union-attr]
    mod = context.services.moderation
    try:
        if verb == "ban":
            if len(args) < 3:
                raise ModerationError("Use /ban USER DURATION REASON, e.g. /ban telegram:123 7d spam.")
            target = await asyncio.to_thread(mod.resolve_user, args[0])
            text = await asyncio.to_thread(mod.ban, target, f"telegram:{update.effective_user.id}", args[1],  # type: ignore[union-attr]
                                           " ".join(args[2:]))
        else:
            if not args:
                raise ModerationError("Use /unban USER, e.g. /unban telegram:123.")
            target = await asyncio.to_thread(mod.resolve_user, args[0])
            text = await asyncio.to_thread(mod.unban, target, f"telegram:{update.effective_user.id}")  # type: ignore[union-attr]
    except ModerationError as exc:
        text = str(exc)
    await _reply(update, text)


async def press_button(update: Update, context: MuralistContext) -> None:
    query = update.callback_query
    assert query is not None
    pressed = parse_callback(query.data)
    services, lang = context.services, _lang(update)
    if pressed is None:
        await query.answer(t(lang, "gone"), show_alert=True)
        return
    who = _who(update)
    try:
        if pressed.action == "accept":
            await query.answer(await asyncio.to_thread(services.runtime.service.accept_licence, who))
        elif pressed.action in ("reroll", "variations", "upscale"):
            service, picture = services.runtime.service, f"{pressed.job_id}:{(pressed.idx or 0) + 1}"
            if pressed.action == "reroll":
                outcome = await asyncio.to_thread(service.reroll, pressed.job_id or "", who)
            elif pressed.action == "variations":
                outcome = await asyncio.to_thread(service.variations, picture, who)
            else:
                outcome = await asyncio.to_thread(service.upscale, picture, 2, who)
            await query.answer()
            await context.bot.send_message(who.chat_id, outcome_text(outcome, lang))
        elif pressed.action == "report":
            reporter = await asyncio.to_thread(services.runtime.repo.ensure_user, who)
            text = await asyncio.to_thread(services.moderation.report, reporter, pressed.job_id or "",
                                           pressed.idx or 0, "")
            await query.answer(text, show_alert=True)
            if services.delivery is not None:
                await services.delivery.post_to_moderators(pressed.job_id or "", pressed.idx or 0, "report")
        elif pressed.action.startswith("mod_"):
            await _press_mod_button(update, context, pressed.action, pressed.job_id or "", pressed.idx or 0)
        else:
            await query.answer(t(lang, "gone"), show_alert=True)
    except ModerationError as exc:
        await query.answer(str(exc), show_alert=True)


async def _press_mod_button(update: Update, context: MuralistContext, action: str, job_id: str, idx: int) -> None:
    query, services = update.callback_query, context.services
    assert query is not None
    if await _deny(update, context, f"button {action} on {job_id}"):
        await query.answer(t(_lang(update), "moderators_only"), show_alert=True)
        return
    me = await asyncio.to_thread(services.runtime.repo.ensure_user, _who(update))
    actor = f"telegram:{update.effective_user.id}"  # type: ignore[union-attr]
    if action == "mod_ban_7d":
        image = await asyncio.to_thread(services.moderation.repo.image, job_id, idx)
        if image is None:
            raise ModerationError(t(_lang(update), "gone"))
        text = await asyncio.to_thread(services.moderation.ban, image.user_id, actor, "7d",
                                       "banned from the moderators' chat", me)
    else:
        decision = action.removeprefix("mod_")
        text = await asyncio.to_thread(services.moderation.decide, f"img:{job_id}:{idx + 1}", decision, actor, me)
        if decision == "remove" and services.delivery is not None:
            await services.delivery.delete_public_messages(job_id)
    await query.answer(text, show_alert=True)


async def imagine_from_photo(update: Update, context: MuralistContext) -> None:
    """A photo with a caption is image-to-image: the caption is the prompt (with the same flags as /imagine)."""
    message, services, lang = update.effective_message, context.services, _lang(update)
    assert message is not None
    caption = (message.caption or "").strip()
    if not caption:
        await _reply(update, t(lang, "img2img"))
        return
    largest = max(message.photo, key=lambda p: p.width * p.height)
    if (largest.file_size or 0) > 20 * 1024 * 1024:
        await _reply(update, "The picture is larger than 20 MB.")
        return
    data = bytes(await (await context.bot.get_file(largest.file_id)).download_as_bytearray())
    try:
        stored = await asyncio.to_thread(services.runtime.service.store_upload, data)
    except BadImage as exc:
        await _reply(update, str(exc))
        return
    text = caption if caption.startswith("/imagine") else f"/imagine {caption}"
    try:
        request = imagine_request(_who(update), text, nsfw_allowed=await _nsfw_allowed(update, services))
    except InvalidParams as exc:
        await _reply(update, str(exc))
        return
    request = replace(request, params=replace(request.params, image=stored))
    outcome = await asyncio.to_thread(services.runtime.service.submit, request)
    await _reply(update, outcome_text(outcome, lang))


async def refuse_non_text(update: Update, context: MuralistContext) -> None:
    await _reply(update, t(_lang(update), "not_text"))


async def refuse_unknown_command(update: Update, context: MuralistContext) -> None:
    await _reply(update, t(_lang(update), "unknown"))


async def report_error(update: object, context: MuralistContext) -> None:
    """Nothing a member sends may crash the bot: log it and say one sentence."""
    log.error("telegram handler failed", exc_info=context.error)
    if isinstance(update, Update):
        await _reply(update, "Something went wrong on our side and was logged; please try again.")


def build_application(runtime: Runtime, *, token: str, base_url: str, admin_ids: frozenset[int],
                      base_file_url: str = "https://api.telegram.org/file/bot",
                      deliver: bool = True, rate_limit: bool = True) -> Application[Any, Any, Any, Any, Any, Any]:
    assert runtime.moderation is not None
    services = Services(runtime, runtime.moderation, ChatSettings(runtime.repo.sessions), admin_ids,
                        f"telegram:{os.getpid()}:{id(runtime)}")

    async def post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        if deliver:
            services.delivery = TelegramDelivery(services, app.bot)
            services.delivery.start()

    async def post_shutdown(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        if services.delivery is not None:
            await services.delivery.stop()

    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder().token(token).base_url(base_url).base_file_url(base_file_url).context_types(ContextTypes(context=MuralistContext))
        .post_init(post_init).post_shutdown(post_shutdown))
    if rate_limit:  # Telegram allows about 30 messages/s overall and 1/s per chat
        builder = builder.rate_limiter(AIORateLimiter())
    app = builder.build()
    app.bot_data["services"] = services
    if not deliver:
        services.delivery = None
    commands = {"start": start, "license": show_licence, "licence": show_licence, "accept": accept_licence,
                "help": show_help, "quota": show_quota, "history": show_history, "imagine": imagine, "link": link,
                "cancel": cancel_job,
                "modchat": set_mod_chat, "nsfw": set_nsfw, "ban": ban_user, "unban": unban_user}
    for name, handler in commands.items():
        app.add_handler(CommandHandler(name, handler))
    app.add_handler(CallbackQueryHandler(press_button))
    app.add_handler(MessageHandler(filters.PHOTO, imagine_from_photo))
    app.add_handler(MessageHandler(filters.COMMAND, refuse_unknown_command))
    app.add_handler(MessageHandler(~filters.COMMAND & ~filters.StatusUpdate.ALL, refuse_non_text))
    app.add_error_handler(report_error)
    return app
