"""How Telegram sends what core's delivery template rendered: one photo with its keyboard, or a media group and
then the keyboard in a message of its own (a media group cannot carry buttons). Review-band pictures go out with
has_spoiler; blocked ones never reach this module. Claiming, marking and the sweep live in
:mod:`bots.delivery_loop`.

Results are written in the requester's language (core keeps it with the job; a Telegram chat has no language of its
own). Moderator posts are in English: Telegram tells nothing about the moderators' chat's language. Progress edits
know the member's language from their /imagine.

Progress: the "accepted" answer is edited with the job's place in the queue; with the first preview picture it is
replaced by a photo message (a text message cannot be given a picture), whose picture and caption are then edited
(editMessageMedia); once the result is posted, the progress message is deleted. The pace is bots.progress_board's.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

from telegram import InputMediaPhoto
from telegram.error import TelegramError

from bots.progress_board import ProgressMessage, ProgressView
from bots.telegram.deps import TelegramDeps
from bots.telegram.formatting import PARSE_MODE, as_html
from bots.telegram.translate import CAPTION_LIMIT, MESSAGE_LIMIT, lines_text, moderator_keyboard, result_keyboard
from core.catalogue import render, text
from core.delivery import ModeratorPost, PublicChange, ResultMessage

log = logging.getLogger(__name__)
MODERATORS_LANGUAGE = "en"  # Telegram gives a chat no language; moderators read English


class TelegramSender:
    """The :class:`bots.delivery_loop.Sender` for Telegram."""

    def __init__(self, deps: TelegramDeps, bot: Any) -> None:
        self.deps = deps
        self.bot = bot

    async def send_result(self, message: ResultMessage) -> list[str]:
        job, lang = message.job, message.language
        chat_id = int(message.chat_id or 0)
        # The caption repeats the member's prompt: HTML-escaped, with the job id as code (a tap copies it).
        caption = as_html(lines_text(message.lines, lang), CAPTION_LIMIT, code=[job.id])
        keyboard = result_keyboard(message.buttons, lang) if message.buttons else None
        pictures = message.pictures
        sent = []
        if len(pictures) == 1:
            picture = pictures[0]
            photo = await self.bot.send_photo(chat_id, Path(picture.path).read_bytes(), caption=caption,
                                              parse_mode=PARSE_MODE, has_spoiler=picture.spoiler,
                                              filename=picture.filename, reply_markup=keyboard)
            sent.append(photo.message_id)
        elif pictures:
            media = [InputMediaPhoto(Path(p.path).read_bytes(), has_spoiler=p.spoiler,
                                     caption=caption if i == 0 else None, parse_mode=PARSE_MODE if i == 0 else None,
                                     filename=p.filename)
                     for i, p in enumerate(pictures)]
            sent += [m.message_id for m in await self.bot.send_media_group(chat_id, media)]
            if keyboard is not None:
                buttons = await self.bot.send_message(
                    chat_id, as_html(text("result_actions", lang, job_id=job.id), MESSAGE_LIMIT, code=[job.id]),
                    parse_mode=PARSE_MODE, reply_markup=keyboard)
                sent.append(buttons.message_id)
        else:  # failed, cancelled, or every picture blocked: the caption says which
            sent.append((await self.bot.send_message(chat_id, caption, parse_mode=PARSE_MODE)).message_id)
        return [str(m) for m in sent]

    async def send_moderator_post(self, post: ModeratorPost) -> None:
        lang = MODERATORS_LANGUAGE
        # Always behind a spoiler: whatever reaches the moderators was reported or is in the review band.
        await self.bot.send_photo(int(post.channel_id), Path(post.path).read_bytes(),
                                  caption=as_html(render(post.caption, lang), CAPTION_LIMIT, code=[post.job_id]),
                                  parse_mode=PARSE_MODE, has_spoiler=True, reply_markup=moderator_keyboard(post, lang))

    async def change_public_post(self, change: PublicChange) -> None:
        """Each picture of a result is its own message (a photo, or one item of a media group): a removal deletes
        only that message, an approval swaps the photo for the same one without spoiler."""
        chat_id, lang = int(change.chat_id), change.language
        if change.position >= len(change.message_ids):
            return
        message_id = int(change.message_ids[change.position])
        keyboard = result_keyboard(change.buttons, lang) if change.buttons else None
        buttons_message = int(change.message_ids[change.posted]) if len(change.message_ids) > change.posted else None
        # A media group's caption rides on its first picture; it stays on the first picture still shown.
        first = change.still_shown[0] if change.still_shown else None
        if change.kind == "remove":
            with contextlib.suppress(TelegramError):  # already deleted by a member or an admin
                await self.bot.delete_message(chat_id, message_id)
            if first is not None and change.position < first and first < len(change.message_ids):
                with contextlib.suppress(TelegramError):
                    await self.bot.edit_message_caption(chat_id, int(change.message_ids[first]),
                                                        caption=lines_text(change.caption, lang))
            if buttons_message is not None and change.posted > 1:  # no Upscale/Report for a picture that is gone
                with contextlib.suppress(TelegramError):
                    await self.bot.edit_message_reply_markup(chat_id, buttons_message, reply_markup=keyboard)
            return
        picture = change.picture
        caption = lines_text(change.caption, lang) if change.position == first else None
        await self.bot.edit_message_media(
            InputMediaPhoto(Path(picture.path).read_bytes(), caption=caption, has_spoiler=False,
                            filename=picture.filename),
            chat_id=chat_id, message_id=message_id, reply_markup=keyboard if change.posted == 1 else None)

    async def delete_messages(self, chat_id: str, message_ids: list[str]) -> None:
        for message_id in message_ids:
            with contextlib.suppress(TelegramError):  # already deleted by a member or an admin: nothing to do
                await self.bot.delete_message(int(chat_id), int(message_id))

    async def show_progress(self, view: ProgressView, message: ProgressMessage,
                            new_picture: bool) -> ProgressMessage:
        chat_id, line = int(message.chat_id), as_html(view.line(), CAPTION_LIMIT, code=[view.job_id])
        if message.message_id is None or (view.preview is not None and not message.has_picture):
            if view.preview is None:
                sent = await self.bot.send_message(chat_id, line, parse_mode=PARSE_MODE)
                return ProgressMessage(message.chat_id, str(sent.message_id))
            sent = await self.bot.send_photo(chat_id, view.preview, caption=line, parse_mode=PARSE_MODE,
                                             filename=f"preview-{view.job_id}.jpg")
            if message.message_id is not None:  # the text it replaces
                with contextlib.suppress(TelegramError):
                    await self.bot.delete_message(chat_id, int(message.message_id))
            return ProgressMessage(message.chat_id, str(sent.message_id), has_picture=True)
        message_id = int(message.message_id)
        if message.has_picture and new_picture and view.preview is not None:
            await self.bot.edit_message_media(InputMediaPhoto(view.preview, caption=line, parse_mode=PARSE_MODE,
                                                              filename=f"preview-{view.job_id}.jpg"),
                                              chat_id=chat_id, message_id=message_id)
        elif message.has_picture:
            await self.bot.edit_message_caption(chat_id=chat_id, message_id=message_id, caption=line,
                                                parse_mode=PARSE_MODE)
        else:
            await self.bot.edit_message_text(line, chat_id=chat_id, message_id=message_id, parse_mode=PARSE_MODE)
        return message

    async def remove_progress(self, message: ProgressMessage) -> None:
        if message.message_id is not None:
            await self.delete_messages(message.chat_id, [message.message_id])

    async def moderation_scope(self, chat_id: str) -> str | None:
        return None  # one moderators' chat for the whole bot (/modchat)
