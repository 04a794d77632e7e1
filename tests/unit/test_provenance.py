"""The invisible provenance mark: embedded in the worker after the image check, read back after the recompression
chat platforms apply, and honestly absent where it cannot be embedded."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from core.domain import Requester
from core.generation import RunResult
from core.provenance import MarkStatus, jpeg_round_trip, read_mark, stamp
from core.storage.moderation_repo import SqlModerationRepository
from core.verification import Verifier
from tests.fakes import FakeClock, FakePipeline, NaturalPipeline, ScriptedChecker, natural_picture
from tests.unit.test_job_runner import runner, submit, world  # noqa: F401 - the fixture is used by name


def half_size_and_back(picture: Image.Image) -> Image.Image:
    w, h = picture.size
    return picture.resize((w // 2, h // 2), Image.Resampling.BICUBIC).resize((w, h), Image.Resampling.BICUBIC)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_mark_survives_jpeg_80_and_a_half_size_round_trip(seed: int) -> None:
    original = natural_picture(512, seed)
    marked, mark = stamp(original)
    assert mark.status is MarkStatus.ROBUST and mark.mark_id is not None
    assert read_mark(jpeg_round_trip(marked, 80)) == mark.mark_id
    assert read_mark(half_size_and_back(marked)) == mark.mark_id
    assert read_mark(original) is None  # the same picture unmarked carries nothing


def test_the_small_pictures_of_the_miniature_model_size_survive_jpeg_too() -> None:
    marked, mark = stamp(natural_picture(128, 4))
    assert mark.status is MarkStatus.ROBUST
    assert read_mark(jpeg_round_trip(marked)) == mark.mark_id


@pytest.mark.parametrize("colour", [(255, 255, 255), (0, 0, 0), (255, 0, 0)])
def test_a_flat_saturated_picture_is_left_unmarked_and_says_so(colour: tuple[int, int, int]) -> None:
    flat = Image.new("RGB", (512, 512), colour)
    kept, mark = stamp(flat)
    assert mark.status is MarkStatus.NONE and mark.mark_id is None
    assert kept.tobytes() == flat.tobytes()


def test_a_picture_too_small_for_the_payload_is_left_unmarked() -> None:
    assert stamp(natural_picture(32, 1))[1].status is MarkStatus.NONE


def test_pictures_never_marked_never_read_as_marked() -> None:
    assert [read_mark(natural_picture(256, 100 + s)) for s in range(10)] == [None] * 10


def test_the_worker_marks_what_it_keeps_and_verify_names_the_job(world) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    repo, service, root, engine = world
    job_id = submit(service, count=2)
    assert runner(repo, root, ScriptedChecker(), NaturalPipeline()).run(job_id) is RunResult.DONE
    job = repo.get_job(job_id)
    assert job is not None
    assert [i.mark_status for i in job.images] == ["robust", "robust"]
    # A member saves the second picture as a JPEG (a chat app recompressing it) and asks where it came from.
    with Image.open(job.images[1].path or "") as stored:
        buf = io.BytesIO()
        stored.convert("RGB").save(buf, format="JPEG", quality=80)
    events = SqlModerationRepository(repo.sessions)
    stranger = Requester("telegram", "999", chat_id="elsewhere")
    answer = Verifier(repo, events, FakeClock()).verify(stranger, buf.getvalue())
    assert answer.reply.code == "verify_found_hidden"  # type: ignore[union-attr]
    assert answer.reply.values["job_id"] == job_id and answer.reply.values["number"] == 2  # type: ignore[union-attr]
    owner = Requester("console", "alice")
    assert Verifier(repo, events, FakeClock()).verify(owner, buf.getvalue()).reply.code == "verify_found"  # type: ignore[union-attr]
    recorded = events.all_events(("verify",))
    assert [(e.actor, e.target_job_id, e.target_image_idx) for e in recorded] == [
        ("telegram:999", job_id, 1), ("console:alice", job_id, 1)]


def test_a_flat_picture_is_recorded_as_no_mark_could_be_embedded(world) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    repo, service, root, engine = world
    job_id = submit(service)

    class White(FakePipeline):
        def __call__(self, spec, progress=None):  # type: ignore[no-untyped-def]
            out = super().__call__(spec, progress)
            return type(out)([Image.new("RGB", i.size, "white") for i in out.images], out.seeds, out.method)

    assert runner(repo, root, ScriptedChecker(), White()).run(job_id) is RunResult.DONE
    job = repo.get_job(job_id)
    assert job is not None
    (picture,) = job.images
    assert (picture.mark_id, picture.mark_status) == (None, "none")


def test_verify_refuses_a_file_path_from_a_chat_and_a_non_picture(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    repo, _service, _root, _engine = world
    verifier = Verifier(repo, SqlModerationRepository(repo.sessions), FakeClock())
    member = Requester("discord", "1", chat_id="2")
    assert verifier.verify(member, "/etc/passwd").reply.code == "input_paths"  # type: ignore[union-attr]
    refused = verifier.verify(member, b"GIF89a not a real picture")
    assert refused.reply.code == "input"  # type: ignore[union-attr]
    assert verifier.verify(member, jpeg_bytes(natural_picture(128, 9))).reply.code == "verify_none"  # type: ignore[union-attr]


def jpeg_bytes(picture: Image.Image) -> bytes:
    buf = io.BytesIO()
    picture.save(buf, format="JPEG", quality=90)
    return buf.getvalue()
