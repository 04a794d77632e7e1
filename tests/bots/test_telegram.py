"""The real python-telegram-bot Application against the fake Bot API: what members and moderators see."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from bots.telegram.app import build_application
from bots.telegram.translate import PLATFORM
from core.config import Settings
from core.domain import Requester
from core.runtime import Runtime, build_runtime
from core.storage.models import JobRow, ModerationEventRow
from tests.bots.fake_telegram import TOKEN, FakeTelegram, polling
from tests.bots.waiting import finished_unannounced

ADA, BOB, MO, ZHANG = 21, 22, 23, 24
CARTOONIST = 25
PREFERRER = 26  # a member of their own, so their defaults reach no other test's jobs
ALBUMIST = 27
MOD_CHAT = -1001


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    rt = build_runtime(Settings(data_dir=tmp_path_factory.mktemp("telegram"), rate_limit_jobs=1000,
                                max_queued_jobs_per_user=50))
    yield rt
    rt.close()


Scenario = Callable[[FakeTelegram], Awaitable[None]]


async def _with_app(fake: FakeTelegram, runtime: Runtime, scenario: Scenario, deliver: bool) -> None:
    app = build_application(runtime, token=TOKEN, base_url=fake.base_url, base_file_url=fake.file_url,
                            admin_ids=frozenset({MO}), deliver=deliver, sweep_interval=0.3)
    async with polling(app):
        await scenario(fake)


def run(runtime: Runtime, *scenarios: Scenario, deliver: list[bool] | None = None) -> FakeTelegram:
    """Each scenario runs in a fresh Application against the same fake Bot API (a restart between them)."""
    async def main() -> FakeTelegram:
        fake = FakeTelegram()
        await fake.start()
        try:
            for i, scenario in enumerate(scenarios):
                await _with_app(fake, runtime, scenario, (deliver or [True] * len(scenarios))[i])
        finally:
            await fake.stop()
        return fake

    return asyncio.run(main())


async def accept(fake: FakeTelegram, uid: int) -> None:
    fake.say(uid, "/accept")
    await fake.wait_for(lambda: any("accepted" in x for x in fake.texts(uid)))


async def swept(fake: FakeTelegram, runtime: Runtime, uid: int) -> None:
    """Wait until a delivery sweep has run since now: one would have sent again whatever was still undelivered."""
    job_id = finished_unannounced(runtime, Requester(PLATFORM, str(uid), str(uid)), "a job nobody announced")
    await fake.wait_for(lambda: any(job_id in x for x in fake.texts(uid)))


def jobs(runtime: Runtime) -> int:
    with runtime.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(JobRow)).scalar_one()


def test_start_shows_the_licence_with_an_accept_button_then_imagine_sends_one_photo(runtime: Runtime) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        fake.say(ADA, "/imagine a red fox in the snow")
        await fake.wait_for(lambda: any("/license" in x for x in fake.texts(ADA)))
        fake.say(ADA, "/start")
        licence = await fake.wait_for(lambda: [s for s in fake.sent if s.chat_id == ADA and s.buttons])
        assert "CreativeML Open RAIL-M" in licence[0].text and licence[0].buttons == ["mr:accept"]
        fake.press(ADA, "mr:accept", licence[0])
        await fake.wait_for(lambda: any("accepted" in a.get("text", "") for a in fake.answers))
        fake.say(ADA, "/imagine a red fox in the snow --seed 9")
        (photo,) = await fake.wait_for(lambda: fake.photos(ADA))
        assert photo.photos[0][:8] == b"\x89PNG\r\n\x1a\n" and photo.spoilers == [False]
        assert "seed 9" in photo.text and photo.buttons[0].startswith("mr:reroll:")
        assert any(b.startswith("mr:report:") for b in photo.buttons)
        await swept(fake, runtime, ADA)
        assert len(fake.photos(ADA)) == 1

    run(runtime, scenario)


def test_count_sends_a_media_group_then_the_buttons(runtime: Runtime) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        await accept(fake, BOB)
        fake.say(BOB, "/imagine two lanterns --count 2")
        group = await fake.wait_for(lambda: [s for s in fake.sent if s.chat_id == BOB and s.method == "sendMediaGroup"]
                                    if len([s for s in fake.sent if s.method == "sendMediaGroup"
                                            and s.chat_id == BOB]) == 2 else None)
        assert len(group) == 2
        buttons = await fake.wait_for(lambda: [s for s in fake.sent if s.chat_id == BOB and s.buttons
                                               and s.method == "sendMessage" and s.text.startswith("Job")])
        assert [b.split(":")[1] for b in buttons[0].buttons] == ["reroll", "edit", "info", "upscale", "upscale",
                                                                  "variations", "variations", "report", "report",
                                                                  "delete", "delete"]

    run(runtime, scenario)


def test_blocked_prompt_bad_flags_and_odd_messages_get_sentences_and_make_nothing(runtime: Runtime) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        await accept(fake, ADA)
        before = jobs(runtime)
        for text, says in [("/imagine a n.u.d.e woman", "blocked by the content rules"),
                           ("/imagine a fox --size 7x7", "multiple of 8"),
                           ("/imagine a fox --steps 1000000", "Steps must be"),
                           ("/imagine a fox --bogus 1", "Unknown option --bogus"),
                           ("/imagine " + "y" * 5000, "limit is 1000"),
                           ("/frobnicate", "do not know that command")]:
            fake.say(ADA, text)
            await fake.wait_for(lambda says=says: any(says in x for x in fake.texts(ADA)))
        for kind, says in [("sticker", "only read text"), ("voice", "only read text"),
                           ("photo", "send it again with a caption")]:
            fake.send_other(ADA, kind)
            await fake.wait_for(lambda says=says: any(says in x for x in fake.texts(ADA)))
        fake.press(ADA, "mr:reroll:nosuchjob", fake.sent[-1])
        await fake.wait_for(lambda: any("no longer exists" in x for x in fake.texts(ADA)))
        fake.press(ADA, "mr:frobnicate:nosuchjob", fake.sent[-1])  # a button from an older version of the bot
        await fake.wait_for(lambda: any(a.get("text") == "That job no longer exists." for a in fake.answers))
        # Every answer above comes after the gates that refused it, so a job would already be written.
        assert jobs(runtime) == before and fake.photos(ADA) == []

    run(runtime, scenario)


def test_chinese_members_are_answered_in_chinese(runtime: Runtime) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        fake.say(ZHANG, "/imagine 一只狐狸", lang="zh-hans")
        await fake.wait_for(lambda: any("许可协议" in x for x in fake.texts(ZHANG)))
        fake.say(ZHANG, "/cancel nosuchjob1", lang="zh-hans")
        await fake.wait_for(lambda: any("你没有可取消的任务 nosuchjob1" in x for x in fake.texts(ZHANG)))
        fake.say(ZHANG, "/imagine 一只狐狸 --bogus 1", lang="zh-hans")
        await fake.wait_for(lambda: any("--bogus" in x for x in fake.texts(ZHANG)))
        fake.say(ZHANG, "/frobnicate", lang="zh-hans")
        await fake.wait_for(lambda: any("我不认识这个命令" in x for x in fake.texts(ZHANG)))
        fake.say(ZHANG, "/help", lang="zh-hans")
        await fake.wait_for(lambda: any("今天剩余" in x for x in fake.texts(ZHANG)))
        # The result is delivered later, by the delivery loop, still in the language the member asked in.
        fake.say(ZHANG, "/accept", lang="zh-hans")
        await fake.wait_for(lambda: any("谢谢" in x for x in fake.texts(ZHANG)))
        fake.say(ZHANG, "/imagine 一只狐狸", lang="zh-hans")
        (result,) = await fake.wait_for(lambda: fake.photos(ZHANG))
        assert "种子" in result.text and "任务" in result.text and "seed" not in result.text
        fake.send_photo(ZHANG, b"definitely not a picture", "一座城堡", lang="zh-hans")
        await fake.wait_for(lambda: any("不是图片（请发送" in x for x in fake.texts(ZHANG)))
        # The "/" menu: Chinese for Chinese apps, English for everyone else, the same commands in both.
        assert fake.menus["zh"]["imagine"] == "根据提示词生成图片" and fake.menus["zh"]["quota"] == "已用和剩余的图片数"
        assert fake.menus[""]["imagine"] == "Make pictures from a prompt"
        assert list(fake.menus["zh"]) == list(fake.menus[""]) and "ban" not in fake.menus[""]

    run(runtime, scenario)


def test_reports_reach_the_moderators_chat_and_non_moderators_are_refused(runtime: Runtime) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        fake.admins.add(BOB)  # even a group's own admin: the moderators' chat is one for the whole bot
        fake.say(BOB, "/modchat", chat_id=MOD_CHAT)
        await fake.wait_for(lambda: any("Only moderators" in x for x in fake.texts(MOD_CHAT)))
        fake.admins.discard(BOB)
        fake.say(MO, "/modchat", chat_id=MOD_CHAT)
        await fake.wait_for(lambda: any("will be posted in this chat" in x for x in fake.texts(MOD_CHAT)))
        await accept(fake, ADA)
        fake.say(ADA, "/imagine a castle on a hill")
        (public,) = await fake.wait_for(lambda: fake.photos(ADA))
        fake.press(BOB, next(b for b in public.buttons if b.startswith("mr:report:")), public)
        (mod_post,) = await fake.wait_for(lambda: fake.photos(MOD_CHAT))
        assert mod_post.spoilers == [True] and "a castle on a hill" in mod_post.text
        approve = next(b for b in mod_post.buttons if b.startswith("mr:mod_approve:"))
        fake.press(BOB, approve, mod_post)
        await fake.wait_for(lambda: any(a.get("text") == "Only moderators can do that." and
                                        a.get("show_alert") in ("true", "True") for a in fake.answers))
        fake.press(MO, next(b for b in mod_post.buttons if b.startswith("mr:mod_remove:")), mod_post)
        await fake.wait_for(lambda: public.deleted)
        fake.say(BOB, "/ban telegram:21 7d spam")
        await fake.wait_for(lambda: any("Only moderators" in x for x in fake.texts(BOB)))
        fake.say(MO, "/ban telegram:21 7d spam")
        await fake.wait_for(lambda: any("banned until" in x for x in fake.texts(MO)))
        fake.say(ADA, "/imagine a castle")
        await fake.wait_for(lambda: any("banned from making pictures" in x for x in fake.texts(ADA)))
        fake.say(MO, "/unban telegram:21")
        await fake.wait_for(lambda: any("may make pictures again" in x for x in fake.texts(MO)))

    run(runtime, scenario)
    with runtime.engine.connect() as conn:
        denied = conn.execute(select(func.count()).select_from(ModerationEventRow)
                              .where(ModerationEventRow.action == "denied")).scalar_one()
    assert denied >= 3  # /modchat, the Approve button and /ban by someone who is not a moderator


def test_a_restart_before_delivery_still_delivers_exactly_once(runtime: Runtime) -> None:
    state: dict[str, Any] = {}

    async def before_restart(fake: FakeTelegram) -> None:
        await accept(fake, ADA)
        fake.say(ADA, "/imagine a windmill in a storm")
        line = await fake.wait_for(lambda: [x for x in fake.texts(ADA) if x.startswith("Job ")])
        state["job"] = line[0].split()[1]
        await fake.wait_for(lambda: runtime.repo.get_job(state["job"]).status.value == "done")  # type: ignore[union-attr]

    async def after_restart(fake: FakeTelegram) -> None:
        await fake.wait_for(lambda: fake.photos(ADA))
        await swept(fake, runtime, ADA)

    fake = run(runtime, before_restart, after_restart, after_restart, deliver=[False, True, True])
    assert len([p for p in fake.photos(ADA) if "a windmill in a storm" in p.text]) == 1


def test_a_photo_or_a_picture_file_with_a_caption_is_image_to_image(runtime: Runtime) -> None:
    from io import BytesIO

    from PIL import Image

    buf = BytesIO()
    Image.new("RGB", (96, 64), (30, 90, 200)).save(buf, format="JPEG")

    async def scenario(fake: FakeTelegram) -> None:
        await accept(fake, BOB)
        fake.send_photo(BOB, buf.getvalue(), "a castle at night --strength 0.7")
        (photo,) = await fake.wait_for(lambda: [p for p in fake.photos(BOB) if "a castle at night" in p.text])
        assert Image.open(BytesIO(photo.photos[0])).size == (96, 64)  # the input's size on the model's grid
        fake.send_photo(BOB, b"definitely not a picture", "a castle")
        await fake.wait_for(lambda: any("not a picture" in x for x in fake.texts(BOB)))
        png = BytesIO()
        Image.new("RGB", (128, 96), (200, 90, 30)).save(png, format="PNG")
        fake.send_document(BOB, png.getvalue(), "a lighthouse at noon")
        (photo,) = await fake.wait_for(lambda: [p for p in fake.photos(BOB) if "a lighthouse at noon" in p.text])
        assert Image.open(BytesIO(photo.photos[0])).size == (128, 96)
        # A download is bounded by the bytes that arrive, not the 1 KB the file claims.
        fake.send_photo(BOB, None, "an endless castle")
        await fake.wait_for(lambda: any("larger than 20 MB" in x for x in fake.texts(BOB)))

    run(runtime, scenario)


def test_an_album_makes_one_job_from_its_captioned_picture_and_says_so_once(runtime: Runtime) -> None:
    from io import BytesIO

    from PIL import Image

    def jpeg(size: tuple[int, int]) -> bytes:
        buf = BytesIO()
        Image.new("RGB", size, (30, 90, 200)).save(buf, format="JPEG")
        return buf.getvalue()

    first, other = jpeg((96, 64)), jpeg((128, 96))

    async def scenario(fake: FakeTelegram) -> None:
        await accept(fake, ALBUMIST)
        before = jobs(runtime)
        fake.send_album(ALBUMIST, [first, other, other], "/imagine a harbour at dawn")
        (photo,) = await fake.wait_for(lambda: [p for p in fake.photos(ALBUMIST) if "a harbour at dawn" in p.text])
        assert Image.open(BytesIO(photo.photos[0])).size == (96, 64)  # made from the captioned first picture
        fake.send_album(ALBUMIST, [other, other], None)  # no caption anywhere: asked for one, once
        await fake.wait_for(lambda: any("send it again with a caption" in x for x in fake.texts(ALBUMIST)))
        said = fake.texts(ALBUMIST)
        assert sum("picture with the caption; its other pictures are left out" in x for x in said) == 1
        assert sum("send it again with a caption" in x for x in said) == 1  # the first album's photos: silence
        assert jobs(runtime) == before + 1

    run(runtime, scenario)


def test_a_server_path_as_image_is_refused_without_saying_whether_it_exists(runtime: Runtime) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        await accept(fake, BOB)
        before, sent = jobs(runtime), len(fake.sent)
        for path in ("/etc/passwd", "/etc/no-such-file-here"):
            fake.say(BOB, f"/imagine cat --image {path}")
        answers = await fake.wait_for(lambda: [s.text for s in fake.sent[sent:] if s.chat_id == BOB]
                                      if len([s for s in fake.sent[sent:] if s.chat_id == BOB]) == 2 else None)
        assert answers[0] == answers[1]  # the same sentence whether or not the file exists
        assert "uploaded with the command" in answers[0] and "etc" not in answers[0] and "\n" not in answers[0]
        # Both answers come after the gates that refused them, so a job would already be written.
        assert jobs(runtime) == before and len(fake.sent) == sent + 2

    run(runtime, scenario)


def test_one_members_slow_download_does_not_hold_up_other_chats(runtime: Runtime) -> None:
    from io import BytesIO

    from PIL import Image

    buf = BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 10)).save(buf, format="PNG")

    async def scenario(fake: FakeTelegram) -> None:
        await accept(fake, BOB)
        fake.downloads_open.clear()
        try:
            fake.send_photo(BOB, buf.getvalue(), "a green field")
            fake.say(ADA, "/help")
            await fake.wait_for(lambda: any("/quota" in x for x in fake.texts(ADA)), timeout=10)
            assert not [p for p in fake.photos(BOB) if "a green field" in p.text]
        finally:
            fake.downloads_open.set()
        await fake.wait_for(lambda: [p for p in fake.photos(BOB) if "a green field" in p.text])

    run(runtime, scenario)


def test_in_a_group_the_bot_speaks_only_when_addressed_and_edits_make_nothing(runtime: Runtime) -> None:
    group = -3003

    async def scenario(fake: FakeTelegram) -> None:
        await accept(fake, ADA)
        before = jobs(runtime)
        fake.say(ADA, "hello everyone", chat_id=group)
        fake.say(BOB, "/imagine@some_other_bot a fox", chat_id=group)
        fake.say(BOB, "/frobnicate", chat_id=group)  # a bare command another bot may own
        fake.say(ADA, "/imagine a red fox", edited=True)  # an edit of an earlier /imagine: not a second job
        fake.say(ADA, "wow, love this one!", chat_id=group, reply_to_bot=True)
        await fake.wait_for(lambda: any("only read text" in t for t in fake.texts(group)))
        # Two addressed round trips after the chatter: by the second answer every earlier update was handled.
        for _ in range(2):
            fake.say(ADA, "/help@muralist_bot", chat_id=group)
            count = len(fake.texts(group))
            await fake.wait_for(lambda count=count: len(fake.texts(group)) > count)
        said = fake.texts(group)
        assert len(said) == 3 and sum("/quota" in t for t in said) == 2  # the reply answer + two /help
        assert not any("do not know" in t for t in said)
        assert jobs(runtime) == before

    run(runtime, scenario)


def test_verify_a_picture_by_caption_or_by_reply(runtime: Runtime) -> None:
    from io import BytesIO

    from tests.fakes import natural_picture

    unmarked = BytesIO()
    natural_picture(256, 6).save(unmarked, format="JPEG", quality=85)

    async def scenario(fake: FakeTelegram) -> None:
        await accept(fake, ADA)
        fake.say(ADA, "/imagine a windmill by a canal --seed 31")
        (photo,) = await fake.wait_for(lambda: [p for p in fake.photos(ADA) if "a windmill by a canal" in p.text])
        job_id = next(t.split()[1] for t in fake.texts(ADA) if t.startswith("Job ") and "accepted" in t)
        made_before = jobs(runtime)

        fake.send_document(ADA, photo.photos[0], "/verify")  # the maker, as a file
        mine = await fake.wait_for(lambda: [t for t in fake.texts(ADA) if t.startswith("Made here")])
        assert mine[0].startswith(f"Made here: job {job_id}, picture 1, ") and mine[0].endswith(f"by member{ADA}.")
        fake.send_photo(BOB, photo.photos[0], "/verify")  # someone else, in another chat
        theirs = await fake.wait_for(lambda: [t for t in fake.texts(BOB) if t.startswith("Made here")])
        assert theirs[0].endswith("by a member (hidden).")
        fake.say(BOB, "/verify", reply_to_photo=unmarked.getvalue())
        await fake.wait_for(lambda: "No mark from this service found in this picture." in fake.texts(BOB))
        fake.say(BOB, "/verify")
        await fake.wait_for(lambda: any("reply /verify to a picture" in t for t in fake.texts(BOB)))
        assert jobs(runtime) == made_before  # a /verify caption is not an image-to-image request

    run(runtime, scenario)


def test_a_429_is_waited_out_and_the_picture_arrives_once(runtime: Runtime) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        await accept(fake, ADA)
        fake.too_many["sendPhoto"] = 1  # Telegram's flood control answers the first picture with retry_after 2
        fake.say(ADA, "/imagine a flooded lighthouse --seed 12")
        (photo,) = await fake.wait_for(lambda: [p for p in fake.photos(ADA) if "a flooded lighthouse" in p.text])
        tries = [when for method, when in fake.calls if method == "sendPhoto"]
        # retry_after honoured and the send retried then, not after the delivery loop's 5 s failure backoff
        assert len(tries) == 2 and 2.0 <= tries[1] - tries[0] < 4.5
        await swept(fake, runtime, ADA)  # a later sweep does not send it again
        assert len([p for p in fake.photos(ADA) if "a flooded lighthouse" in p.text]) == 1
# --- HTML parse mode, the console's commands, others' buttons ---------------------------------------------------------


def _job_of(line: str) -> str:
    return line.split()[1]


def test_captions_and_replies_are_html_with_every_member_supplied_value_escaped(runtime: Runtime) -> None:
    prompt = "<b>x</b> & co"

    async def scenario(fake: FakeTelegram) -> None:
        await accept(fake, ADA)
        fake.say(ADA, f"/imagine {prompt} --seed 4")
        (photo,) = await fake.wait_for(lambda: [p for p in fake.photos(ADA) if prompt in p.text])
        # Shown as typed (the fake parses HTML as Telegram does: an unescaped tag would be bold "x", a bare & a 400).
        assert photo.parse_mode == "HTML" and "&lt;b&gt;x&lt;/b&gt; &amp; co" in photo.source
        accepted_reply = next(s for s in fake.sent if s.chat_id == ADA and s.text.startswith("Job "))
        job_id = _job_of(accepted_reply.text)
        assert accepted_reply.parse_mode == "HTML" and f"<code>{job_id}</code>" in accepted_reply.source
        assert f"<code>{job_id}</code>" in photo.source  # a tap copies the id for /reroll, /upscale, /report
        fake.say(ADA, "/history")
        await fake.wait_for(lambda: any(prompt in x and job_id in x for x in fake.texts(ADA)))
        fake.say(ADA, f"/reroll {job_id}")  # its answer and picture are HTML too
        await fake.wait_for(lambda: len([p for p in fake.photos(ADA) if prompt in p.text]) == 2)
        assert all(e.parse_mode == "HTML" for e in fake.edits)
        fake.say(ADA, "/imagine a fox --count 2")
        group = await fake.wait_for(lambda: [s for s in fake.sent if s.chat_id == ADA
                                             and s.method == "sendMediaGroup" and "a fox" in s.text])
        assert group[0].parse_mode == "HTML"
        # Every text and caption (the second picture of a group has none) went out as HTML, and parsed.
        assert fake.refused == [] and all(s.parse_mode == "HTML" for s in fake.sent if s.chat_id == ADA and s.source)

    run(runtime, scenario)


def test_a_voice_note_is_heard_then_made_like_a_typed_prompt(runtime: Runtime) -> None:
    from tests.speech import as_voice_note, spoken_wav

    note = as_voice_note(spoken_wav("a lighthouse on a cliff at sunset"))

    async def scenario(fake: FakeTelegram) -> None:
        await accept(fake, ZHANG)
        fake.send_voice(ZHANG, note, duration=3)
        (heard,) = await fake.wait_for(lambda: [t for t in fake.texts(ZHANG) if t.startswith("I heard: ")], 120)
        assert "lighthouse" in heard.lower().replace(" ", ""), heard  # espeak-ng 1.51: "light house"
        (photo,) = await fake.wait_for(lambda: fake.photos(ZHANG), 120)
        assert heard.removeprefix("I heard: ") in photo.text  # the caption repeats the prompt: the words heard
        before = jobs(runtime)
        fake.send_voice(ZHANG, note, duration=75)  # refused on the stated length, before any download
        await fake.wait_for(lambda: "Voice messages up to 60 seconds, please." in fake.texts(ZHANG))
        fake.send_voice(ZHANG, b"OggS but not audio", duration=2)
        await fake.wait_for(lambda: any(t.startswith("I could not read that recording") for t in fake.texts(ZHANG)))
        assert jobs(runtime) == before

    run(runtime, scenario)


def test_mod_web_sends_a_group_admin_a_private_link_for_that_group(runtime: Runtime) -> None:
    from core.runtime import build_web_console

    group = -4004

    async def scenario(fake: FakeTelegram) -> None:
        fake.admins.add(BOB)
        fake.say(ZHANG, "/mod web", chat_id=group)
        await fake.wait_for(lambda: any("Only moderators" in x for x in fake.texts(group)))
        fake.say(BOB, "/mod web", chat_id=group)
        await fake.wait_for(lambda: any("private message" in x for x in fake.texts(group)))
        (link,) = await fake.wait_for(lambda: [x for x in fake.texts(BOB) if "/login/" in x])
        assert "/login/" not in " ".join(fake.texts(group))  # never shown to the group
        links.append(link.split()[-1])

    links: list[str] = []
    run(runtime, scenario)
    console, close = build_web_console(runtime.settings)
    try:
        signed = console.sign_in(links[0].rsplit("/", 1)[1])
        assert signed is not None and signed[1].account == f"telegram:{BOB}"
        assert signed[1].chats == frozenset({f"telegram:{group}"}) and not signed[1].admin
    finally:
        close()
def test_every_console_command_answers_on_telegram(runtime: Runtime) -> None:
    from io import BytesIO

    from PIL import Image

    async def answer(fake: FakeTelegram, uid: int, command: str, says: str) -> str:
        count = len(fake.texts(uid))
        fake.say(uid, command)
        found = await fake.wait_for(lambda: [x for x in fake.texts(uid)[count:] if says in x])
        return str(found[0])

    async def scenario(fake: FakeTelegram) -> None:
        await accept(fake, BOB)
        helped = await answer(fake, BOB, "/help", "/styles, /models")
        assert "A voice message (up to 60 s)" in helped and "🙂 Fix faces under a result" in helped
        await answer(fake, BOB, "/styles", "ink — Chinese ink wash")
        await answer(fake, BOB, "/models", "miniature — ")
        await answer(fake, BOB, "/imagine a quiet harbour --seed 11", "accepted")
        (first,) = await fake.wait_for(lambda: [p for p in fake.photos(BOB) if "a quiet harbour" in p.text])
        job_id = first.text.split("job ")[-1].split()[0]
        await answer(fake, BOB, "/reroll", "Say which job: /reroll JOB.")
        await answer(fake, BOB, f"/reroll {job_id}", "accepted")
        await fake.wait_for(lambda: len([p for p in fake.photos(BOB) if "a quiet harbour" in p.text]) == 2)
        await answer(fake, BOB, "/upscale", "Use /upscale JOB[:N]")
        await answer(fake, BOB, f"/upscale {job_id}:1 --factor 2", "accepted")
        bigger = await fake.wait_for(lambda: [p for p in fake.photos(BOB) if "Made with" in p.text])
        assert Image.open(BytesIO(bigger[0].photos[0])).size == (256, 256)
        await answer(fake, BOB, f"/variations {job_id} --count 2", "accepted")
        await fake.wait_for(lambda: [s for s in fake.sent if s.chat_id == BOB and s.method == "sendMediaGroup"])
        await answer(fake, BOB, "/variations --count x", "Use /variations JOB[:N]")
        await answer(fake, BOB, "/report", "Say which picture: /report JOB")
        await answer(fake, BOB, f"/report {job_id} 1 looks odd", f"picture 1 of job {job_id} is reported")
        await answer(fake, BOB, "/appeal", "Appeal a blocked picture with /appeal JOB [N]")
        await answer(fake, BOB, f"/appeal {job_id}", "has no blocked picture 1 to appeal")
        code = (await answer(fake, BOB, "/link", "/link")).split()
        assert code  # a code to enter on another platform
        await answer(fake, BOB, "/unlink", "not linked to another one")
        await answer(fake, BOB, "/settings", "Only this chat's admins")
        await answer(fake, BOB, "/quota", "Jobs waiting or running")
        await answer(fake, BOB, "/history", job_id)
        await answer(fake, BOB, "/license", "CreativeML Open RAIL-M")
        fake.say(BOB, "/cancel nosuchjob2")
        await fake.wait_for(lambda: any("no job nosuchjob2" in x for x in fake.texts(BOB)))
        assert not any("do not know that command" in x for x in fake.texts(BOB))

    run(runtime, scenario)


def test_someone_elses_buttons_follow_the_groups_setting(runtime: Runtime) -> None:
    group = -4004

    async def scenario(fake: FakeTelegram) -> None:
        await accept(fake, ADA)
        await accept(fake, BOB)
        fake.say(ADA, "/imagine@muralist_bot a paper boat", chat_id=group)
        (photo,) = await fake.wait_for(lambda: [p for p in fake.photos(group) if "a paper boat" in p.text])
        reroll = next(b for b in photo.buttons if b.startswith("mr:reroll:"))
        # By default anyone may press; the reply says whose picture it was and who pays.
        fake.press(BOB, reroll, photo)
        await fake.wait_for(lambda: any("This was member21's picture; the new job is charged to you." in x
                                        for x in fake.texts(group)))
        await fake.wait_for(lambda: len([p for p in fake.photos(group) if "a paper boat" in p.text]) == 2)
        # Members may not change it; the group's admins may, and see the settings.
        fake.say(BOB, "/settings others_buttons owner", chat_id=group)
        await fake.wait_for(lambda: any("Only this chat's admins" in x for x in fake.texts(group)))
        fake.admins.add(ADA)
        try:
            fake.say(ADA, "/settings others_buttons owner", chat_id=group)
            await fake.wait_for(lambda: any("others_buttons is now owner" in x for x in fake.texts(group)))
            fake.say(ADA, "/settings", chat_id=group)
            await fake.wait_for(lambda: any("others_buttons: owner" in x for x in fake.texts(group)))
        finally:
            fake.admins.discard(ADA)
        before = jobs(runtime)
        fake.press(BOB, reroll, photo)
        await fake.wait_for(lambda: any("only member21 may reroll" in x for x in fake.texts(group)))
        assert jobs(runtime) == before  # refused before anything was written or charged
        fake.press(ADA, reroll, photo)  # the owner still may
        await fake.wait_for(lambda: len([p for p in fake.photos(group) if "a paper boat" in p.text]) == 3)

    run(runtime, scenario)


def test_a_groups_limit_refuses_in_one_sentence_and_a_members_default_style_is_used(runtime: Runtime) -> None:
    group = -4005

    async def scenario(fake: FakeTelegram) -> None:
        await accept(fake, PREFERRER)
        fake.say(PREFERRER, "/settings max_steps 10", chat_id=group)  # a member: no
        await fake.wait_for(lambda: any("Only this chat's admins" in x for x in fake.texts(group)))
        fake.admins.add(ADA)
        try:
            fake.say(ADA, "/settings max_steps 10", chat_id=group)
            await fake.wait_for(lambda: any("This chat's max_steps is now 10." in x for x in fake.texts(group)))
        finally:
            fake.admins.discard(ADA)
        before = jobs(runtime)
        fake.say(PREFERRER, "/imagine@muralist_bot a fox --steps 30", chat_id=group)
        await fake.wait_for(lambda: "This chat allows at most 10 steps, and you asked for 30; nothing was queued."
                            in fake.texts(group))
        assert jobs(runtime) == before
        fake.say(PREFERRER, "/prefs style ink", chat_id=group)
        await fake.wait_for(lambda: any("Your default style is now ink" in x for x in fake.texts(group)))
        fake.say(PREFERRER, "/imagine@muralist_bot a fox in the reeds", chat_id=group)
        (photo,) = await fake.wait_for(lambda: [p for p in fake.photos(group) if "a fox in the reeds" in p.text])
        assert "Chinese ink wash painting" in photo.text  # the style's words, in what the member sees
        (job,) = runtime.app.history(Requester(PLATFORM, str(PREFERRER)), 5)
        assert (job.spec.style, job.steps) == ("ink", 8)
        fake.say(PREFERRER, "/prefs", chat_id=group)
        await fake.wait_for(lambda: any("style: ink" in x and "sampler: —" in x for x in fake.texts(group)))

    run(runtime, scenario)


@pytest.fixture(scope="module")
def review_runtime(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Every picture lands in the review band: each goes out behind a spoiler and to the moderators' chat."""
    rt = build_runtime(Settings(data_dir=tmp_path_factory.mktemp("telegram-review"), rate_limit_jobs=1000,
                                max_queued_jobs_per_user=50, image_review_threshold=0.0, image_block_threshold=1.0))
    yield rt
    rt.close()


