"""The real discord.py client against the fake Discord: what members and moderators see."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bots.discord import configure_endpoints
from bots.discord.client import MuralistDiscord
from bots.discord.translate import PLATFORM
from core.config import Settings
from core.domain import Requester
from core.runtime import Runtime, build_runtime
from core.storage.models import JobRow, ModerationEventRow
from tests.bots.fake_discord import GENERAL, GUILD_ID, MODS, FakeDiscord, SentMessage
from tests.bots.waiting import finished_unannounced

ADA, BOB, MO = 11, 12, 13
CARTOONIST = 14
PREFERRER = 15  # a member of their own, so their defaults reach no other test's jobs


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path_factory.mktemp("discord"), rate_limit_jobs=1000,
                        max_queued_jobs_per_user=50)
    rt = build_runtime(settings)
    yield rt
    rt.close()


Scenario = Callable[[FakeDiscord, MuralistDiscord], Awaitable[None]]


async def _with_bot(fake: FakeDiscord, runtime: Runtime, scenario: Scenario, deliver: bool = True) -> None:
    bot = MuralistDiscord(runtime, guild_ids=[GUILD_ID], deliver=deliver)
    bot.delivery.sweep_interval = 0.3
    fake.identified.clear()
    task = asyncio.create_task(bot.start("fake-token"))
    try:
        await asyncio.wait_for(bot.synced.wait(), 30)
        await asyncio.wait_for(bot.wait_until_ready(), 30)
        await scenario(fake, bot)
    finally:
        await bot.close()
        await asyncio.wait_for(task, 10)


def run(runtime: Runtime, *scenarios: Scenario, deliver: list[bool] | None = None,
        guild_locale: str = "en-US") -> FakeDiscord:
    """Each scenario runs in a fresh bot process against the same fake Discord (a restart between them), whose
    server's language is ``guild_locale``."""
    async def main() -> FakeDiscord:
        fake = FakeDiscord()
        fake.guild_locale = guild_locale
        await fake.start()
        configure_endpoints(fake.api_base, fake.ws_url)
        try:
            for i, scenario in enumerate(scenarios):
                await _with_bot(fake, runtime, scenario, (deliver or [True] * len(scenarios))[i])
        finally:
            await fake.stop()
        return fake

    return asyncio.run(main())


def results(fake: FakeDiscord, channel: int = GENERAL) -> list[Any]:
    return [m for m in fake.messages if m.channel_id == channel and m.files and not m.deleted]


async def accepted(fake: FakeDiscord, uid: int) -> None:
    inter = await fake.slash("accept", uid)
    await fake.wait_for(lambda: "accepted" in inter.last_text or "already" in inter.last_text)


def test_imagine_is_refused_before_the_licence_then_delivers_a_png_with_buttons(runtime: Runtime) -> None:
    async def scenario(fake: FakeDiscord, bot: MuralistDiscord) -> None:
        refused = await fake.slash("imagine", ADA, prompt="a red fox in the snow")
        await fake.wait_for(lambda: "/license" in refused.last_text)
        assert refused.callbacks[0]["type"] == 5  # deferred at once, within Discord's 3 seconds
        shown = await fake.slash("license", ADA)
        await fake.wait_for(lambda: shown.callbacks)
        assert "CreativeML Open RAIL-M" in shown.callbacks[0]["data"]["content"]
        button = shown.callbacks[0]["data"]["components"][0]["components"][0]["custom_id"]
        assert button == f"muralist:accept:{ADA}"
        job = await fake.slash("imagine", ADA, prompt="a red fox in the snow", seed=5)
        await fake.wait_for(lambda: "accepted" in job.last_text or "/license" in job.last_text)
        assert "/license" in job.last_text  # the licence message alone accepted nothing
        await accepted(fake, ADA)
        job = await fake.slash("imagine", ADA, prompt="a red fox in the snow", seed=5)
        (message,) = await fake.wait_for(lambda: results(fake))
        assert f"<@{ADA}>" in message.content and "seed 5" in message.content
        (name, data), = message.files
        assert name.endswith(".png") and not name.startswith("SPOILER_") and data[:8] == b"\x89PNG\r\n\x1a\n"
        assert any(c.startswith("muralist:reroll:") for c in message.custom_ids)
        assert any(c.startswith("muralist:report:") for c in message.custom_ids)
        assert "accepted" in job.edits[0]
        upscale = next(c for c in message.custom_ids if c.startswith("muralist:upscale:"))
        assert any(c.startswith("muralist:variations:") for c in message.custom_ids)
        await fake.press(upscale, ADA, message)
        bigger = (await fake.wait_for(lambda: results(fake)[1:]))[0]
        from io import BytesIO

        from PIL import Image

        assert Image.open(BytesIO(bigger.files[0][1])).size == (256, 256)
        assert not any(c.startswith("muralist:upscale:") for c in bigger.custom_ids)  # no upscale of an upscale

    run(runtime, scenario)


