"""The application facade as an adapter sees it, on the embedded stack (SQLite, in-process worker, miniature
model): the chat-to-server boundary for input pictures, the one result-action dispatcher, and the delivery
template's claim-render-mark."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from core.catalogue import render
from core.config import Settings
from core.domain import Accepted, GenerationParams, JobStatus, Notice, Rejected, Requester
from core.runtime import Runtime, build_runtime

ADA = Requester("telegram", "1", chat_id="100", display_name="ada")
BOB_SAME_CHAT = Requester("telegram", "2", chat_id="100", display_name="bob")
EVE_ELSEWHERE = Requester("telegram", "3", chat_id="300", display_name="eve")


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory, models_dir: Path):  # type: ignore[no-untyped-def]
    rt = build_runtime(Settings(data_dir=tmp_path_factory.mktemp("facade"), models_dir=models_dir,
                                rate_limit_jobs=1000, max_queued_jobs_per_user=50))
    for who in (ADA, BOB_SAME_CHAT, EVE_ELSEWHERE):
        rt.app.accept_licence(who)
    yield rt
    rt.close()


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (96, 64), (10, 200, 90)).save(buf, format="PNG")
    return buf.getvalue()


def _finished(runtime: Runtime, outcome: object) -> str:
    assert isinstance(outcome, Accepted), outcome
    job = runtime.app.wait(outcome.job_id, 120)
    assert job is not None and job.status is JobStatus.DONE
    return job.id


def test_a_chat_member_cannot_name_a_file_on_the_server(runtime: Runtime, tmp_path: Path) -> None:
    real = tmp_path / "real.png"
    real.write_bytes(_png())
    answers = {runtime.app.imagine(ADA, GenerationParams("a cat", image=path)).message
               for path in (str(real), "/etc/passwd", "/nonexistent/x.png", "../../etc/shadow", "upload:" + "0" * 64)}
    # One sentence whatever the path: it says nothing about what exists on the server.
    assert len(answers) == 1 and "uploaded" in answers.pop()
    assert runtime.app.history(ADA) == []


def test_an_upload_id_is_how_a_chat_picture_reaches_the_worker(runtime: Runtime) -> None:
    upload = runtime.app.upload(_png())
    assert isinstance(upload, str) and upload.startswith("upload:") and "/" not in upload
    job_id = _finished(runtime, runtime.app.imagine(ADA, GenerationParams("a meadow", image=upload)))
    picture = runtime.app.deliveries("telegram", "test").claim(job_id)
    assert picture is not None and Image.open(picture.pictures[0].path).size == (96, 64)
    refused = runtime.app.upload(b"not a picture at all")
    assert isinstance(refused, Rejected) and refused.code == "input"


def test_a_job_reference_works_for_its_owner_and_its_chat_only(runtime: Runtime) -> None:
    job_id = _finished(runtime, runtime.app.imagine(ADA, GenerationParams("a lighthouse", seed=3)))
    assert isinstance(runtime.app.variations(ADA, f"{job_id}:1", count=1), Accepted)
    assert isinstance(runtime.app.act_on_result(BOB_SAME_CHAT, "upscale", job_id, 0), Accepted)
    refused = runtime.app.act_on_result(EVE_ELSEWHERE, "variations", job_id, 0)
    assert isinstance(refused, Rejected) and "not one you can use here" in refused.message
    assert isinstance(runtime.app.act_on_result(EVE_ELSEWHERE, "reroll", "nosuchjob1"), Rejected)


def test_the_dispatcher_charges_the_presser_on_every_platform(runtime: Runtime) -> None:
    job_id = _finished(runtime, runtime.app.imagine(ADA, GenerationParams("a harbour at night")))
    before = runtime.app.quota(BOB_SAME_CHAT).values["used"]
    assert isinstance(runtime.app.act_on_result(BOB_SAME_CHAT, "reroll", job_id), Accepted)
    assert runtime.app.quota(BOB_SAME_CHAT).values["used"] == before + 1  # type: ignore[operator]
    report = runtime.app.act_on_result(BOB_SAME_CHAT, "report", job_id, 0)
    assert isinstance(report, Notice) and "reported" in report.message


def test_delivery_is_claimed_once_and_rendered_with_buttons(runtime: Runtime) -> None:
    job_id = _finished(runtime, runtime.app.imagine(ADA, GenerationParams("two boats", count=2, seed=9)))
    first, second = runtime.app.deliveries("telegram", "a"), runtime.app.deliveries("telegram", "b")
    message = first.claim(job_id)
    assert message is not None and second.claim(job_id) is None  # exactly once across processes
    assert message.chat_id == "100" and message.mention == "1" and len(message.pictures) == 2
    assert [(b.action, b.idx) for b in message.buttons][:5] == [("reroll", None), ("edit", None), ("info", None),
                                                                 ("upscale", 0), ("upscale", 1)]
    assert [(b.action, b.idx) for b in message.buttons][-2:] == [("delete", 0), ("delete", 1)]
    assert "seed 9" in message.lines[0].message
    first.mark(job_id, ["m1", "m2"])
    assert job_id not in first.pending()
    assert first.public_messages(job_id) == ("100", ["m1", "m2"])
    assert runtime.app.deliveries("discord", "c").claim(job_id) is None  # another platform's job is not ours


def test_a_database_outage_is_a_busy_sentence_and_charges_nothing(runtime: Runtime,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    used = runtime.app.quota(ADA).values["used"]

    def down(*_: object, **__: object) -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(runtime.repo, "find_user", down)
    refused = runtime.app.imagine(ADA, GenerationParams("a fox"))
    assert isinstance(refused, Rejected) and refused.code == "busy" and "try again" in refused.message
    monkeypatch.undo()
    assert runtime.app.quota(ADA).values["used"] == used


def test_a_failed_send_is_retried_within_seconds_and_never_stops_delivery(runtime: Runtime) -> None:
    import asyncio
    import time

    from bots.delivery_loop import DeliveryLoop
    from bots.progress_board import ProgressMessage, ProgressView
    from core.delivery import ModeratorPost, ResultMessage

    flaky = _finished(runtime, runtime.app.imagine(BOB_SAME_CHAT, GenerationParams("a flaky kite", seed=1)))
    steady = _finished(runtime, runtime.app.imagine(BOB_SAME_CHAT, GenerationParams("a steady kite", seed=2)))
    attempts: dict[str, int] = {}
    sent: list[str] = []

    class FlakySender:
        async def send_result(self, message: ResultMessage) -> list[str]:
            attempts[message.job.id] = attempts.get(message.job.id, 0) + 1
            if message.job.id == flaky and attempts[flaky] == 1:
                raise ConnectionError("the platform answered 502")
            sent.append(message.job.id)
            return [f"m-{message.job.id}"]

        async def send_moderator_post(self, post: ModeratorPost) -> None: ...
        async def delete_messages(self, chat_id: str, message_ids: list[str]) -> None: ...
        async def show_progress(self, view: ProgressView, message: ProgressMessage,
                                new_picture: bool) -> ProgressMessage:
            return message

        async def remove_progress(self, message: ProgressMessage) -> None: ...
        async def moderation_scope(self, chat_id: str) -> str | None:
            return None

    async def main() -> float:
        loop = DeliveryLoop(runtime.app, runtime.bus, "telegram", "flaky-test", FlakySender(), sweep_interval=0.2)
        start = time.monotonic()
        loop.start()
        try:
            while not {flaky, steady} <= set(sent):
                assert time.monotonic() - start < 30, (attempts, sent)
                await asyncio.sleep(0.1)
        finally:
            await loop.stop()
        return time.monotonic() - start

    took = asyncio.run(main())
    assert sent.count(flaky) == 1 and sent.count(steady) == 1 and attempts[flaky] == 2
    assert took < 15  # retried after a 5 s backoff, not at the 5-minute lease's expiry


# --- someone else's picture: the chat's others_buttons setting ------------------------------------------------------

ADA_IN_GROUP = Requester("telegram", "1", chat_id="200", display_name="ada")
BOB_IN_GROUP = Requester("telegram", "2", chat_id="200", display_name="bob")


def _used(runtime: Runtime, who: Requester) -> int:
    return int(runtime.app.quota(who).values["used"])  # type: ignore[call-overload]


def test_by_default_anyone_may_press_and_the_reply_says_whose_picture_it_was(runtime: Runtime) -> None:
    job_id = _finished(runtime, runtime.app.imagine(ADA_IN_GROUP, GenerationParams("a red kite", seed=4)))
    ada, bob = _used(runtime, ADA_IN_GROUP), _used(runtime, BOB_IN_GROUP)
    for action, idx in (("reroll", None), ("upscale", 0), ("variations", 0)):
        reply = runtime.app.act_on_result(BOB_IN_GROUP, action, job_id, idx)
        assert isinstance(reply, Accepted), (action, reply)
        assert reply.message.endswith("This was ada's picture; the new job is charged to you."), reply.message
    # Reroll 1 + upscale 1 + two variations, all on Bob; Ada pays nothing for what Bob made of her picture.
    assert _used(runtime, BOB_IN_GROUP) == bob + 4 and _used(runtime, ADA_IN_GROUP) == ada
    own = runtime.app.act_on_result(ADA_IN_GROUP, "reroll", job_id)
    assert isinstance(own, Accepted) and "picture" not in own.message  # her own: nothing to explain
    assert "这是 ada 的图片" in render(runtime.app.reroll(BOB_IN_GROUP, job_id), "zh")  # typed /reroll too


def test_owner_only_refuses_others_with_one_sentence_and_charges_nothing(runtime: Runtime) -> None:
    job_id = _finished(runtime, runtime.app.imagine(ADA_IN_GROUP, GenerationParams("a blue kite", seed=5)))
    changed = runtime.app.change_chat_setting(ADA_IN_GROUP, "others_buttons", "owner")
    assert isinstance(changed, Notice) and changed.message == "This chat's others_buttons is now owner."
    try:
        assert "others_buttons: owner" in runtime.app.chat_settings(BOB_IN_GROUP).message
        bob, jobs = _used(runtime, BOB_IN_GROUP), len(runtime.app.history(BOB_IN_GROUP, 100))
        for action, idx in (("reroll", None), ("upscale", 0), ("variations", 1)):
            refused = runtime.app.act_on_result(BOB_IN_GROUP, action, job_id, idx)
            assert isinstance(refused, Rejected) and refused.message.startswith("In this chat only ada may"), refused
        assert isinstance(runtime.app.upscale(BOB_IN_GROUP, f"{job_id}:1"), Rejected)  # typed, not only buttons
        assert _used(runtime, BOB_IN_GROUP) == bob and len(runtime.app.history(BOB_IN_GROUP, 100)) == jobs
        assert isinstance(runtime.app.act_on_result(BOB_IN_GROUP, "report", job_id, 0), Notice)  # reports still go
        assert isinstance(runtime.app.act_on_result(ADA_IN_GROUP, "upscale", job_id, 0), Accepted)  # hers
        # The setting is this chat's: in chat 100 the same member may still use others' pictures posted there.
        assert runtime.app.chat_settings(BOB_SAME_CHAT).values["others_buttons"] == "anyone"
    finally:
        runtime.app.change_chat_setting(ADA_IN_GROUP, "others_buttons", "anyone")


def test_someone_elses_job_from_another_chat_cannot_be_rerolled(runtime: Runtime) -> None:
    job_id = _finished(runtime, runtime.app.imagine(ADA_IN_GROUP, GenerationParams("a secret garden", seed=6)))
    refused = runtime.app.reroll(EVE_ELSEWHERE, job_id)
    # Her reroll would have posted Ada's prompt into Eve's chat.
    assert isinstance(refused, Rejected) and "not one you can use here" in refused.message


def test_a_bad_setting_gets_the_usage_and_changes_nothing(runtime: Runtime) -> None:
    before = runtime.app.chat_settings(ADA_IN_GROUP).values
    for name, value in (("colour", "red"), ("mod_channel", "-100")):
        refused = runtime.app.change_chat_setting(ADA_IN_GROUP, name, value)
        assert isinstance(refused, Rejected) and refused.code == "settings_usage"
    refused = runtime.app.change_chat_setting(ADA_IN_GROUP, "others_buttons", "everyone")
    assert isinstance(refused, Rejected) and refused.message == (
        "others_buttons takes one of: anyone, owner; nothing was changed.")
    assert runtime.app.chat_settings(ADA_IN_GROUP).values == before
    assert (before["nsfw"], before["others_buttons"], before["max_steps"]) == ("off", "anyone", "—")


# --- the result buttons 📋 info, 🖋 edit, ❌ delete -------------------------------------------------------------------


def _pixels(path: str) -> list[int]:
    with Image.open(path) as picture:
        return list(picture.convert("RGB").tobytes())


def test_info_tells_every_parameter_and_its_line_makes_the_same_picture_again(runtime: Runtime) -> None:
    from core.command_syntax import parse_imagine_request

    job_id = _finished(runtime, runtime.app.imagine(ADA, GenerationParams(
        "a copper kettle", negative_prompt="blurry", seed=41, steps=3, cfg=6.5, count=2, sampler="ddim")))
    job = runtime.repo.get_job(job_id)
    assert job is not None
    info = runtime.app.act_on_result(BOB_SAME_CHAT, "info", job_id)  # anyone in the chat it was posted in
    assert isinstance(info, Notice) and info.code == "picture_info"
    said = info.message
    for part in ("a copper kettle", "Negative: blurry", "Seed: 1: 41, 2: 42", "Steps 3", "CFG 6.5", "sampler ddim",
                 f"model {job.model}", "(txt2img,", f"size {job.width}x{job.height}"):
        assert part in said, (part, said)
    assert "种子：1: 41, 2: 42" in render(info, "zh")
    # The line for picture 2 alone, typed as /imagine, makes picture 2 again (same pixels, bar the invisible mark).
    second = runtime.app.picture_info(ADA, job_id, 1)
    assert isinstance(second, Notice)
    line = str(second.values["command"])
    assert "--seed 42" in line and "--count" not in line and "/data" not in line and str(job.images[1].path) not in line
    params, model = parse_imagine_request(line.removeprefix("/imagine "))
    assert (params.prompt, params.negative_prompt, params.steps, params.cfg, params.sampler, model) == (
        "a copper kettle", "blurry", 3, 6.5, "ddim", job.model)
    again = runtime.repo.get_job(_finished(runtime, runtime.app.imagine(ADA, params, model)))
    assert again is not None and again.images[0].seed == 42
    before, after = _pixels(str(job.images[1].path)), _pixels(str(again.images[0].path))
    assert sum(abs(a - b) for a, b in zip(before, after, strict=True)) / len(before) < 2.0
    refused = runtime.app.picture_info(EVE_ELSEWHERE, job_id)
    assert isinstance(refused, Rejected) and "not one you can use here" in refused.message
    assert isinstance(runtime.app.picture_info(ADA, "nosuchjob9"), Rejected)


def test_edit_makes_a_new_job_with_the_new_prompt_and_every_other_parameter_charged_to_the_sender(
        runtime: Runtime) -> None:
    job_id = _finished(runtime, runtime.app.imagine(ADA, GenerationParams(
        "a brass lamp", negative_prompt="text", seed=77, steps=4, cfg=5.0)))
    asked = runtime.app.act_on_result(BOB_SAME_CHAT, "edit", job_id)
    assert isinstance(asked, Notice) and asked.values["prompt"] == "a brass lamp" and job_id in asked.message
    bob, ada = _used(runtime, BOB_SAME_CHAT), _used(runtime, ADA)
    made = runtime.app.edit_and_rerun(BOB_SAME_CHAT, job_id, "  a silver lamp  ")
    assert isinstance(made, Accepted), made
    assert made.message.endswith("This was ada's picture; the new job is charged to you.")
    old, new = runtime.repo.get_job(job_id), runtime.repo.get_job(made.job_id)
    assert old is not None and new is not None and new.prompt == "a silver lamp"
    assert (new.negative_prompt, new.seed, new.steps, new.cfg, new.width, new.model) == (
        old.negative_prompt, old.seed, old.steps, old.cfg, old.width, old.model)
    assert _used(runtime, BOB_SAME_CHAT) == bob + 1 and _used(runtime, ADA) == ada
    empty = runtime.app.edit_and_rerun(ADA, job_id, "   ")
    assert isinstance(empty, Rejected) and empty.code == "edit_empty"
    blocked = runtime.app.edit_and_rerun(ADA, job_id, "a n.u.d.e woman")  # every gate still applies
    assert isinstance(blocked, Rejected) and blocked.code == "prompt"
    for refused in (runtime.app.edit_prompt(EVE_ELSEWHERE, job_id),
                    runtime.app.edit_and_rerun(EVE_ELSEWHERE, job_id, "mine now")):
        assert isinstance(refused, Rejected) and "not one you can use here" in refused.message
    assert _used(runtime, ADA) == ada


def test_delete_is_for_the_author_or_a_moderator_is_logged_and_pressing_again_is_harmless(runtime: Runtime) -> None:
    from sqlalchemy import select

    from core.delivery import PictureDeleted
    from core.storage.models import ModerationEventRow

    job_id = _finished(runtime, runtime.app.imagine(ADA, GenerationParams("three pebbles", count=3, seed=8)))
    desk = runtime.app.deliveries("telegram", "delete-test")
    assert desk.claim(job_id) is not None
    desk.mark(job_id, ["p1", "p2", "p3", "buttons"])
    job = runtime.repo.get_job(job_id)
    assert job is not None
    first = str(job.images[0].path)

    refused = runtime.app.delete_picture(BOB_SAME_CHAT, job_id, 0)
    assert isinstance(refused, Rejected) and refused.message == (
        "Only the member who made this picture, or a moderator, can delete it.")
    assert Path(first).exists()

    deleted = runtime.app.delete_picture(ADA, job_id, 0)
    assert isinstance(deleted, PictureDeleted) and deleted.reply.message == f"Picture 1 of job {job_id} is deleted."
    assert deleted.public is not None and deleted.public.kind == "remove" and deleted.public.position == 0
    assert deleted.public.still_shown == (1, 2)
    assert not any(b.idx == 0 for b in deleted.public.buttons)  # no button for the picture that is gone
    assert not Path(first).exists()
    assert isinstance(runtime.app.variations(BOB_SAME_CHAT, f"{job_id}:1"), Rejected)  # out of circulation

    again = runtime.app.delete_picture(ADA, job_id, 0)
    assert isinstance(again, PictureDeleted) and "already deleted" in again.reply.message

    moderated = runtime.app.delete_picture(BOB_SAME_CHAT, job_id, 1, moderator=True)
    assert isinstance(moderated, PictureDeleted) and "is deleted" in moderated.reply.message
    with runtime.engine.connect() as conn:
        actions = conn.execute(select(ModerationEventRow.action, ModerationEventRow.target_image_idx,
                                      ModerationEventRow.actor).where(ModerationEventRow.target_job_id == job_id)
                               .order_by(ModerationEventRow.id)).tuples().all()
    assert actions == [("delete_own", 0, "telegram:1"), ("remove", 1, "telegram:2")]
    info = runtime.app.picture_info(ADA, job_id)
    assert isinstance(info, Notice) and info.values["seeds"] == "10"  # only picture 3 is left to describe
    assert isinstance(runtime.app.delete_picture(ADA, job_id, 99), Rejected)


def test_the_author_may_still_delete_after_linking_their_account_to_another(runtime: Runtime) -> None:
    from core.delivery import PictureDeleted

    kim, kim_on_discord = Requester("telegram", "7", chat_id="100", display_name="kim"), Requester("discord", "70")
    runtime.app.accept_licence(kim)
    job_id = _finished(runtime, runtime.app.imagine(kim, GenerationParams("a felt hat", seed=3)))
    code = runtime.app.link(kim_on_discord).message.split()[4].rstrip(".")
    linked = runtime.app.link(kim, code)  # the Telegram account joins the Discord account's user
    assert isinstance(linked, Notice) and "Linked" in linked.message, linked
    deleted = runtime.app.delete_picture(kim, job_id, 0)
    assert isinstance(deleted, PictureDeleted) and "is deleted" in deleted.reply.message
