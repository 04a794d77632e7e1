"""A fake Discord on 127.0.0.1 for driving the real discord.py client: the REST routes the bot uses and a gateway
websocket (HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats, INTERACTION_CREATE: commands, buttons, forms). It
records what the bot sent so tests can assert what a member would see."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.bots.waiting import wait_for

BOT_ID, APP_ID, GUILD_ID = 1000, 2000, 3000
GENERAL, MODS, NSFW = 3001, 3002, 3003
MOD_ROLE = 3100
MANAGE_MESSAGES = 1 << 13
MEMBER_PERMS = (1 << 10) | (1 << 11) | (1 << 31)  # view channel, send messages, use application commands
ADMIN_PERMS = MEMBER_PERMS | MANAGE_MESSAGES


def user(uid: int, name: str, bot: bool = False) -> dict[str, Any]:
    return {"id": str(uid), "username": name, "global_name": name, "discriminator": "0", "avatar": None, "bot": bot}


def _content_type(filename: str) -> str:
    kinds = {"ogg": "audio/ogg", "mp3": "audio/mpeg", "wav": "audio/wav", "jpg": "image/jpeg"}
    return kinds.get(filename.rsplit(".", 1)[-1].lower(), "image/png")


def jresp(data: Any) -> web.Response:
    # discord.py compares the content type exactly with "application/json" (no charset) before decoding.
    return web.Response(body=json.dumps(data).encode(), headers={"Content-Type": "application/json"})


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class Edit:
    at: float  # time.monotonic() when the server got the edit
    content: str
    files: list[tuple[str, bytes]]  # newly uploaded attachments (none when only the text changed)


@dataclass
class SentMessage:
    id: int
    channel_id: int
    content: str
    files: list[tuple[str, bytes]]
    components: list[dict[str, Any]]
    deleted: bool = False
    attachment_ids: list[str] = field(default_factory=list)  # one per file, stable across edits
    at: float = field(default_factory=time.monotonic)  # when the server got it
    edits: list[Edit] = field(default_factory=list)  # every change, in order
    deleted_at: float | None = None

    @property
    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for row in self.components for c in row.get("components", []) if "custom_id" in c]


@dataclass
class Interaction:
    id: int
    token: str
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    edits: list[str] = field(default_factory=list)
    followups: list[str] = field(default_factory=list)
    message_id: int | None = None  # the message whose button was pressed

    @property
    def last_text(self) -> str:
        texts = [*self.edits, *self.followups]
        for cb in self.callbacks:
            content = (cb.get("data") or {}).get("content")
            if content:
                texts.append(content)
        return texts[-1] if texts else ""


class FakeDiscord:
    def __init__(self) -> None:
        self.ids = itertools.count(900_000_000_000_000_000)
        self.messages: list[SentMessage] = []
        self.interactions: dict[str, Interaction] = {}
        self.commands: list[dict[str, Any]] = []
        self.guild_locale = "en-US"  # the server's preferred locale (its community language)
        self.sockets: list[web.WebSocketResponse] = []
        self.identified = asyncio.Event()
        self.seq = 0
        self.port = 0
        self.runner: web.AppRunner | None = None
        self.uploads: dict[str, bytes | None] = {}
        self.dms: dict[int, int] = {}  # direct-message channel id -> the member in it

    # --- lifecycle ------------------------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        r = app.router
        r.add_get("/api/v10/users/@me", lambda _: jresp(user(BOT_ID, "muralist", bot=True)))
        r.add_get("/api/v10/oauth2/applications/@me", self.app_info)
        r.add_get("/api/v10/gateway", lambda _: jresp({"url": self.ws_url}))
        r.add_put("/api/v10/applications/{app}/commands", self.put_commands)
        r.add_put("/api/v10/applications/{app}/guilds/{guild}/commands", self.put_commands)
        r.add_post("/api/v10/interactions/{iid}/{token}/callback", self.callback)
        r.add_patch("/api/v10/webhooks/{app}/{token}/messages/@original", self.edit_original)
        r.add_get("/api/v10/webhooks/{app}/{token}/messages/@original", self.get_original)
        r.add_post("/api/v10/webhooks/{app}/{token}", self.followup)
        r.add_post("/api/v10/channels/{cid}/messages", self.create_message)
        r.add_patch("/api/v10/channels/{cid}/messages/{mid}", self.edit_message)
        r.add_delete("/api/v10/channels/{cid}/messages/{mid}", self.delete_message)
        r.add_get("/api/v10/channels/{cid}/messages/{mid}", self.get_message)
        r.add_get("/api/v10/channels/{cid}", self.get_channel)
        r.add_get("/gateway", self.gateway)
        r.add_get("/attachments/{aid}", self.attachment)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for ws in list(self.sockets):
            await ws.close()
        if self.runner is not None:
            await self.runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # --- REST -----------------------------------------------------------------------------------------------------

    async def app_info(self, _: web.Request) -> web.Response:
        return jresp({"id": str(APP_ID), "name": "muralist", "description": "", "icon": None,
                                  "bot_public": True, "bot_require_code_grant": False,
                                  "owner": user(1, "owner"), "verify_key": "0" * 64, "flags": 0, "team": None,
                                  "interactions_endpoint_url": None})

    async def put_commands(self, request: web.Request) -> web.Response:
        payload = await request.json()
        self.commands = [{**c, "id": str(next(self.ids)), "application_id": str(APP_ID), "version": "1"}
                         for c in payload]
        return jresp(self.commands)

    async def _body(self, request: web.Request) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
        if request.content_type.startswith("multipart/"):
            payload: dict[str, Any] = {}
            files: list[tuple[str, bytes]] = []
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":  # type: ignore[union-attr]
                    payload = json.loads(await part.text())  # type: ignore[union-attr]
                else:
                    files.append((part.filename or "", bytes(await part.read())))  # type: ignore[union-attr]
            return payload, files
        if request.can_read_body:
            return await request.json(), []
        return {}, []

    def message(self, mid: int, channel_id: int, content: str, components: list[Any],
                files: list[tuple[str, bytes]] | None = None,
                attachment_ids: list[str] | None = None) -> dict[str, Any]:
        ids = attachment_ids or [str(next(self.ids)) for _ in files or []]
        where = {} if channel_id in self.dms else {"guild_id": str(GUILD_ID)}
        return {"id": str(mid), "channel_id": str(channel_id), **where,
                "author": user(BOT_ID, "muralist", bot=True), "content": content, "timestamp": now_iso(),
                "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [],
                "mention_roles": [], "attachments": [{"id": aid, "filename": name, "size": len(data),
                                                      "url": f"https://cdn.invalid/{name}",
                                                      "proxy_url": f"https://cdn.invalid/{name}"}
                                                     for aid, (name, data) in zip(ids, files or [], strict=True)],
                "embeds": [], "pinned": False, "type": 0, "components": components, "flags": 0}

    def _json(self, sent: SentMessage) -> dict[str, Any]:
        return self.message(sent.id, sent.channel_id, sent.content, sent.components, sent.files, sent.attachment_ids)

    def _find(self, mid: int) -> SentMessage | None:
        return next((m for m in self.messages if m.id == mid), None)

    async def create_message(self, request: web.Request) -> web.Response:
        payload, files = await self._body(request)
        channel_id, mid = int(request.match_info["cid"]), next(self.ids)
        sent = SentMessage(mid, channel_id, payload.get("content") or "", files, payload.get("components") or [],
                           attachment_ids=[str(next(self.ids)) for _ in files])
        self.messages.append(sent)
        return jresp(self._json(sent))

    async def get_message(self, request: web.Request) -> web.Response:
        sent = self._find(int(request.match_info["mid"]))
        if sent is None or sent.deleted:
            return web.json_response({"message": "Unknown Message", "code": 10008}, status=404)
        return jresp(self._json(sent))

    def _apply_edit(self, sent: SentMessage, payload: dict[str, Any], files: list[tuple[str, bytes]]) -> None:
        """As Discord does: given fields replace the old ones; ``attachments`` lists the old files to keep (by id)
        and the new ones uploaded with the edit."""
        if "content" in payload:
            sent.content = payload["content"] or ""
        if "components" in payload:
            sent.components = payload["components"] or []
        if "attachments" in payload:
            keep = {str(a["id"]) for a in payload["attachments"]}
            old = [(aid, f) for aid, f in zip(sent.attachment_ids, sent.files, strict=True) if aid in keep]
            new = [(str(next(self.ids)), f) for f in files]
            sent.attachment_ids = [aid for aid, _ in old + new]
            sent.files = [f for _, f in old + new]
        sent.edits.append(Edit(time.monotonic(), sent.content, files))

    async def edit_message(self, request: web.Request) -> web.Response:
        payload, files = await self._body(request)
        sent = self._find(int(request.match_info["mid"]))
        if sent is None or sent.deleted:
            return web.json_response({"message": "Unknown Message", "code": 10008}, status=404)
        self._apply_edit(sent, payload, files)
        return jresp(self._json(sent))

    async def delete_message(self, request: web.Request) -> web.Response:
        for m in self.messages:
            if m.id == int(request.match_info["mid"]):
                m.deleted, m.deleted_at = True, time.monotonic()
        return web.Response(status=204)

    async def attachment(self, request: web.Request) -> web.StreamResponse:
        body = self.uploads.get(request.match_info["aid"], b"")
        if body is not None:
            return web.Response(body=body)
        # None: an endless body (a hostile upload behind a size claim); only a reader that counts bytes stops.
        response = web.StreamResponse()
        await response.prepare(request)
        while True:
            await response.write(bytes(2**20))

    async def get_channel(self, request: web.Request) -> web.Response:
        cid = int(request.match_info["cid"])
        return jresp(self.channel(cid) if cid in self.dms else {**self.channel(cid), "guild_id": str(GUILD_ID)})

    async def callback(self, request: web.Request) -> web.Response:
        payload, _ = await self._body(request)
        inter = self.interactions.setdefault(request.match_info["token"],
                                             Interaction(int(request.match_info["iid"]), request.match_info["token"]))
        inter.callbacks.append(payload)
        pressed = self._find(inter.message_id) if inter.message_id is not None else None
        if payload.get("type") == 7 and pressed is not None:  # UPDATE_MESSAGE: the pressed message is edited
            self._apply_edit(pressed, payload.get("data") or {}, [])
        return jresp({"interaction": {"id": str(inter.id), "type": 2},
                                  "resource": {"type": payload.get("type", 4)}})

    async def edit_original(self, request: web.Request) -> web.Response:
        payload, _ = await self._body(request)
        inter = self.interactions[request.match_info["token"]]
        if "content" in payload:
            inter.edits.append(payload["content"] or "")
        return jresp(self.message(next(self.ids), GENERAL, payload.get("content") or "", []))

    async def get_original(self, request: web.Request) -> web.Response:
        inter = self.interactions[request.match_info["token"]]
        return jresp(self.message(next(self.ids), GENERAL, inter.last_text, []))

    async def followup(self, request: web.Request) -> web.Response:
        payload, _ = await self._body(request)
        inter = self.interactions[request.match_info["token"]]
        inter.followups.append(payload.get("content") or "")
        return jresp(self.message(next(self.ids), GENERAL, payload.get("content") or "",
                                              payload.get("components") or []))

    # --- gateway --------------------------------------------------------------------------------------------------

    def channel(self, cid: int) -> dict[str, Any]:
        if cid in self.dms:  # a direct message with one member
            return {"id": str(cid), "type": 1, "recipients": [user(self.dms[cid], f"member{self.dms[cid]}")],
                    "last_message_id": None}
        names = {GENERAL: "general", MODS: "moderators", NSFW: "after-dark"}
        return {"id": str(cid), "type": 0, "name": names[cid], "position": list(names).index(cid),
                "permission_overwrites": [], "nsfw": cid == NSFW, "parent_id": None, "topic": None,
                "rate_limit_per_user": 0, "last_message_id": None}

    def guild(self) -> dict[str, Any]:
        return {"id": str(GUILD_ID), "name": "Test Community", "owner_id": "1", "icon": None, "splash": None,
                "roles": [{"id": str(GUILD_ID), "name": "@everyone", "permissions": str(MEMBER_PERMS),
                           "position": 0, "color": 0, "hoist": False, "managed": False, "mentionable": False,
                           "flags": 0},
                          {"id": str(MOD_ROLE), "name": "mods", "permissions": str(MEMBER_PERMS), "position": 1,
                           "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}],
                "channels": [self.channel(c) for c in (GENERAL, MODS, NSFW)], "members": [], "member_count": 3,
                "emojis": [], "stickers": [], "features": [], "threads": [], "stage_instances": [],
                "guild_scheduled_events": [], "voice_states": [], "presences": [], "large": False,
                "unavailable": False, "joined_at": now_iso(), "premium_tier": 0, "afk_timeout": 300,
                "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
                "mfa_level": 0, "system_channel_flags": 0, "preferred_locale": self.guild_locale, "nsfw_level": 0,
                "max_members": 1000, "premium_progress_bar_enabled": False}

    async def gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        async for msg in ws:
            data = json.loads(msg.data)
            if data["op"] == 1:
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif data["op"] == 2:
                await self.dispatch("READY", {"v": 10, "user": user(BOT_ID, "muralist", bot=True),
                                              "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
                                              "session_id": "fake-session", "resume_gateway_url": self.ws_url,
                                              "application": {"id": str(APP_ID), "flags": 0}}, ws)
                await self.dispatch("GUILD_CREATE", self.guild(), ws)
                self.identified.set()
        if ws in self.sockets:
            self.sockets.remove(ws)
        return ws

    async def dispatch(self, event: str, data: dict[str, Any], ws: web.WebSocketResponse | None = None) -> None:
        self.seq += 1
        for target in [ws] if ws is not None else list(self.sockets):
            await target.send_json({"op": 0, "t": event, "s": self.seq, "d": data})

    # --- what a member does ---------------------------------------------------------------------------------------

    def member(self, uid: int, moderator: bool = False) -> dict[str, Any]:
        return {"user": user(uid, f"member{uid}"), "roles": [str(MOD_ROLE)] if moderator else [],
                "permissions": str(ADMIN_PERMS if moderator else MEMBER_PERMS), "joined_at": now_iso(),
                "deaf": False, "mute": False, "flags": 0, "nick": None, "avatar": None}

    async def _interact(self, kind: int, data: dict[str, Any], uid: int, channel: int, moderator: bool,
                        message: dict[str, Any] | None = None, locale: str = "en-US") -> Interaction:
        iid, token = next(self.ids), f"token{next(self.ids)}"
        inter = Interaction(iid, token, message_id=int(message["id"]) if message is not None else None)
        self.interactions[token] = inter
        payload: dict[str, Any] = {
            "id": str(iid), "application_id": str(APP_ID), "type": kind, "token": token, "version": 1,
            "guild_id": str(GUILD_ID), "channel_id": str(channel), "channel": {**self.channel(channel),
                                                                             "guild_id": str(GUILD_ID)},
            "member": self.member(uid, moderator), "app_permissions": str(ADMIN_PERMS), "locale": locale,
            "guild_locale": self.guild_locale, "entitlements": [],
            "authorizing_integration_owners": {"0": str(GUILD_ID)},
            "context": 0, "attachment_size_limit": 10 * 1024 * 1024, "data": data}
        if message is not None:
            payload["message"] = message
        await self.dispatch("INTERACTION_CREATE", payload)
        return inter

    async def slash(self, name: str, uid: int, in_channel: int = GENERAL, moderator: bool = False,
                    sub: str | None = None, locale: str = "en-US", **options: Any) -> Interaction:
        types = {bool: 5, int: 4, float: 10, str: 3}
        opts: list[dict[str, Any]] = []
        resolved: dict[str, Any] = {}
        for key, value in options.items():
            if isinstance(value, tuple) and value[0] == "user":
                opts.append({"name": key, "type": 6, "value": str(value[1])})
                resolved.setdefault("users", {})[str(value[1])] = user(value[1], f"member{value[1]}")
                resolved.setdefault("members", {})[str(value[1])] = {
                    k: v for k, v in self.member(value[1]).items() if k != "user"}
            elif isinstance(value, tuple) and value[0] == "attachment":
                aid = str(next(self.ids))
                self.uploads[aid] = value[1]
                opts.append({"name": key, "type": 11, "value": aid})
                resolved.setdefault("attachments", {})[aid] = {
                    # A third element is the size the platform claims, which a hostile upload can get wrong; a
                    # fourth the file's name (its content type follows from it).
                    "id": aid, "filename": value[3] if len(value) > 3 else "upload.png",
                    "size": value[2] if len(value) > 2 and value[2] is not None else len(value[1] or b""),
                    "content_type": _content_type(value[3] if len(value) > 3 else "upload.png"),
                    "url": f"http://127.0.0.1:{self.port}/attachments/{aid}",
                    "proxy_url": f"http://127.0.0.1:{self.port}/attachments/{aid}"}
            elif isinstance(value, tuple) and value[0] == "channel":
                opts.append({"name": key, "type": 7, "value": str(value[1])})
                resolved.setdefault("channels", {})[str(value[1])] = {**self.channel(value[1]), "permissions":
                                                                      str(ADMIN_PERMS)}
            else:
                opts.append({"name": key, "type": types[type(value)], "value": value})
        if sub is not None:
            opts = [{"name": sub, "type": 1, "options": opts}]
        command = next((c for c in self.commands if c["name"] == name), {"id": "0"})
        data = {"id": command["id"], "name": name, "type": 1, "options": opts, "guild_id": str(GUILD_ID)}
        if resolved:
            data["resolved"] = resolved
        return await self._interact(2, data, uid, in_channel, moderator, locale=locale)

    def dm_channel(self, uid: int) -> int:
        """The direct-message channel between the bot and a member."""
        cid = 5_000_000 + uid
        self.dms[cid] = uid
        return cid

    async def send_dm(self, uid: int, data: bytes, *, filename: str = "voice-message.ogg",
                      voice_seconds: float | None = 3.0) -> int:
        """A member sends the bot a direct message with one file. With ``voice_seconds`` it is what Discord's record
        button makes: an audio/ogg attachment with a duration and a waveform, on a message flagged as a voice
        message (1 << 13), and no text. Returns the direct-message channel's id."""
        cid, mid, aid = self.dm_channel(uid), next(self.ids), str(next(self.ids))
        self.uploads[aid] = data
        attachment: dict[str, Any] = {
            "id": aid, "filename": filename, "size": len(data), "content_type": _content_type(filename),
            "url": f"http://127.0.0.1:{self.port}/attachments/{aid}",
            "proxy_url": f"http://127.0.0.1:{self.port}/attachments/{aid}"}
        if voice_seconds is not None:
            attachment |= {"duration_secs": voice_seconds, "waveform": "AAAAAAAAAAAA"}
        await self.dispatch("MESSAGE_CREATE", {
            "id": str(mid), "channel_id": str(cid), "author": user(uid, f"member{uid}"), "content": "",
            "timestamp": now_iso(), "edited_timestamp": None, "tts": False, "mention_everyone": False,
            "mentions": [], "mention_roles": [], "attachments": [attachment], "embeds": [], "pinned": False,
            "type": 0, "flags": (1 << 13) if voice_seconds is not None else 0})
        return cid

    def in_channel(self, cid: int) -> list[SentMessage]:
        return [m for m in self.messages if m.channel_id == cid and not m.deleted]

    async def autocomplete(self, name: str, uid: int, option: str, typed: str) -> Interaction:
        """A member typing ``typed`` into an option with autocomplete; the bot answers with a callback of type 8
        whose ``data.choices`` are what Discord would list."""
        command = next((c for c in self.commands if c["name"] == name), {"id": "0"})
        data = {"id": command["id"], "name": name, "type": 1, "guild_id": str(GUILD_ID),
                "options": [{"name": "prompt", "type": 3, "value": "a fox"},
                            {"name": option, "type": 3, "value": typed, "focused": True}]}
        return await self._interact(4, data, uid, GENERAL, False)

    async def press(self, custom_id: str, uid: int, message: SentMessage, moderator: bool = False) -> Interaction:
        msg = self.message(message.id, message.channel_id, message.content, message.components)
        return await self._interact(3, {"custom_id": custom_id, "component_type": 2}, uid, message.channel_id,
                                    moderator, msg)

    async def submit_modal(self, custom_id: str, values: dict[str, str], uid: int, channel: int = GENERAL,
                           moderator: bool = False) -> Interaction:
        """A member sends a form (a modal the bot opened with a callback of type 9): MODAL_SUBMIT, type 5, with the
        text each box holds."""
        rows = [{"type": 1, "components": [{"type": 4, "custom_id": box, "value": value}]}
                for box, value in values.items()]
        return await self._interact(5, {"custom_id": custom_id, "components": rows}, uid, channel, moderator)

    async def wait_for(self, predicate: Any, timeout: float = 30.0) -> Any:
        return await wait_for(predicate, timeout)