def test_reroll_by_another_member_delivers_another_picture_charged_to_them(runtime: Runtime) -> None:
    async def scenario(fake: FakeDiscord, bot: MuralistDiscord) -> None:
        await accepted(fake, ADA)
        await accepted(fake, BOB)
        await fake.slash("imagine", ADA, prompt="a lighthouse at dusk")
        (first,) = await fake.wait_for(lambda: results(fake))
        reroll = next(c for c in first.custom_ids if c.startswith("muralist:reroll:"))
        press = await fake.press(reroll, BOB, first)
        second = (await fake.wait_for(lambda: results(fake)[1:]))[0]
        assert f"<@{BOB}>" in second.content and "a lighthouse at dusk" in second.content
        assert "accepted" in press.edits[0]  # then the same reply shows the job's progress
        quota = await fake.slash("quota", BOB)
        await fake.wait_for(lambda: "Used 1 of 25" in quota.last_text)

    run(runtime, scenario)


def test_blocked_prompt_and_bad_options_get_a_sentence_and_make_nothing(runtime: Runtime) -> None:
    async def scenario(fake: FakeDiscord, bot: MuralistDiscord) -> None:
        await accepted(fake, ADA)
        before = _jobs(runtime)
        cases = [({"prompt": "a n.u.d.e woman"}, "blocked by the content rules"),
                 ({"prompt": "a fox", "size": "7x7"}, "multiple of 8"),
                 ({"prompt": "a fox", "steps": 10**6}, "Steps must be"),
                 ({"prompt": "x" * 5000}, "limit is 1000"),
                 ({"prompt": "a fox", "size": "huge"}, "WIDTHxHEIGHT")]
        for options, says in cases:
            inter = await fake.slash("imagine", ADA, **options)
            await fake.wait_for(lambda inter=inter, says=says: says in inter.last_text)
        # Every answer above comes after the gates that refused it, so a job would already be written.
        assert results(fake) == [] and _jobs(runtime) == before

    run(runtime, scenario)


def test_moderators_channel_report_and_refused_non_moderator(runtime: Runtime) -> None:
    async def scenario(fake: FakeDiscord, bot: MuralistDiscord) -> None:
        await accepted(fake, ADA)
        denied = await fake.slash("mod", BOB, sub="setup", channel=("channel", MODS))
        await fake.wait_for(lambda: "Only moderators" in denied.last_text)
        setup = await fake.slash("mod", MO, moderator=True, sub="setup", channel=("channel", MODS))
        await fake.wait_for(lambda: "will be posted" in setup.last_text)
        await fake.slash("imagine", ADA, prompt="a castle on a hill")
        (public,) = await fake.wait_for(lambda: results(fake))
        report_id = next(c for c in public.custom_ids if c.startswith("muralist:report:"))
        reported = await fake.press(report_id, BOB, public)
        await fake.wait_for(lambda: "reported" in reported.last_text)
        (mod_post,) = await fake.wait_for(lambda: results(fake, MODS))
        assert "report" in mod_post.content and "a castle on a hill" in mod_post.content
        assert mod_post.files[0][0].startswith("SPOILER_")
        approve = next(c for c in mod_post.custom_ids if c.startswith("muralist:mod_approve:"))
        refused = await fake.press(approve, BOB, mod_post)
        await fake.wait_for(lambda: "Only moderators" in refused.last_text)
        remove = next(c for c in mod_post.custom_ids if c.startswith("muralist:mod_remove:"))
        removed = await fake.press(remove, MO, mod_post, moderator=True)
        await fake.wait_for(lambda: "removed" in " ".join(removed.followups) and public.deleted)
        assert "🗑 Removed by member13" in mod_post.content  # the post says who removed it
        ban = next(c for c in mod_post.custom_ids if c.startswith("muralist:mod_ban:"))
        asked = await fake.press(ban, MO, mod_post, moderator=True)
        await fake.wait_for(lambda: asked.callbacks)
        choices = asked.callbacks[0]["data"]["components"]
        labels = [c["label"] for row in choices for c in row["components"]]
        assert labels == ["1 day", "7 days", "30 days", "Permanent"]
        week = SentMessage(0, MODS, "Ban the requester for how long?", [], choices)
        banned = await fake.press(choices[0]["components"][1]["custom_id"], MO, week, moderator=True)
        await fake.wait_for(lambda: "banned until" in banned.last_text)
        refused = await fake.slash("imagine", ADA, prompt="a castle on a hill")
        await fake.wait_for(lambda: "banned from making pictures until" in refused.last_text)
        unban = await fake.slash("mod", MO, moderator=True, sub="unban", user=("user", ADA))
        await fake.wait_for(lambda: "may make pictures again" in unban.last_text)
        # A button on an old message whose job is gone (its custom id is all the bot gets).
        stale = SentMessage(public.id, GENERAL, "old", [], [{"type": 1, "components": [
            {"type": 2, "style": 1, "label": "Reroll", "custom_id": "muralist:reroll:nosuchjob"}]}])
        gone = await fake.press("muralist:reroll:nosuchjob", BOB, stale)
        await fake.wait_for(lambda: "no longer exists" in gone.last_text)

    run(runtime, scenario)
    with runtime.engine.connect() as conn:
        denied = conn.execute(select(func.count()).select_from(ModerationEventRow)
                              .where(ModerationEventRow.action == "denied")).scalar_one()
    assert denied >= 2  # the refused /mod setup and the refused button, both logged