def test_moderators_posts_say_who_did_what_and_change_only_their_picture(review_runtime: Runtime) -> None:
    runtime = review_runtime

    async def scenario(fake: FakeTelegram) -> None:
        fake.say(MO, "/modchat", chat_id=MOD_CHAT)
        await fake.wait_for(lambda: any("will be posted in this chat" in x for x in fake.texts(MOD_CHAT)))
        await accept(fake, ADA)
        fake.say(ADA, "/imagine two lanterns --count 2")
        group = await fake.wait_for(lambda: [s for s in fake.photos(ADA) if s.method == "sendMediaGroup"]
                                    if len([s for s in fake.photos(ADA) if s.method == "sendMediaGroup"]) == 2
                                    else None)
        assert [p.spoilers for p in group] == [[True], [True]]
        posts = await fake.wait_for(lambda: fake.photos(MOD_CHAT) if len(fake.photos(MOD_CHAT)) == 2 else None)
        first, second = sorted(posts, key=lambda p: p.buttons[0])
        assert "by member21 (@member21)" in first.text and "user #" not in first.text

        # One report per member per picture.
        buttons = next(s for s in fake.sent if s.chat_id == ADA and s.method == "sendMessage" and s.buttons)
        report = next(b for b in buttons.buttons if b.startswith("mr:report:") and b.endswith(":0"))
        for _ in range(2):
            fake.press(BOB, report, buttons)
        await fake.wait_for(lambda: any(a.get("text") == "You already reported this picture." for a in fake.answers))
        await fake.wait_for(lambda: len(fake.photos(MOD_CHAT)) == 3)
        await asyncio.sleep(0.5)  # the refused second report must not have sent a post of its own
        assert len(fake.photos(MOD_CHAT)) == 3

        # An admin of the moderators' chat is a moderator there, on the buttons as on the commands.
        fake.admins.add(BOB)
        approve = next(b for b in second.buttons if b.startswith("mr:mod_approve:"))
        fake.press(BOB, approve, second)
        await fake.wait_for(lambda: "✅ Approved by member22 at" in second.text)
        assert second.buttons == []  # nothing left to press: Approve cannot be pressed twice
        await fake.wait_for(lambda: [e.method for e in group[1].edits] == ["editMessageMedia"])
        assert group[1].spoilers == [False] and not group[1].deleted and group[1].photos[0][:4] == b"\x89PNG"
        assert group[0].spoilers == [True] and group[0].edits == []  # the other picture is untouched
        fake.press(BOB, approve, second)  # an old copy of the button
        await fake.wait_for(lambda: any(a.get("text") == "Already approved by member22." for a in fake.answers))

        # Removing picture 1 takes down only picture 1 (its caption moves to the picture left); the post says so
        # and keeps only Ban.
        assert "two lanterns" in group[0].text and "two lanterns" not in group[1].text
        fake.press(MO, next(b for b in first.buttons if b.startswith("mr:mod_remove:")), first)
        await fake.wait_for(lambda: group[0].deleted)
        assert not group[1].deleted and "🗑 Removed by member23 at" in first.text
        assert [b.split(":")[1] for b in first.buttons] == ["mod_ban_7d"]
        await fake.wait_for(lambda: [e.method for e in buttons.edits] == ["editMessageReplyMarkup"]
                            and "two lanterns" in group[1].text)
        assert not any(b.endswith(":0") for b in buttons.buttons)  # no Upscale/Report for the picture that is gone

        fake.press(MO, first.buttons[0], first)
        await fake.wait_for(lambda: "⛔ Author banned until" in first.text)
        assert first.buttons == [] and any("member21 (@member21) is banned until" in a.get("text", "")
                                           for a in fake.answers)
        fake.say(ADA, "/imagine a lantern")
        await fake.wait_for(lambda: any("banned from making pictures until" in x for x in fake.texts(ADA)))
        said = next(x for x in fake.texts(ADA) if "banned from making pictures" in x)
        assert said.endswith(": picture removed by a moderator.") and "channel" not in said and "chat" not in said

        # Members are named by @username or by a reply, and their history names who did what.
        fake.say(MO, "/unban @member21", chat_id=MOD_CHAT)
        await fake.wait_for(lambda: any("member21 (@member21) may make pictures again" in x
                                        for x in fake.texts(MOD_CHAT)))
        fake.say(BOB, "/ban 1d spamming the group", chat_id=MOD_CHAT, reply_to=ADA)
        await fake.wait_for(lambda: any(x.startswith("member21 (@member21) is banned until")
                                        for x in fake.texts(MOD_CHAT)))
        fake.say(MO, "/modhistory @member21", chat_id=MOD_CHAT)
        history = await fake.wait_for(lambda: [x for x in fake.texts(MOD_CHAT) if x.startswith("Moderation history")])
        assert history[0].splitlines()[0] == "Moderation history of member21 (@member21):"
        assert " ban by member22: spamming the group" in history[0] and " approve by member22" in history[0]
        assert "telegram:" not in history[0]
        fake.admins.discard(BOB)
        fake.say(BOB, "/unban @member21", chat_id=-4004)  # an admin elsewhere is no moderator
        await fake.wait_for(lambda: any("Only moderators" in x for x in fake.texts(-4004)))

    run(runtime, scenario)


