"""Real transcripts of one short session on each chat platform, for the README's bot sections.

It starts the fake Discord and the fake Telegram Bot API that the bot tests use (``tests/bots/fake_discord.py``,
``tests/bots/fake_telegram.py``), runs the real discord.py client and the real python-telegram-bot Application on
them with the embedded worker and the miniature model, drives a member (and, for one report, a moderator) through a
short session, and prints what they saw, in the order the platform received it: message texts, button labels,
edits, deletions, and ``[picture W×H]`` for each picture. Nothing in the output is written by hand; job ids and
times differ from run to run.

    make transcripts                                                # both platforms
    PYTHONPATH=. .venv/bin/python scripts/transcripts.py            # the same
    PYTHONPATH=. .venv/bin/python scripts/transcripts.py telegram   # one of discord, telegram

It takes about a minute on a laptop CPU, downloads nothing, and refuses to print a fake token.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the miniature model is built locally; nothing may be fetched

from aiohttp import web  # noqa: E402
from PIL import Image  # noqa: E402

from bots.discord import configure_endpoints  # noqa: E402
from bots.discord.client import MuralistDiscord  # noqa: E402
from bots.telegram.app import build_application  # noqa: E402
from core.config import Settings  # noqa: E402
from core.runtime import Runtime, build_runtime  # noqa: E402
from tests.bots import fake_discord, fake_telegram  # noqa: E402
from tests.bots.fake_discord import GENERAL, GUILD_ID, MODS, FakeDiscord, SentMessage  # noqa: E402
from tests.bots.fake_telegram import FakeTelegram, Sent  # noqa: E402

DISCORD_TOKEN = "fake-token"
NAMES = {11: "Ada", 12: "Bob", 13: "Mo", 21: "Ada", 22: "Bob", 23: "Mo"}
WIDTH = 116  # a README code block's width; longer lines are wrapped
MAX_LINES = 6  # of one message; more are counted, not shown


# --- what was seen, in order -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    at: float
    line: str


class Transcript:
    """Lines with the time the platform got them; only those between start() and stop() are printed."""

    def __init__(self) -> None:
        self.lines: list[Seen] = []
        self.since = float("inf")
        self.until = float("inf")

    def add(self, line: str) -> None:
        self.lines.append(Seen(time.monotonic(), line))

    def start(self) -> None:
        self.since = time.monotonic()

    def stop(self) -> None:
        self.until = time.monotonic()

    def text(self) -> str:
        shown = sorted((s for s in self.lines if self.since <= s.at <= self.until), key=lambda s: s.at)
        out: list[str] = []
        for seen in shown:
            lines = seen.line.splitlines() or [""]
            if len(lines) > MAX_LINES:  # a long answer (/help) would crowd out the session
                lines = [*lines[:MAX_LINES - 1], f"… ({len(lines) - MAX_LINES + 1} more lines)"]
            for i, part in enumerate(lines):
                out += textwrap.wrap(part, WIDTH, initial_indent="" if i == 0 else "    ",
                                     subsequent_indent="    ", break_on_hyphens=False) or [""]
        return "\n".join(out)


def picture(data: bytes, spoiler: bool = False) -> str:
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
    return f"[picture {width}×{height}{', behind a spoiler' if spoiler else ''}]"


def buttons(labels: list[str]) -> str:
    return " ".join(f"[{label}]" for label in labels)


def said(body: str, extras: list[str]) -> str:
    """A message and what hangs under it (pictures, buttons): on its last line while that stays short."""
    lines = body.splitlines() or [""]
    for extra in (e for e in extras if e):
        if len(lines[-1]) + 1 + len(extra) <= WIDTH:
            lines[-1] += " " + extra
        else:
            lines.append(extra)
    return "\n".join(lines)


def edited(before: str, after: str) -> str:
    """An edit as a member notices it: only the lines it added when it kept the old text."""
    if before and after.startswith(before) and after != before:
        return "+ " + after[len(before):].strip("\n")
    return after


async def until(predicate: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise TimeoutError("the bot did not answer")


async def settle(seconds: float = 1.0) -> None:
    """Let a last edit or deletion arrive before the transcript ends (a script, not a test: nothing is asserted)."""
    await asyncio.sleep(seconds)


# --- Discord ---------------------------------------------------------------------------------------------------------


class RecordingDiscord(FakeDiscord):
    """The tests' fake Discord, noting each message as it was when posted or edited, and each interaction answer."""

    def __init__(self, transcript: Transcript) -> None:
        super().__init__()
        self.transcript = transcript
        self.private: dict[str, int] = {}  # interaction token -> who sees its (ephemeral) answers

    def member(self, uid: int, moderator: bool = False) -> dict[str, Any]:
        found = super().member(uid, moderator)
        found["user"] = fake_discord.user(uid, NAMES.get(uid, f"member{uid}"))
        return found

    def _where(self, channel_id: int) -> str:
        return "#general" if channel_id == GENERAL else "#moderators" if channel_id == MODS else f"#{channel_id}"

    def _content(self, content: str) -> str:
        return re.sub(r"<@!?(\d+)>", lambda m: "@" + NAMES.get(int(m.group(1)), m.group(1)), content)

    def _components(self, components: list[dict[str, Any]]) -> str:
        labels = [c.get("label") or (c.get("emoji") or {}).get("name") or c.get("placeholder") or "…"
                  for row in components for c in row.get("components", [])]
        return buttons([str(label) for label in labels])

    async def create_message(self, request: web.Request) -> web.Response:
        response = await super().create_message(request)
        sent = self.messages[-1]
        pictures = " ".join(picture(f, name.startswith("SPOILER_")) for name, f in sent.files)
        self.transcript.add(said(f"{self._where(sent.channel_id)} muralist › {self._content(sent.content)}",
                                 [pictures, self._components(sent.components)]))
        return response

    def _apply_edit(self, sent: SentMessage, payload: dict[str, Any], files: list[tuple[str, bytes]]) -> None:
        before, had_buttons = self._content(sent.content), bool(sent.custom_ids)
        super()._apply_edit(sent, payload, files)
        new = " ".join(picture(f, name.startswith("SPOILER_")) for name, f in files)
        keys = self._components(sent.components) or ("(its buttons are gone)" if had_buttons else "")
        self.transcript.add(said(f"  ↳ {self._where(sent.channel_id)} edited: "
                                 f"{edited(before, self._content(sent.content))}", [new, keys]))

    async def delete_message(self, request: web.Request) -> web.Response:
        response = await super().delete_message(request)
        gone = self._find(int(request.match_info["mid"]))
        if gone is not None:
            first = self._content(gone.content).splitlines()[0] if gone.content else ""
            self.transcript.add(f"  ↳ {self._where(gone.channel_id)} deleted: {first}")
        return response

    def _answer(self, token: str, content: str, components: list[dict[str, Any]] | None = None,
                edited: bool = False) -> None:
        who = NAMES.get(self.private.get(token, 0), "")
        head = f"  ↳ (only {who}) answer edited: " if edited else f"muralist (only {who}) › "
        self.transcript.add(said(head + self._content(content), [self._components(components or [])]))

    async def callback(self, request: web.Request) -> web.Response:
        response = await super().callback(request)
        token = request.match_info["token"]
        payload = self.interactions[token].callbacks[-1]
        data = payload.get("data") or {}
        if payload.get("type") == 4 and data.get("content"):  # a message; 5 (thinking…) is edited below
            self._answer(token, data["content"], data.get("components"))
        elif payload.get("type") == 9:
            self.transcript.add(f"(a form opens: {data.get('title', '')})")
        return response

    async def edit_original(self, request: web.Request) -> web.Response:
        inter = self.interactions[request.match_info["token"]]
        before = len(inter.edits)
        response = await super().edit_original(request)
        if len(inter.edits) > before:
            self._answer(inter.token, inter.edits[-1], edited=before > 0)
        return response

    async def followup(self, request: web.Request) -> web.Response:
        inter = self.interactions[request.match_info["token"]]
        response = await super().followup(request)
        self._answer(inter.token, inter.followups[-1])
        return response

    async def slash(self, name: str, uid: int, in_channel: int = GENERAL, moderator: bool = False,
                    sub: str | None = None, **options: Any) -> fake_discord.Interaction:
        typed = " ".join(f"{key}: {value}" for key, value in options.items())
        self.transcript.add(f"{NAMES[uid]} › /{name}{' ' + sub if sub else ''} {typed}".rstrip())
        inter = await super().slash(name, uid, in_channel, moderator, sub, **options)
        self.private[inter.token] = uid
        return inter

    async def press(self, custom_id: str, uid: int, message: SentMessage,
                    moderator: bool = False) -> fake_discord.Interaction:
        label = next(c.get("label") for row in message.components for c in row.get("components", [])
                     if c.get("custom_id") == custom_id)
        self.transcript.add(f"{NAMES[uid]} presses [{label}]")
        inter = await super().press(custom_id, uid, message, moderator)
        self.private[inter.token] = uid
        return inter