def test_a_restart_between_finished_and_delivered_delivers_exactly_once(runtime: Runtime) -> None:
    async def before_restart(fake: FakeDiscord, bot: MuralistDiscord) -> None:
        await accepted(fake, ADA)
        inter = await fake.slash("imagine", ADA, prompt="a windmill in a storm")
        await fake.wait_for(lambda: "accepted" in inter.last_text)
        job_id = inter.last_text.split()[1]
        await fake.wait_for(lambda: runtime.repo.get_job(job_id).status.value == "done")  # type: ignore[union-attr]

    async def after_restart(fake: FakeDiscord, bot: MuralistDiscord) -> None:
        await fake.wait_for(lambda: results(fake))
        # A sweep has run since, which would have posted the windmill again were it still taken for undelivered.
        job_id = finished_unannounced(runtime, Requester(PLATFORM, str(ADA), str(GENERAL)), "a job nobody announced")
        await fake.wait_for(lambda: [m for m in fake.messages if job_id in m.content])

    fake = run(runtime, before_restart, after_restart, after_restart, deliver=[False, True, True])
    posted = [m for m in results(fake) if "a windmill in a storm" in m.content]
    assert len(posted) == 1


def _jobs(runtime: Runtime) -> int:
    with runtime.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(JobRow)).scalar_one()


def test_endpoints_are_settings(tmp_path: Path) -> None:
    import discord.gateway
    import discord.http

    configure_endpoints("http://127.0.0.1:1/api/v10/", "ws://127.0.0.1:1/gateway")
    assert discord.http.Route.BASE == "http://127.0.0.1:1/api/v10"
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:1/gateway"


def test_imagine_with_an_attached_picture_is_image_to_image(runtime: Runtime) -> None:
    from io import BytesIO

    from PIL import Image

    buf = BytesIO()
    Image.new("RGB", (128, 64), (200, 120, 40)).save(buf, format="PNG")

    async def scenario(fake: FakeDiscord, bot: MuralistDiscord) -> None:
        await accepted(fake, ADA)
        await fake.slash("imagine", ADA, prompt="a sunset over the sea", image=("attachment", buf.getvalue()),
                         strength=0.7)
        (message,) = await fake.wait_for(lambda: [m for m in results(fake) if "a sunset over the sea" in m.content])
        assert Image.open(BytesIO(message.files[0][1])).size == (128, 64)
        bad = await fake.slash("imagine", ADA, prompt="a sunset", image=("attachment", b"not a picture at all"))
        await fake.wait_for(lambda: "not a picture" in bad.last_text)
        # The stated size is only a claim: an endless body said to be 1 KB is cut off by the bytes that arrive.
        liar = await fake.slash("imagine", ADA, prompt="a sunset", image=("attachment", None, 1024))
        await fake.wait_for(lambda: "larger than 20 MB" in liar.last_text)

    run(runtime, scenario)


def test_mod_web_gives_a_moderator_a_one_time_link_for_this_channel(runtime: Runtime) -> None:
    from core.runtime import build_web_console

    links: list[str] = []

    async def scenario(fake: FakeDiscord, bot: MuralistDiscord) -> None:
        refused = await fake.slash("mod", BOB, sub="web")
        await fake.wait_for(lambda: "Only moderators" in refused.last_text)
        asked = await fake.slash("mod", MO, moderator=True, sub="web")
        await fake.wait_for(lambda: "/login/" in asked.last_text)
        assert "within 10 minutes" in asked.last_text
        links.append(asked.last_text.split()[-1])

    run(runtime, scenario)
    console, close = build_web_console(runtime.settings)
    try:
        signed = console.sign_in(links[0].rsplit("/", 1)[1])
        assert signed is not None
        assert signed[1].account == f"discord:{MO}" and signed[1].chats == frozenset({f"discord:{GENERAL}"})
        assert not signed[1].admin
        assert console.sign_in(links[0].rsplit("/", 1)[1]) is None
    finally:
        close()
# --- the console's commands, /settings, others' buttons ---------------------------------------------------------------