def test_a_picture_captioned_cartoon_comes_back_as_a_cartoon(fresh_runtime: Runtime) -> None:
    runtime = fresh_runtime
    from io import BytesIO

    from PIL import Image

    buf = BytesIO()
    Image.new("RGB", (96, 64), (30, 90, 200)).save(buf, format="JPEG")

    async def scenario(fake: FakeTelegram) -> None:  # a member of its own: the module's others spent their quota
        await accept(fake, CARTOONIST)
        fake.send_photo(CARTOONIST, buf.getvalue(), "/cartoon my dog")
        (photo,) = await fake.wait_for(lambda: [p for p in fake.photos(CARTOONIST) if "a cartoon of my dog" in p.text])
        assert Image.open(BytesIO(photo.photos[0])).size == (96, 64)  # the photo's own size
        job_id = photo.text.split("job ")[-1].split()[0]
        job = runtime.repo.get_job(job_id)
        assert job is not None and (job.spec.kind, job.spec.style) == ("img2img", "cartoon")
        fake.say(CARTOONIST, "/cartoon")
        await fake.wait_for(lambda: any("Use /cartoon JOB[:N]" in x for x in fake.texts(CARTOONIST)))
        fake.say(CARTOONIST, f"/cartoon {job_id}:1 a puppy")
        await fake.wait_for(lambda: [p for p in fake.photos(CARTOONIST) if "a cartoon of a puppy" in p.text])

    run(runtime, scenario)