def button(message: SentMessage, action: str) -> str:
    return next(c for c in message.custom_ids if c.startswith(f"muralist:{action}:"))


async def discord_session(runtime: Runtime, transcript: Transcript) -> None:
    ada, bob, mo = 11, 12, 13
    fake = RecordingDiscord(transcript)
    await fake.start()
    configure_endpoints(fake.api_base, fake.ws_url)
    bot = MuralistDiscord(runtime, guild_ids=[GUILD_ID])
    bot.delivery.sweep_interval = 0.5
    task = asyncio.create_task(bot.start(DISCORD_TOKEN))
    try:
        await asyncio.wait_for(bot.synced.wait(), 60)
        await asyncio.wait_for(bot.wait_until_ready(), 60)
        # Before the transcript: the moderators chose their channel, and Bob accepted the licence long ago.
        setup = await fake.slash("mod", mo, moderator=True, sub="setup", channel=("channel", MODS))
        accepted = await fake.slash("accept", bob)
        await until(lambda: setup.last_text and accepted.last_text)
        transcript.start()

        for command in ("help", "accept"):
            answer = await fake.slash(command, ada)
            await until(lambda: answer.last_text)  # noqa: B023 (awaited before the loop moves on)
        job = await fake.slash("imagine", ada, prompt="a red fox in the snow --steps 40 --size 512x512 --seed 7")
        result = await until(lambda: [m for m in fake.messages if m.channel_id == GENERAL and m.files
                                      and m.custom_ids and not m.deleted and m.at > transcript.since])
        await until(lambda: job.edits)
        await settle()  # the progress message goes once the result is posted
        post = result[0]
        info = await fake.press(button(post, "info"), ada, post)
        await until(lambda: info.last_text)
        quota = await fake.slash("quota", ada)
        await until(lambda: quota.last_text)
        refused = await fake.slash("imagine", ada, prompt="a n.u.d.e woman")
        await until(lambda: refused.last_text)
        report = await fake.press(button(post, "report"), bob, post)
        mod_post = (await until(lambda: [m for m in fake.messages if m.channel_id == MODS and m.files]))[0]
        await until(lambda: report.last_text)
        approve = await fake.press(button(mod_post, "mod_approve"), mo, mod_post, moderator=True)
        await until(lambda: approve.last_text or mod_post.edits)
        await settle()
        transcript.stop()
    finally:
        await bot.close()
        await asyncio.wait_for(task, 10)
        await fake.stop()


