"""A fake Telegram Bot API on 127.0.0.1 for the real python-telegram-bot Application: getMe, getUpdates with
scripted updates, sendMessage, sendPhoto (multipart), sendMediaGroup, editMessageText, editMessageCaption,
editMessageMedia, editMessageReplyMarkup, answerCallbackQuery, deleteMessage, getChatMember, getFile. It records
what the bot sent and when (each message's edits with the server's clock), so tests assert what a member would see —
with ``parse_mode=HTML`` the text as Telegram shows it (tags applied, entities decoded), and a 400 "can't parse
entities" for what Telegram would refuse (an unescaped ``<`` or ``&``, a tag it does not know)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

from tests.bots.waiting import wait_for

BOT = {"id": 4242, "is_bot": True, "first_name": "muralist", "username": "muralist_bot"}
TOKEN = "4242:TEST-TOKEN"


# Telegram's HTML subset (https://core.telegram.org/bots/api#html-style).
_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre",
         "blockquote", "tg-emoji"}
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_TAG = re.compile(r"</?([a-zA-Z][\w-]*)(?:\s[^<>]*)?>")


class CannotParse(Exception):
    """What Telegram answers 400 "Bad Request: can't parse entities" to."""


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in _TAGS:
            raise CannotParse(f"unsupported start tag \"{tag}\"")

    def handle_endtag(self, tag: str) -> None:
        if tag not in _TAGS:
            raise CannotParse(f"unsupported end tag \"{tag}\"")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def shown(source: str, parse_mode: str | None) -> str:
    """The text a member sees of what the bot sent."""
    if (parse_mode or "").upper() != "HTML":
        return source
    for i, char in enumerate(source):
        if char == "&" and not _ENTITY.match(source, i):
            raise CannotParse(f"character & at byte offset {i} must be escaped as &amp;")
        if char == "<" and not _TAG.match(source, i):
            raise CannotParse(f"character < at byte offset {i} must be escaped as &lt;")
    parser = _Visible()
    parser.feed(source)
    parser.close()
    return "".join(parser.parts)


@dataclass(frozen=True)
class Edit:
    at: float  # time.monotonic() when the server got the edit
    method: str
    text: str
    photo: bytes | None = None


@dataclass
class Sent:
    message_id: int
    method: str
    chat_id: int
    text: str  # as the member sees it
    photos: list[bytes] = field(default_factory=list)
    spoilers: list[bool] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    deleted: bool = False
    source: str = ""  # as the bot sent it
    parse_mode: str | None = None
    at: float = field(default_factory=time.monotonic)  # when the server got it
    edits: list[Edit] = field(default_factory=list)  # every change, in order
    deleted_at: float | None = None

    @property
    def shown(self) -> str:
        return self.edits[-1].text if self.edits else self.text

    @property
    def buttons(self) -> list[str]:
        return [b["callback_data"] for row in (self.reply_markup or {}).get("inline_keyboard", []) for b in row]


class FakeTelegram:
    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []
        self.update_ids = itertools.count(1)
        self.message_ids = itertools.count(1)
        self.sent: list[Sent] = []
        self.answers: list[dict[str, Any]] = []
        self.refused: list[str] = []  # sends Telegram would have answered 400 (bad HTML)
        self.edits: list[Sent] = []  # editMessageText calls (progress)
        self.admins: set[int] = set()
        self.files: dict[str, bytes | None] = {}  # file_id -> bytes a member "uploaded" (None: endless)
        self.new_update = asyncio.Event()
        self.downloads_open = asyncio.Event()  # clear it to hold every file download, as a slow 20 MB one would
        self.downloads_open.set()
        self.port = 0
        self.runner: web.AppRunner | None = None
        self.too_many: dict[str, int] = {}  # method -> how many more calls to answer with 429 (retry_after 2)
        self.calls: list[tuple[str, float]] = []  # (method, when) of every call, 429s included
        self.menus: dict[str, dict[str, str]] = {}  # language code -> command -> description

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self.call)
        app.router.add_get("/file/bot{token}/{path:.*}", self.download)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # --- the Bot API ----------------------------------------------------------------------------------------------

    async def call(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if part.filename:  # type: ignore[union-attr]
                    files[part.name or ""] = bytes(await part.read())  # type: ignore[union-attr]
                else:
                    params[part.name or ""] = await part.text()  # type: ignore[union-attr]
        elif request.can_read_body:
            params = dict(await request.post())
        method = request.match_info["method"]
        self.calls.append((method, time.monotonic()))
        if self.too_many.get(method, 0) > 0:  # flood control, as Telegram answers it
            self.too_many[method] -= 1
            return web.json_response({"ok": False, "error_code": 429, "description": "Too Many Requests: retry "
                                      "after 2", "parameters": {"retry_after": 2}}, status=429)
        handler = getattr(self, f"m_{method}", None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404, "description": f"no method {method}"})
        try:
            result = await handler(params, files)
        except CannotParse as exc:
            self.refused.append(f"{method}: {exc}")
            return web.json_response({"ok": False, "error_code": 400,
                                      "description": f"Bad Request: can't parse entities: {exc}"}, status=400)
        return web.json_response({"ok": True, "result": result})

    async def m_getMe(self, *_: Any) -> dict[str, Any]:
        return BOT

    async def m_deleteWebhook(self, *_: Any) -> bool:
        return True

    async def m_setMyCommands(self, params: dict[str, Any], _: Any) -> bool:
        # The command menu as each language's members see it ("" for everyone without a list of their own).
        self.menus[str(params.get("language_code") or "")] = {c["command"]: c["description"]
                                                               for c in json.loads(params["commands"])}
        return True

    async def m_getUpdates(self, params: dict[str, Any], _: Any) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        if offset:  # as on Telegram: asking from an offset confirms (forgets) every earlier update
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 1.0)
        while True:
            pending = [u for u in self.updates if u["update_id"] >= offset]
            if pending or time.monotonic() >= deadline:
                return pending[:100]
            self.new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.new_update.wait(), max(0.01, deadline - time.monotonic()))

    def _message(self, chat_id: int, **extra: Any) -> dict[str, Any]:
        return {"message_id": next(self.message_ids), "date": int(time.time()), "from": BOT,
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}, **extra}

    def _record(self, method: str, params: dict[str, Any], photos: list[bytes], spoilers: list[bool],
                **extra: Any) -> dict[str, Any]:
        markup = json.loads(params["reply_markup"]) if params.get("reply_markup") else None
        source = params.get("text") or params.get("caption") or ""
        visible = shown(source, params.get("parse_mode"))
        message = self._message(int(params["chat_id"]), **extra)
        if markup:
            message["reply_markup"] = markup
        self.sent.append(Sent(message["message_id"], method, int(params["chat_id"]), visible, photos, spoilers, markup,
                              source=source, parse_mode=params.get("parse_mode")))
        return message

    async def m_sendMessage(self, params: dict[str, Any], _: Any) -> dict[str, Any]:
        return self._record("sendMessage", params, [], [], text=params.get("text", ""))

    def _photo(self) -> list[dict[str, Any]]:
        n = next(self.message_ids)
        return [{"file_id": f"photo{n}", "file_unique_id": f"u{n}", "width": 128, "height": 128, "file_size": 1}]

    async def m_sendPhoto(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        spoiler = params.get("has_spoiler") in ("true", "True", True)
        return self._record("sendPhoto", params, list(files.values()), [spoiler], photo=self._photo(),
                            caption=params.get("caption", ""), has_media_spoiler=spoiler)

    async def m_sendMediaGroup(self, params: dict[str, Any], files: dict[str, bytes]) -> list[dict[str, Any]]:
        media = json.loads(params["media"])
        out = []
        for item in media:
            attach = str(item["media"]).removeprefix("attach://")
            spoiler = bool(item.get("has_spoiler"))
            out.append(self._record("sendMediaGroup", {**params, "caption": item.get("caption", ""),
                                                       "parse_mode": item.get("parse_mode")},
                                    [files.get(attach, b"")], [spoiler], photo=self._photo(),
                                    has_media_spoiler=spoiler))
        return out

    def find(self, chat_id: int, message_id: int) -> Sent | None:
        return next((s for s in self.sent if s.chat_id == chat_id and s.message_id == message_id), None)

    def _edit(self, method: str, params: dict[str, Any], text: str, photo: bytes | None = None) -> dict[str, Any]:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        target = self.find(chat_id, message_id)
        if target is not None:  # .shown is what it says now
            target.edits.append(Edit(time.monotonic(), method, shown(text, params.get("parse_mode")), photo))
            # As on Telegram: an edit without reply_markup removes the message's inline keyboard.
            target.reply_markup = json.loads(params["reply_markup"]) if params.get("reply_markup") else None
        message = self._message(chat_id, text=text) if photo is None else \
            self._message(chat_id, photo=self._photo(), caption=text)
        message["message_id"] = message_id
        return message

    async def m_editMessageText(self, params: dict[str, Any], _: Any) -> dict[str, Any]:
        source, mode = params.get("text", ""), params.get("parse_mode")
        self.edits.append(Sent(int(params["message_id"]), "editMessageText", int(params["chat_id"]),
                               shown(source, mode), source=source, parse_mode=mode))
        return self._edit("editMessageText", params, source)

    async def m_editMessageCaption(self, params: dict[str, Any], _: Any) -> dict[str, Any]:
        target = self.find(int(params["chat_id"]), int(params["message_id"]))
        if target is not None:
            target.text = shown(params.get("caption", ""), params.get("parse_mode"))
        return self._edit("editMessageCaption", params, params.get("caption", ""))

    async def m_editMessageMedia(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        media = json.loads(params["media"])
        photo = files.get(str(media["media"]).removeprefix("attach://"), b"")
        target = self.find(int(params["chat_id"]), int(params["message_id"]))
        if target is not None:
            target.photos, target.spoilers = [photo], [bool(media.get("has_spoiler"))]
            target.text = shown(media.get("caption", ""), media.get("parse_mode"))
        return self._edit("editMessageMedia", {**params, "parse_mode": media.get("parse_mode")},
                          media.get("caption", ""), photo)

    async def m_editMessageReplyMarkup(self, params: dict[str, Any], _: Any) -> dict[str, Any]:
        target = self.find(int(params["chat_id"]), int(params["message_id"]))
        return self._edit("editMessageReplyMarkup", params, target.text if target is not None else "")

    async def m_answerCallbackQuery(self, params: dict[str, Any], _: Any) -> bool:
        self.answers.append(params)
        return True

    async def m_deleteMessage(self, params: dict[str, Any], _: Any) -> bool:
        for sent in self.sent:
            if sent.message_id == int(params["message_id"]) and sent.chat_id == int(params["chat_id"]):
                sent.deleted, sent.deleted_at = True, time.monotonic()
        return True

    async def m_getChatMember(self, params: dict[str, Any], _: Any) -> dict[str, Any]:
        uid = int(params["user_id"])
        status = "administrator" if uid in self.admins else "member"
        member: dict[str, Any] = {"status": status, "user": self.user(uid)}
        if status == "administrator":
            member.update({k: True for k in ("can_be_edited", "is_anonymous", "can_manage_chat",
                                             "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
                                             "can_promote_members", "can_change_info", "can_invite_users",
                                             "can_post_stories", "can_edit_stories", "can_delete_stories")})
        return member

    async def m_getFile(self, params: dict[str, Any], _: Any) -> dict[str, Any]:
        data = self.files.get(params["file_id"], b"")
        return {"file_id": params["file_id"], "file_unique_id": "u", "file_size": len(data or b"x"),
                "file_path": f"photos/{params['file_id']}"}

    async def download(self, request: web.Request) -> web.StreamResponse:
        await self.downloads_open.wait()
        body = self.files.get(request.match_info["path"].removeprefix("photos/"), b"")
        if body is not None:
            return web.Response(body=body)
        # None: an endless body behind a small size claim; only a reader that counts bytes stops.
        response = web.StreamResponse()
        await response.prepare(request)
        while True:
            await response.write(bytes(2**20))

    @property
    def file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # --- what a member does ---------------------------------------------------------------------------------------

    @staticmethod
    def user(uid: int, lang: str = "en") -> dict[str, Any]:
        return {"id": uid, "is_bot": False, "first_name": f"member{uid}", "username": f"member{uid}",
                "language_code": lang}

    def _push(self, update: dict[str, Any]) -> None:
        update["update_id"] = next(self.update_ids)
        self.updates.append(update)
        self.new_update.set()

    def say(self, uid: int, text: str, chat_id: int | None = None, lang: str = "en", *, edited: bool = False,
            reply_to_bot: bool = False, reply_to_photo: bytes | None = None, reply_to: int | None = None,
            reply_to_sent: Sent | None = None, forged_by: int | None = None) -> None:
        """``reply_to``: the message answers one written by that member (how a moderator names someone).
        ``reply_to_sent``: it answers that message the bot sent (its text as members see it) — or, with
        ``forged_by``, a message with the same text written by that member."""
        chat = chat_id if chat_id is not None else uid
        message: dict[str, Any] = {"message_id": next(self.message_ids), "date": int(time.time()),
                                   "chat": {"id": chat, "type": "private" if chat > 0 else "supergroup"},
                                   "from": self.user(uid, lang), "text": text}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if reply_to_bot:
            message["reply_to_message"] = {"message_id": 1, "date": int(time.time()), "chat": message["chat"],
                                           "from": BOT, "text": "an earlier answer"}
        if reply_to_photo is not None:  # a reply to someone's photo earlier in the chat
            file_id = f"upload{next(self.message_ids)}"
            self.files[file_id] = reply_to_photo
            message["reply_to_message"] = {"message_id": next(self.message_ids), "date": int(time.time()),
                                           "chat": message["chat"], "from": self.user(uid + 1000),
                                           "photo": [{"file_id": file_id, "file_unique_id": file_id, "width": 96,
                                                      "height": 64, "file_size": len(reply_to_photo)}]}
        elif reply_to_sent is not None:
            message["reply_to_message"] = {"message_id": reply_to_sent.message_id, "date": int(time.time()),
                                           "chat": message["chat"], "text": reply_to_sent.text,
                                           "from": BOT if forged_by is None else self.user(forged_by)}
        elif reply_to is not None:
            message["reply_to_message"] = {"message_id": next(self.message_ids), "date": int(time.time()),
                                           "chat": message["chat"], "from": self.user(reply_to), "text": "hi all"}
        if edited:
            message["edit_date"] = int(time.time())
        self._push({"edited_message" if edited else "message": message})

    def send_photo(self, uid: int, data: bytes | None, caption: str | None, lang: str = "en") -> None:
        """``data`` None: an endless download that claims to be 1 KB."""
        file_id = f"upload{next(self.message_ids)}"
        self.files[file_id] = data
        message: dict[str, Any] = {"message_id": next(self.message_ids), "date": int(time.time()),
                                   "chat": {"id": uid, "type": "private"}, "from": self.user(uid, lang),
                                   "photo": [{"file_id": file_id, "file_unique_id": file_id, "width": 96,
                                              "height": 64, "file_size": 1024 if data is None else len(data)}]}
        if caption is not None:
            message["caption"] = caption
        self._push({"message": message})

    def send_album(self, uid: int, photos: list[bytes], caption: str | None) -> None:
        """An album (a media group): one message per photo sharing a ``media_group_id``, the caption on the first,
        as Telegram's apps send it."""
        group = f"album{next(self.message_ids)}"
        for i, data in enumerate(photos):
            file_id = f"upload{next(self.message_ids)}"
            self.files[file_id] = data
            message: dict[str, Any] = {"message_id": next(self.message_ids), "date": int(time.time()),
                                       "chat": {"id": uid, "type": "private"}, "from": self.user(uid),
                                       "media_group_id": group,
                                       "photo": [{"file_id": file_id, "file_unique_id": file_id, "width": 96,
                                                  "height": 64, "file_size": len(data)}]}
            if caption is not None and i == 0:
                message["caption"] = caption
            self._push({"message": message})

    def send_document(self, uid: int, data: bytes, caption: str | None, mime_type: str = "image/png") -> None:
        """A picture sent as a file (uncompressed), as members do to keep its full quality."""
        file_id = f"upload{next(self.message_ids)}"
        self.files[file_id] = data
        message: dict[str, Any] = {"message_id": next(self.message_ids), "date": int(time.time()),
                                   "chat": {"id": uid, "type": "private"}, "from": self.user(uid),
                                   "document": {"file_id": file_id, "file_unique_id": file_id, "file_name": "in.png",
                                                "mime_type": mime_type, "file_size": len(data)}}
        if caption is not None:
            message["caption"] = caption
        self._push({"message": message})

    def send_voice(self, uid: int, data: bytes, duration: int) -> None:
        """A voice note (Opus in Ogg); ``duration`` is what the client claims, as Telegram passes it on."""
        file_id = f"voice{next(self.message_ids)}"
        self.files[file_id] = data
        self._push({"message": {"message_id": next(self.message_ids), "date": int(time.time()),
                                "chat": {"id": uid, "type": "private"}, "from": self.user(uid),
                                "voice": {"file_id": file_id, "file_unique_id": file_id, "duration": duration,
                                          "mime_type": "audio/ogg", "file_size": len(data)}}})

    def send_other(self, uid: int, kind: str) -> None:
        message: dict[str, Any] = {"message_id": next(self.message_ids), "date": int(time.time()),
                                   "chat": {"id": uid, "type": "private"}, "from": self.user(uid)}
        if kind == "sticker":
            message["sticker"] = {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1,
                                  "height": 1, "is_animated": False, "is_video": False}
        elif kind == "voice":
            message["voice"] = {"file_id": "v", "file_unique_id": "v", "duration": 1}
        elif kind == "photo":  # a photo with no caption: nothing says what to make of it
            message["photo"] = self._photo()
        self._push({"message": message})

    def press(self, uid: int, data: str, message: Sent) -> None:
        self._push({"callback_query": {
            "id": f"cb{next(self.message_ids)}", "from": self.user(uid), "chat_instance": "ci", "data": data,
            "message": {"message_id": message.message_id, "date": int(time.time()), "from": BOT,
                        "chat": {"id": message.chat_id, "type": "private" if message.chat_id > 0 else "supergroup"},
                        "text": message.text}}})

    async def wait_for(self, predicate: Any, timeout: float = 30.0) -> Any:
        return await wait_for(predicate, timeout)

    def texts(self, chat_id: int) -> list[str]:
        return [s.text for s in self.sent if s.chat_id == chat_id]

    def photos(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id and s.photos and not s.deleted]


@contextlib.asynccontextmanager
async def polling(app: Any) -> AsyncIterator[None]:
    """A python-telegram-bot Application polling the fake Bot API inside the running loop — what ``run_polling``
    does, without taking over the loop: started with its post_init, stopped with its post_shutdown."""
    await app.initialize()
    await app.start()
    if app.post_init is not None:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        yield
    finally:
        await app.updater.stop()
        await app.stop()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
        await app.shutdown()