def test_every_console_command_answers_on_discord(runtime: Runtime) -> None:
    from io import BytesIO

    from PIL import Image

    async def answer(fake: FakeDiscord, says: str, name: str, uid: int = BOB, **options: Any) -> str:
        inter = await fake.slash(name, uid, **options)
        await fake.wait_for(lambda: says in inter.last_text)
        return inter.last_text

    async def scenario(fake: FakeDiscord, bot: MuralistDiscord) -> None:
        await accepted(fake, BOB)
        helped = await answer(fake, "/styles, /models", "help")
        assert "/imagine voice:RECORDING, or a voice message sent to me directly" in helped
        assert "🙂 Fix faces under a result" in helped
        await answer(fake, "ink — Chinese ink wash", "styles")
        await answer(fake, "miniature — ", "models")
        typed = await fake.autocomplete("imagine", BOB, "style", "paper")  # a name or a word of its description
        await fake.wait_for(lambda: typed.callbacks)
        assert typed.callbacks[0]["type"] == 8
        assert [c["value"] for c in typed.callbacks[0]["data"]["choices"]] == ["watercolor"]
        made = await answer(fake, "accepted", "imagine", prompt="a quiet harbour", style="ink", sampler="ddim",
                            seed=11, steps=5, count=1)
        job_id = made.split()[1]
        (first,) = await fake.wait_for(lambda: [m for m in results(fake) if job_id in m.content])
        assert "Chinese ink wash painting" in first.content and "seed 11" in first.content  # the style's words
        job = runtime.repo.get_job(job_id)
        assert job is not None and (job.spec.sampler, job.spec.style, job.steps) == ("ddim", "ink", 5)
        rerolled = (await answer(fake, "accepted", "reroll", job=job_id)).split()[1]
        await fake.wait_for(lambda: [m for m in results(fake) if rerolled in m.content])
        bigger = (await answer(fake, "accepted", "upscale", picture=f"{job_id}:1", factor=2)).split()[1]
        (enlarged,) = await fake.wait_for(lambda: [m for m in results(fake) if bigger in m.content])
        assert Image.open(BytesIO(enlarged.files[0][1])).size == (256, 256)
        varied = (await answer(fake, "accepted", "variations", picture=job_id, count=2)).split()[1]
        (near,) = await fake.wait_for(lambda: [m for m in results(fake) if varied in m.content])
        assert len(near.files) == 2
        await answer(fake, f"picture 1 of job {job_id} is reported", "report", job=job_id, number=1,
                     reason="looks odd")
        await answer(fake, "has no blocked picture 1 to appeal", "appeal", target=job_id)
        await answer(fake, "/link", "link")
        await answer(fake, "not linked to another one", "unlink")
        await answer(fake, "Only moderators", "settings")
        await answer(fake, job_id, "history")
        await answer(fake, "no job nosuchjob3", "cancel", job="nosuchjob3")

    run(runtime, scenario)


def test_someone_elses_buttons_follow_the_channels_setting(runtime: Runtime) -> None:
    async def scenario(fake: FakeDiscord, bot: MuralistDiscord) -> None:
        await accepted(fake, ADA)
        await accepted(fake, BOB)
        await fake.slash("imagine", ADA, prompt="a paper lantern")
        (picture,) = await fake.wait_for(lambda: [m for m in results(fake) if "a paper lantern" in m.content])
        reroll = next(c for c in picture.custom_ids if c.startswith("muralist:reroll:"))
        upscale = next(c for c in picture.custom_ids if c.startswith("muralist:upscale:"))
        # By default anyone may press; the reply says whose picture it was and who pays.
        pressed = await fake.press(reroll, BOB, picture)
        await fake.wait_for(lambda: "This was member11's picture; the new job is charged to you." in pressed.last_text)
        await fake.wait_for(lambda: len([m for m in results(fake) if "a paper lantern" in m.content]) == 2)
        owner_only = await fake.slash("settings", MO, moderator=True, setting="others_buttons", value="owner")
        await fake.wait_for(lambda: "others_buttons is now owner" in owner_only.last_text)
        shown = await fake.slash("settings", MO, moderator=True)
        await fake.wait_for(lambda: "others_buttons: owner" in shown.last_text)
        before = _jobs(runtime)
        refused = await fake.press(upscale, BOB, picture)
        await fake.wait_for(lambda: "only member11 may reroll, upscale or vary" in refused.last_text)
        assert _jobs(runtime) == before  # nothing written, nothing charged
        own = await fake.press(upscale, ADA, picture)  # the owner still may
        await fake.wait_for(lambda: "accepted" in own.last_text and "This was" not in own.last_text)
        back = await fake.slash("settings", MO, moderator=True, setting="others_buttons", value="anyone")
        await fake.wait_for(lambda: "others_buttons is now anyone" in back.last_text)

    run(runtime, scenario)


def test_a_channels_limit_refuses_in_one_sentence_and_a_members_default_style_is_used(runtime: Runtime) -> None:
    async def scenario(fake: FakeDiscord, bot: MuralistDiscord) -> None:
        await accepted(fake, PREFERRER)
        refused = await fake.slash("settings", PREFERRER, setting="max_steps", value="10")  # a member: no
        await fake.wait_for(lambda: "Only moderators" in refused.last_text)
        limited = await fake.slash("settings", MO, moderator=True, setting="max_steps", value="10")
        await fake.wait_for(lambda: "This chat's max_steps is now 10." in limited.last_text)
        try:
            before = _jobs(runtime)
            asked = await fake.slash("imagine", PREFERRER, prompt="a fox", steps=30)
            await fake.wait_for(lambda: asked.last_text)
            assert asked.last_text == ("This chat allows at most 10 steps, and you asked for 30; nothing was "
                                       "queued.")
            assert _jobs(runtime) == before
            chosen = await fake.slash("prefs", PREFERRER, setting="style", value="ink")
            await fake.wait_for(lambda: "Your default style is now ink" in chosen.last_text)
            made = await fake.slash("imagine", PREFERRER, prompt="a fox in the reeds")
            await fake.wait_for(lambda: "accepted" in made.last_text)
            (picture,) = await fake.wait_for(lambda: [m for m in results(fake) if "a fox in the reeds" in m.content])
            assert "Chinese ink wash painting" in picture.content  # the style's words, in what the member sees
            job = runtime.repo.get_job(made.last_text.split()[1])
            assert job is not None and (job.spec.style, job.steps) == ("ink", 8)
        finally:
            back = await fake.slash("settings", MO, moderator=True, setting="max_steps", value="off")
            await fake.wait_for(lambda: "no longer set" in back.last_text)

    run(runtime, scenario)