# --- Telegram --------------------------------------------------------------------------------------------------------


GROUP, MOD_CHAT = -100123, -1001


class RecordingTelegram(FakeTelegram):
    """The tests' fake Bot API, noting each message as it was when sent or edited, and each button's answer."""

    def __init__(self, transcript: Transcript) -> None:
        super().__init__()
        self.transcript = transcript
        self.showing: dict[tuple[int, int], str] = {}  # (chat, message) -> its text as last sent or edited

    @staticmethod
    def user(uid: int, lang: str = "en") -> dict[str, Any]:
        found = FakeTelegram.user(uid, lang)
        found.update(first_name=NAMES.get(uid, f"member{uid}"), username=NAMES.get(uid, f"member{uid}").lower())
        return found

    @staticmethod
    def _where(chat_id: int) -> str:
        return {GROUP: "group", MOD_CHAT: "moderators"}.get(chat_id, f"chat {chat_id}")

    @staticmethod
    def _keyboard(markup: dict[str, Any] | None) -> str:
        if markup and markup.get("force_reply"):
            return "(a reply box opens)"
        return buttons([b["text"] for row in (markup or {}).get("inline_keyboard", []) for b in row])

    def _record(self, method: str, params: dict[str, Any], photos: list[bytes], spoilers: list[bool],
                **extra: Any) -> dict[str, Any]:
        message = super()._record(method, params, photos, spoilers, **extra)
        sent = self.sent[-1]
        self.showing[sent.chat_id, sent.message_id] = sent.text
        shown = " ".join(picture(p, s) for p, s in zip(sent.photos, sent.spoilers, strict=True) if p)
        self.transcript.add(said(f"[{self._where(sent.chat_id)}] muralist › {sent.text}",
                                 [shown, self._keyboard(sent.reply_markup)]))
        return message

    def _edit(self, method: str, params: dict[str, Any], text: str, photo: bytes | None = None) -> dict[str, Any]:
        target = self.find(int(params["chat_id"]), int(params["message_id"]))
        had_buttons = target is not None and bool(target.buttons)
        message = super()._edit(method, params, text, photo)
        if target is not None:
            # The fake has already changed a caption's text before it records the edit: compare with our copy.
            before = self.showing.get((target.chat_id, target.message_id), "")
            self.showing[target.chat_id, target.message_id] = target.shown
            spoiler = bool(target.spoilers and target.spoilers[0])
            keys = self._keyboard(target.reply_markup) or ("(its buttons are gone)" if had_buttons else "")
            self.transcript.add(said(f"  ↳ [{self._where(target.chat_id)}] edited: {edited(before, target.shown)}",
                                     [picture(photo, spoiler) if photo else "", keys]))
        return message

    async def m_deleteMessage(self, params: dict[str, Any], files: Any) -> bool:
        gone = self.find(int(params["chat_id"]), int(params["message_id"]))
        if gone is not None:
            first = gone.shown.splitlines()[0] if gone.shown else ""
            self.transcript.add(f"  ↳ [{self._where(gone.chat_id)}] deleted: {first}")
        return await super().m_deleteMessage(params, files)

    async def m_answerCallbackQuery(self, params: dict[str, Any], files: Any) -> bool:
        if params.get("text"):
            self.transcript.add(f"  (a notice pops up: {params['text']})")
        return await super().m_answerCallbackQuery(params, files)

    def say(self, uid: int, text: str, chat_id: int | None = None, lang: str = "en", **kwargs: Any) -> None:
        self.transcript.add(f"[{self._where(chat_id or uid)}] {NAMES[uid]} › {text}")
        super().say(uid, text, chat_id, lang, **kwargs)

    def press(self, uid: int, data: str, message: Sent) -> None:
        label = next(b["text"] for row in (message.reply_markup or {}).get("inline_keyboard", []) for b in row
                     if b["callback_data"] == data)
        self.transcript.add(f"[{self._where(message.chat_id)}] {NAMES[uid]} presses [{label}]")
        super().press(uid, data, message)