def test_restore_without_a_face_model_says_so_before_any_download(runtime: Runtime) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        await accept(fake, BOB)
        made = jobs(runtime)
        fake.say(BOB, "/restore")
        await fake.wait_for(lambda: any("Use /restore JOB[:N]" in x for x in fake.texts(BOB)))
        fake.say(BOB, "/restore abcdefghjk")
        await fake.wait_for(lambda: any("not configured a face model" in x for x in fake.texts(BOB)))
        # An endless "photo": answered at once, so nothing was read from it.
        fake.send_photo(BOB, None, "/restore")
        await fake.wait_for(lambda: len([x for x in fake.texts(BOB) if "not configured a face model" in x]) == 2)
        assert not any("larger than 20 MB" in x for x in fake.texts(BOB))
        assert jobs(runtime) == made

    run(runtime, scenario)


# --- result buttons: 📋 info, 🖋 edit and run again, ❌ delete ------------------------------------------------------


NIA = 27  # a member of these tests only: the module's earlier tests spend ADA's daily quota


def test_info_answers_under_the_result_and_edit_asks_for_a_prompt_by_force_reply(fresh_runtime: Runtime) -> None:
    runtime = fresh_runtime  # a stack of its own: what earlier tests queued does not delay it
    async def scenario(fake: FakeTelegram) -> None:
        await accept(fake, NIA)
        fake.say(NIA, "/imagine a clay teapot --seed 12 --steps 3 --no steam")
        await fake.wait_for(lambda: any("accepted" in x for x in fake.texts(NIA)[-1:]))
        # The module's earlier tests may leave jobs in the one embedded worker's queue: allow for them.
        (photo,) = await fake.wait_for(lambda: [p for p in fake.photos(NIA) if "a clay teapot" in p.text], 180)
        job_id = next(b for b in photo.buttons if b.startswith("mr:info:")).split(":")[2]
        assert photo.reply_markup is not None
        assert [b["text"] for b in photo.reply_markup["inline_keyboard"][0]] == ["Reroll", "🖋 Edit", "📋 Info"]
        assert not any(b.startswith("mr:restore:") for b in photo.buttons)  # no face model configured here

        fake.press(NIA, f"mr:info:{job_id}", photo)
        (info,) = await fake.wait_for(lambda: [x for x in fake.texts(NIA) if x.startswith(f"Job {job_id} (txt2img")])
        assert "Negative: steam" in info and "Seed: 12" in info and "Steps 3" in info
        assert "/imagine a clay teapot --negative steam --seed 12 --steps 3" in info

        fake.press(NIA, f"mr:edit:{job_id}", photo)
        (asked,) = await fake.wait_for(lambda: [s for s in fake.sent if s.chat_id == NIA
                                                 and s.text.startswith("Send the new prompt")])
        assert job_id in asked.text and asked.reply_markup is not None
        assert asked.reply_markup["force_reply"] is True
        assert asked.reply_markup["input_field_placeholder"] == "a clay teapot"

        # A member's own message that copies the question is not the bot's question: nothing is made.
        before = jobs(runtime)
        fake.say(NIA, "a stolen prompt", reply_to_sent=asked, forged_by=BOB)
        await fake.wait_for(lambda: fake.texts(NIA)[-1].startswith("I can only read text here"))
        assert jobs(runtime) == before

        fake.say(NIA, "a glass teapot", reply_to_sent=asked)
        (again,) = await fake.wait_for(lambda: [p for p in fake.photos(NIA) if "a glass teapot" in p.text], 180)
        assert "seed 12" in again.text  # only the words changed
        new_job = runtime.repo.get_job(next(b for b in again.buttons if b.startswith("mr:info:")).split(":")[2])
        assert new_job is not None and (new_job.negative_prompt, new_job.steps) == ("steam", 3)

    run(runtime, scenario)