def test_verify_reads_the_mark_of_a_delivered_picture(runtime: Runtime) -> None:
    from io import BytesIO

    from PIL import Image

    from tests.fakes import natural_picture

    unmarked = BytesIO()
    natural_picture(256, 5).save(unmarked, format="JPEG", quality=85)

    async def scenario(fake: FakeDiscord, bot: MuralistDiscord) -> None:
        await accepted(fake, ADA)
        job = await fake.slash("imagine", ADA, prompt="a tiled roof in the rain", seed=21)
        (message,) = await fake.wait_for(lambda: [m for m in results(fake) if "a tiled roof in the rain" in m.content])
        job_id = job.edits[0].split()[1]  # "Job ID accepted …"
        png = message.files[0][1]
        here = await fake.slash("verify", BOB, picture=("attachment", png))
        await fake.wait_for(lambda: "Made here" in here.last_text)
        assert here.callbacks[0]["type"] == 5  # deferred: reading the mark takes a moment
        assert here.last_text.startswith(f"Made here: job {job_id}, picture 1, ") and "(hidden)" not in here.last_text
        elsewhere = await fake.slash("verify", BOB, in_channel=MODS, picture=("attachment", png))
        await fake.wait_for(lambda: "Made here" in elsewhere.last_text)
        assert elsewhere.last_text.endswith("by a member (hidden).")  # another channel learns only "made here"
        stranger = await fake.slash("verify", BOB, picture=("attachment", unmarked.getvalue()))
        await fake.wait_for(lambda: "No mark" in stranger.last_text)
        junk = await fake.slash("verify", BOB, picture=("attachment", b"not a picture at all"))
        await fake.wait_for(lambda: "not a picture" in junk.last_text)
        assert Image.open(BytesIO(png)).size == (128, 128)

    run(runtime, scenario)
    with runtime.engine.connect() as conn:
        checks = conn.execute(select(func.count()).select_from(ModerationEventRow)
                              .where(ModerationEventRow.action == "verify")).scalar_one()
    assert checks == 3  # the unreadable file is refused before anything is checked