async def telegram_session(runtime: Runtime, transcript: Transcript) -> None:
    ada, bob, mo = 21, 22, 23
    fake = RecordingTelegram(transcript)
    await fake.start()
    app = build_application(runtime, token=fake_telegram.TOKEN, base_url=fake.base_url, base_file_url=fake.file_url,
                            admin_ids=frozenset({mo}), sweep_interval=0.5)

    def count() -> int:
        return len(fake.sent)

    async def answered(action: Callable[[], None], more: int = 1) -> None:
        before = count()
        action()
        await until(lambda: count() >= before + more)

    try:
        async with fake_telegram.polling(app):
            # Before the transcript: the bot's moderator chose the moderators' chat; Bob accepted the licence.
            await answered(lambda: fake.say(mo, "/modchat", chat_id=MOD_CHAT))
            await answered(lambda: fake.say(bob, "/accept", chat_id=GROUP))
            transcript.start()

            await answered(lambda: fake.say(ada, "/help", chat_id=GROUP))
            await answered(lambda: fake.say(ada, "/accept", chat_id=GROUP))
            fake.say(ada, "/imagine a red fox in the snow --steps 40 --size 512x512 --seed 7", chat_id=GROUP)
            post = (await until(lambda: [s for s in fake.sent if s.chat_id == GROUP and s.photos and s.buttons
                                         and not s.text.startswith("Job")]))[0]
            await settle()  # the progress message goes once the result is posted
            await answered(lambda: fake.press(ada, next(b for b in post.buttons if ":info:" in b), post))
            await answered(lambda: fake.say(ada, "/quota", chat_id=GROUP))
            await answered(lambda: fake.say(ada, "/imagine a n.u.d.e woman", chat_id=GROUP))
            await answered(lambda: fake.press(bob, next(b for b in post.buttons if ":report:" in b), post))
            mod_post = (await until(lambda: [s for s in fake.sent if s.chat_id == MOD_CHAT and s.photos]))[0]
            approve = next(b for b in mod_post.buttons if b.startswith("mr:mod_approve:"))
            fake.press(mo, approve, mod_post)
            await until(lambda: mod_post.edits)
            await settle()
            transcript.stop()
    finally:
        await fake.stop()


# --- running it ------------------------------------------------------------------------------------------------------

SESSIONS: dict[str, Callable[[Runtime, Transcript], Coroutine[Any, Any, None]]] = {
    "discord": discord_session, "telegram": telegram_session}


def transcript_of(platform: str, data_dir: Path) -> str:
    runtime = build_runtime(Settings(data_dir=data_dir / platform))
    try:
        transcript = Transcript()
        asyncio.run(SESSIONS[platform](runtime, transcript))
        return transcript.text()
    finally:
        runtime.close()


def main(argv: list[str]) -> int:
    platforms = argv or list(SESSIONS)
    unknown = [p for p in platforms if p not in SESSIONS]
    if unknown:
        print(f"unknown platform {unknown[0]!r}; choose from {', '.join(SESSIONS)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="muralist-transcripts-") as tmp:
        for platform in platforms:
            out = transcript_of(platform, Path(tmp))
            # The fakes' tokens stand for real ones: a transcript that shows one would teach people to paste theirs.
            for secret in (DISCORD_TOKEN, fake_telegram.TOKEN, fake_telegram.TOKEN.split(":")[1]):
                if secret in out:
                    print(f"{platform}: the transcript shows a token; not printed", file=sys.stderr)
                    return 1
            print(f"--- {platform} ---\n{out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
