"""The application facade as an adapter sees it, on the embedded stack (SQLite, in-process worker, miniature
model): the chat-to-server boundary for input pictures, the one result-action dispatcher, and the delivery
template's claim-render-mark."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

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
    assert [(b.action, b.idx) for b in message.buttons][:3] == [("reroll", None), ("upscale", 0), ("upscale", 1)]
    assert "seed 9" in message.lines[0].message
    first.mark(job_id, ["m1", "m2"])
    assert job_id not in first.pending()
    assert first.public_messages(job_id) == ("100", ["m1", "m2"])
    assert runtime.app.deliveries("discord", "c").claim(job_id) is None  # another platform's job is not ours