def test_delete_takes_the_picture_down_for_its_author_only(fresh_runtime: Runtime) -> None:
    runtime = fresh_runtime  # a stack of its own: what earlier tests queued does not delay it
    group = -4005

    async def scenario(fake: FakeTelegram) -> None:
        await accept(fake, NIA)
        fake.say(NIA, "/imagine@muralist_bot a sand castle", chat_id=group)
        await fake.wait_for(lambda: any("accepted" in x for x in fake.texts(group)[-1:]))
        (photo,) = await fake.wait_for(lambda: [p for p in fake.photos(group) if "a sand castle" in p.text], 180)
        delete = next(b for b in photo.buttons if b.startswith("mr:delete:"))
        assert delete.endswith(":0")
        fake.press(BOB, delete, photo)
        await fake.wait_for(lambda: any(a.get("text") == "Only the member who made this picture, or a moderator, "
                                        "can delete it." for a in fake.answers))
        assert not photo.deleted
        fake.press(NIA, delete, photo)
        await fake.wait_for(lambda: photo.deleted)
        assert any("is deleted" in a.get("text", "") for a in fake.answers)
        fake.press(NIA, delete, photo)  # a second press (the message was still on their screen)
        await fake.wait_for(lambda: any("already deleted" in a.get("text", "") for a in fake.answers))

    run(runtime, scenario)
    with runtime.engine.connect() as conn:
        own = conn.execute(select(func.count()).select_from(ModerationEventRow)
                           .where(ModerationEventRow.action == "delete_own")).scalar_one()
    assert own == 1