@pytest.fixture(scope="module")
def review_runtime(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Every picture lands in the review band: each goes out behind a spoiler and to the moderators' channel."""
    rt = build_runtime(Settings(data_dir=tmp_path_factory.mktemp("discord-review"), rate_limit_jobs=1000,
                                max_queued_jobs_per_user=50, image_review_threshold=0.0, image_block_threshold=1.0))
    yield rt
    rt.close()


def test_moderators_posts_say_who_did_what_and_change_only_their_picture(review_runtime: Runtime) -> None:
    async def scenario(fake: FakeDiscord, bot: MuralistDiscord) -> None:
        setup = await fake.slash("mod", MO, moderator=True, sub="setup", channel=("channel", MODS))
        await fake.wait_for(lambda: "will be posted" in setup.last_text)
        await accepted(fake, ADA)
        await fake.slash("imagine", ADA, prompt="two lanterns", count=2)
        (public,) = await fake.wait_for(lambda: results(fake))
        assert [name.startswith("SPOILER_") for name, _ in public.files] == [True, True]
        posts = await fake.wait_for(lambda: results(fake, MODS) if len(results(fake, MODS)) == 2 else None)
        first, second = sorted(posts, key=lambda p: p.custom_ids[0])
        assert f"by member{ADA} (<@{ADA}>)" in first.content and "user #" not in first.content

        report = next(c for c in public.custom_ids if c.startswith("muralist:report:") and c.endswith(":0"))
        reported = await fake.press(report, BOB, public)
        await fake.wait_for(lambda: "reported" in reported.last_text)
        again = await fake.press(report, BOB, public)
        await fake.wait_for(lambda: again.last_text == "You already reported this picture.")
        await fake.wait_for(lambda: len(results(fake, MODS)) == 3)

        approve = next(c for c in first.custom_ids if c.startswith("muralist:mod_approve:"))
        job = approve.split(":")[2]
        approved = await fake.press(approve, MO, first, moderator=True)
        # The post itself is edited in answer to the press; the moderator is told privately, in a follow-up.
        await fake.wait_for(lambda: approved.followups == [f"Picture 1 of job {job} approved."])
        assert f"✅ Approved by member{MO} at" in first.content and first.custom_ids == []
        await fake.wait_for(lambda: len(public.edits) == 1)
        assert sorted(name for name, _ in public.files) == [f"SPOILER_muralist-{job}-2.png", f"muralist-{job}-1.png"]
        # The report made a second post of picture 1: its Approve is harmless now, and brings that post up to date.
        (reported_post,) = [p for p in results(fake, MODS) if p not in (first, second)]
        assert approve in reported_post.custom_ids
        twice = await fake.press(approve, MO, reported_post, moderator=True)
        await fake.wait_for(lambda: twice.followups == [f"Already approved by member{MO}."])
        assert f"✅ Approved by member{MO} at" in reported_post.content and reported_post.custom_ids == []
        assert len(public.edits) == 1  # nothing changed twice

        remove = next(c for c in second.custom_ids if c.startswith("muralist:mod_remove:"))
        removed = await fake.press(remove, MO, second, moderator=True)
        await fake.wait_for(lambda: removed.followups == [f"Picture 2 of job {job} removed."]
                            and len(public.edits) == 2)
        assert [name for name, _ in public.files] == [f"muralist-{job}-1.png"] and not public.deleted
        assert not any(c.endswith(":1") for c in public.custom_ids)  # no buttons for the picture that is gone
        assert f"🗑 Removed by member{MO} at" in second.content
        assert [c.split(":")[1] for c in second.custom_ids] == ["mod_ban"]

        asked = await fake.press(second.custom_ids[0], MO, second, moderator=True)
        await fake.wait_for(lambda: asked.callbacks)
        choices = asked.callbacks[0]["data"]["components"]
        week = choices[0]["components"][1]["custom_id"]
        assert week == f"muralist:mod_ban_7d:{job}:1:{second.id}"  # the choice knows which post to edit
        banned = await fake.press(week, MO, SentMessage(0, MODS, "Ban the requester for how long?", [], choices),
                                  moderator=True)
        await fake.wait_for(lambda: "⛔ Author banned until" in second.content)
        assert second.custom_ids == [] and "<@" in second.content
        assert any(f"member{ADA} (<@{ADA}>) is banned until" in (c.get("data") or {}).get("content", "")
                   for c in banned.callbacks)
        refused = await fake.slash("imagine", ADA, prompt="a lantern")
        await fake.wait_for(lambda: "banned from making pictures until" in refused.last_text)
        assert refused.last_text.endswith(": picture removed by a moderator.")

        history = await fake.slash("mod", MO, moderator=True, sub="history", user=("user", ADA))
        await fake.wait_for(lambda: "Moderation history" in history.last_text)
        lines = history.last_text.splitlines()
        assert lines[0] == f"Moderation history of member{ADA} (<@{ADA}>):"
        assert any(f" ban by member{MO}: picture removed by a moderator" in line for line in lines)
        assert "discord:" not in history.last_text

    run(review_runtime, scenario)


def test_cartoon_takes_an_attachment_or_a_job(fresh_runtime: Runtime) -> None:
    runtime = fresh_runtime
    from io import BytesIO

    from PIL import Image

    buf = BytesIO()
    Image.new("RGB", (128, 64), (200, 120, 40)).save(buf, format="PNG")

    async def scenario(fake: FakeDiscord, bot: MuralistDiscord) -> None:  # its own member: the others' quota is spent
        await accepted(fake, CARTOONIST)
        await fake.slash("cartoon", CARTOONIST, picture=("attachment", buf.getvalue()), prompt="my cat")
        (message,) = await fake.wait_for(lambda: [m for m in results(fake) if "a cartoon of my cat" in m.content])
        assert Image.open(BytesIO(message.files[0][1])).size == (128, 64)
        neither = await fake.slash("cartoon", CARTOONIST)
        await fake.wait_for(lambda: "Use /cartoon JOB[:N]" in neither.last_text)
        job_id = message.content.split("job ")[-1].split()[0]
        again = await fake.slash("cartoon", CARTOONIST, job=f"{job_id}:1")
        await fake.wait_for(lambda: "accepted" in again.last_text)

    run(runtime, scenario)


def test_restore_without_a_face_model_is_one_sentence(runtime: Runtime) -> None:
    async def scenario(fake: FakeDiscord, bot: MuralistDiscord) -> None:
        await accepted(fake, ADA)
        refused = await fake.slash("restore", ADA, job="abcdefghjk")
        await fake.wait_for(lambda: "not configured a face model" in refused.last_text)

    run(runtime, scenario)


# --- result buttons: 📋 info, 🖋 edit and run again, ❌ delete ------------------------------------------------------


NIA = 16  # a member of this test only: the module's earlier tests spend ADA's daily quota


def test_info_is_private_edit_opens_a_form_and_delete_is_for_the_author_or_a_moderator(fresh_runtime: Runtime) -> None:
    runtime = fresh_runtime  # a stack of its own: what earlier tests queued does not delay it
    async def scenario(fake: FakeDiscord, bot: MuralistDiscord) -> None:
        await accepted(fake, NIA)
        await accepted(fake, BOB)
        made = await fake.slash("imagine", NIA, prompt="a wooden boat", seed=31, count=2)
        await fake.wait_for(lambda: "accepted" in made.last_text)
        # The module's earlier tests may leave jobs in the one embedded worker's queue: allow for them.
        (public,) = await fake.wait_for(lambda: [m for m in results(fake) if "a wooden boat" in m.content], 180)
        job_id = next(c for c in public.custom_ids if c.startswith("muralist:info:")).split(":")[2]
        rows = [[c["label"] for c in row["components"]] for row in public.components]
        assert rows[0] == ["Reroll", "🖋 Edit", "📋 Info"] and rows[-1] == ["❌1", "❌2"]
        assert len(rows) == 5 and all(len(row) <= 5 for row in rows)  # Discord's limits
        assert not any(c.startswith("muralist:restore:") for c in public.custom_ids)  # no face model configured

        info = await fake.press(f"muralist:info:{job_id}", BOB, public)
        await fake.wait_for(lambda: "Seed: 1: 31, 2: 32" in info.last_text)
        assert info.callbacks[0]["data"]["flags"] & 64  # ephemeral: only the presser reads it
        assert "/imagine a wooden boat --seed 31" in info.last_text and "--count 2" in info.last_text

        edit = await fake.press(f"muralist:edit:{job_id}", BOB, public)
        await fake.wait_for(lambda: edit.callbacks)
        form = edit.callbacks[0]
        assert form["type"] == 9 and form["data"]["custom_id"] == f"muralist:edit_modal:{job_id}"
        box = form["data"]["components"][0]["components"][0]
        assert box["value"] == "a wooden boat" and box["custom_id"] == "prompt"
        sent = await fake.submit_modal(form["data"]["custom_id"], {"prompt": "a paper boat"}, BOB)
        await fake.wait_for(lambda: "accepted" in sent.last_text)
        assert "This was member16's picture; the new job is charged to you." in sent.last_text
        (remade,) = await fake.wait_for(lambda: [m for m in results(fake) if "a paper boat" in m.content], 180)
        assert f"<@{BOB}>" in remade.content and "seed 31" in remade.content

        first, second = f"muralist:delete:{job_id}:0", f"muralist:delete:{job_id}:1"
        refused = await fake.press(first, BOB, public)
        await fake.wait_for(lambda: "Only the member who made this picture" in refused.last_text)
        assert len(public.files) == 2
        shown_before = SentMessage(public.id, GENERAL, public.content, [], public.components)
        own = await fake.press(first, NIA, public)
        await fake.wait_for(lambda: "is deleted" in own.last_text and len(public.files) == 1)
        assert [name for name, _ in public.files] == [f"muralist-{job_id}-2.png"]
        assert first not in public.custom_ids and second in public.custom_ids
        again = await fake.press(first, NIA, shown_before)  # a screen that still shows the old buttons
        await fake.wait_for(lambda: "already deleted" in again.last_text)
        moderated = await fake.press(second, MO, public, moderator=True)
        await fake.wait_for(lambda: "is deleted" in moderated.last_text and public.deleted)

    run(runtime, scenario)


# --- Fix faces: the operator's face model over one picture, from a button under the result -------------------------


FACER = 17  # a member of this test only


def test_fix_faces_under_a_result_restores_that_picture_charged_like_upscale(faces_runtime: Runtime) -> None:
    async def scenario(fake: FakeDiscord, bot: MuralistDiscord) -> None:
        await accepted(fake, FACER)
        made = await fake.slash("imagine", FACER, prompt="two portraits", seed=3, count=2)
        await fake.wait_for(lambda: "accepted" in made.last_text)
        (public,) = await fake.wait_for(lambda: [m for m in results(fake) if "two portraits" in m.content], 180)
        job_id = public.content.split("job ")[-1].split()[0]
        rows = [[c["label"] for c in row["components"]] for row in public.components]
        # Five actions per picture do not fit one row per action: one row per picture instead.
        assert rows == [["Reroll", "🖋 Edit", "📋 Info"], ["U1", "V1", "Faces 1", "Report 1", "❌1"],
                        ["U2", "V2", "Faces 2", "Report 2", "❌2"]]
        pressed = await fake.press(f"muralist:restore:{job_id}:1", FACER, public)
        await fake.wait_for(lambda: "accepted" in pressed.last_text)
        (fixed,) = await fake.wait_for(lambda: [m for m in results(fake) if "face restorer" in m.content], 180)
        assert f"<@{FACER}>" in fixed.content and "Made with face restorer (no face found)." in fixed.content
        assert fixed.files[0][0].endswith("-1.png")
        assert not any(c.startswith("muralist:restore:") for c in fixed.custom_ids)  # not restored twice
        assert any(c.startswith("muralist:upscale:") for c in fixed.custom_ids)
        quota = await fake.slash("quota", FACER)
        await fake.wait_for(lambda: "Used 3 of 25" in quota.last_text)  # two pictures, then one fixed

    run(faces_runtime, scenario)


# --- voice: a recording on /imagine, or a voice message in a direct message -----------------------------------------


SPEAKER, LI = 18, 19  # members of this test only


def test_a_recording_on_imagine_or_a_voice_message_in_a_dm_is_heard_then_made(fresh_runtime: Runtime) -> None:
    from tests.speech import as_voice_note, spoken_wav

    wav = spoken_wav("a lighthouse on a cliff at sunset")
    note = as_voice_note(wav)  # Opus in Ogg, as Discord's record button makes it

    async def scenario(fake: FakeDiscord, bot: MuralistDiscord) -> None:
        await accepted(fake, SPEAKER)
        # The voice option, with a flag typed in the prompt box: the flag applies, the words are what was said.
        asked = await fake.slash("imagine", SPEAKER, prompt="--seed 5", voice=("attachment", wav, None, "prompt.wav"))
        await fake.wait_for(lambda: "accepted" in asked.last_text, 120)
        heard = asked.edits[0]  # shown before the job was submitted
        assert heard.startswith("I heard: ") and "sunset" in heard.lower(), heard
        assert asked.last_text.startswith(heard) and "accepted" in asked.last_text
        words = heard.removeprefix("I heard: ").strip()
        (public,) = await fake.wait_for(lambda: [m for m in results(fake) if words in m.content], 180)
        assert "seed 5" in public.content and f"<@{SPEAKER}>" in public.content

        # A voice message sent to the bot directly: answered there, and the pictures are posted there.
        dm = await fake.send_dm(SPEAKER, note)
        await fake.wait_for(lambda: any("accepted" in m.content for m in fake.in_channel(dm)), 120)
        said = [m.content for m in fake.in_channel(dm)]
        assert said[0].startswith("I heard: ") and "sunset" in said[0].lower(), said
        (made,) = await fake.wait_for(lambda: [m for m in fake.in_channel(dm) if m.files], 180)
        assert f"<@{SPEAKER}>" in made.content and said[0].removeprefix("I heard: ").strip() in made.content
        assert any(c.startswith("muralist:reroll:") for c in made.custom_ids)

        # Refused on the duration Discord states; a file that is not audio is read
        # and refused in one sentence; nothing is made.
        before = _jobs(fresh_runtime)
        await fake.send_dm(SPEAKER, note, voice_seconds=75)
        await fake.wait_for(lambda: any(m.content == "Voice messages up to 60 seconds, please."
                                        for m in fake.in_channel(dm)))
        await fake.send_dm(SPEAKER, b"OggS but not audio", filename="memo.ogg", voice_seconds=None)
        await fake.wait_for(lambda: any(m.content.startswith("I could not read that recording")
                                        for m in fake.in_channel(dm)))
        assert _jobs(fresh_runtime) == before

        # A member whose Discord is in Chinese hears back in Chinese, told that the shipped model knows English only.
        welcome = await fake.slash("accept", LI, locale="zh-CN")
        await fake.wait_for(lambda: welcome.last_text)
        li = await fake.send_dm(LI, note)
        (reply,) = await fake.wait_for(lambda: [m.content for m in fake.in_channel(li)
                                                if m.content.startswith("我听到的是：")], 120)
        assert reply.endswith("（这里的语音模型只能识别英语，所以我是按英语来听的。）") and "sunset" in reply.lower()

    run(fresh_runtime, scenario)


def test_slash_commands_and_options_are_described_in_chinese_for_chinese_clients(runtime: Runtime) -> None:
    async def scenario(fake: FakeDiscord, bot: MuralistDiscord) -> None:
        commands = {c["name"]: c for c in fake.commands}
        imagine = commands["imagine"]
        assert imagine["description"] == "Make pictures from a prompt"
        assert imagine["description_localizations"]["zh-CN"] == "根据提示词生成图片"
        prompt = next(o for o in imagine["options"] if o["name"] == "prompt")
        assert prompt["description_localizations"] == {"zh-CN": "要画什么", "zh-TW": "要画什么"}
        setting = next(o for o in commands["prefs"]["options"] if o["name"] == "setting")
        assert setting["description_localizations"]["zh-CN"] == "要设置什么（留空查看你的默认值）"

        def described(item: dict[str, Any], where: str) -> list[str]:
            """Everything a member reads in the command picker that has no Chinese."""
            missing = [] if "description_localizations" in item and item["description_localizations"].get(
                "zh-CN", item["description"]) != item["description"] else [where]
            for option in item.get("options") or []:
                missing += described(option, f"{where} {option['name']}")
            return missing

        untranslated = [m for c in fake.commands for m in described(c, "/" + c["name"])]
        assert untranslated == []
        assert {"imagine", "mod", "settings", "help"} <= set(commands)

    run(runtime, scenario)


def test_a_chinese_server_gets_results_and_buttons_in_chinese_and_members_their_own_language(
        fresh_runtime: Runtime) -> None:
    async def scenario(fake: FakeDiscord, bot: MuralistDiscord) -> None:
        await accepted(fake, NIA)  # an English client
        made = await fake.slash("imagine", NIA, prompt="a paper lantern", seed=8)
        await fake.wait_for(lambda: "accepted" in made.last_text)  # the private answer: the member's language
        (public,) = await fake.wait_for(lambda: [m for m in results(fake) if "a paper lantern" in m.content], 180)
        assert "种子 8" in public.content  # the channel's message: the server's language
        labels = [c["label"] for row in public.components for c in row["components"]]
        assert labels[:3] == ["重新生成", "🖋 改写", "📋 参数"]
        history = await fake.slash("history", NIA, locale="zh-CN")
        await fake.wait_for(lambda: "已完成" in history.last_text)

    run(fresh_runtime, scenario, guild_locale="zh-CN")