# --- Fix faces: the operator's face model over one picture, from a button under the result -------------------------


FACER = 28  # a member of this test only


def test_fix_faces_under_a_result_restores_that_picture_charged_like_upscale(faces_runtime: Runtime) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        await accept(fake, FACER)
        fake.say(FACER, "/imagine a portrait of a sailor --seed 4")
        (photo,) = await fake.wait_for(lambda: [p for p in fake.photos(FACER) if "a sailor" in p.text], 180)
        assert photo.reply_markup is not None
        rows = [[b["text"] for b in row] for row in photo.reply_markup["inline_keyboard"]]
        assert ["🙂 Fix faces"] in rows
        job_id = photo.text.split("job ")[-1].split()[0]
        fake.press(FACER, f"mr:restore:{job_id}:0", photo)
        await fake.wait_for(lambda: any("accepted" in x for x in fake.texts(FACER)[-1:]))
        (fixed,) = await fake.wait_for(lambda: [p for p in fake.photos(FACER) if "face restorer" in p.text], 180)
        assert "Made with face restorer (no face found)." in fixed.text
        assert not any(b.startswith("mr:restore:") for b in fixed.buttons)  # not restored twice
        fake.say(FACER, "/quota")
        await fake.wait_for(lambda: any("Used 2 of 25" in x for x in fake.texts(FACER)))  # one made, one fixed

    run(faces_runtime, scenario)
