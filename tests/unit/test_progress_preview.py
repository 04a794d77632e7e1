"""Preview pictures of a job still generating (latents → RGB with SD's fixed projection, a small bounded JPEG, at
most one every 2 s, only what the image check allows) and honest places in the queue."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bots.progress_board import ProgressBoard, ProgressMessage, ProgressView
from core.catalogue import render
from core.config import Settings
from core.domain import Accepted, Decision, GenerationParams, GenerationRequest, QuotaSettings, Requester
from core.events import PROGRESS, InMemoryEventBus
from core.generation import JobRunner, ProgressThrottle
from core.models_registry import model_spec
from core.preview import SD_LATENT_RGB, latents_to_rgb, preview_jpeg
from core.progress import MAX_PREVIEW_BYTES, ProgressEvent
from core.service import GenerationService
from core.storage.db import build_engine, ensure_schema, session_factory
from core.storage.images import LocalImageStore
from core.storage.repositories import SqlJobRepository
from safety.license import get_licence
from safety.prompt_filter import PromptFilter
from tests.fakes import FakeClock, FakeDispatcher, FakePipeline, ScriptedChecker

ALICE = Requester("console", "alice")


def noise(n: int, h: int, w: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, 4, h, w)).astype(np.float32)


def test_latents_map_to_rgb_with_sds_fixed_factors() -> None:
    latents = np.zeros((1, 4, 2, 3), np.float32)
    latents[0, 2, 1, 1] = 1.0  # one pixel lit in channel 2 only
    (picture,) = latents_to_rgb(latents)
    assert picture.size == (3, 2)
    pixels = np.asarray(picture)
    assert pixels[0, 0].tolist() == [127, 127, 127]  # zero latents: mid grey
    expected = np.clip((SD_LATENT_RGB[2] + 1) * 127.5, 0, 255).astype(np.uint8)
    assert pixels[1, 1].tolist() == expected.tolist()
    with pytest.raises(ValueError):
        latents_to_rgb(np.zeros((1, 16, 4, 4), np.float32))


@pytest.mark.parametrize(("shape", "size"), [((1, 4, 64, 64), (128, 128)), ((1, 4, 8, 12), (128, 85)),
                                             ((2, 4, 16, 16), (256, 128)), ((4, 4, 16, 24), (256, 170)),
                                             ((3, 4, 96, 96), (256, 256))])
def test_a_preview_is_a_small_jpeg_of_every_picture_and_the_same_latents_give_the_same_bytes(
        shape: tuple[int, int, int, int], size: tuple[int, int]) -> None:
    jpeg = preview_jpeg(noise(*[shape[0], shape[2], shape[3]]))
    assert jpeg is not None and jpeg[:2] == b"\xff\xd8" and len(jpeg) <= MAX_PREVIEW_BYTES
    assert Image.open(io.BytesIO(jpeg)).size == size
    assert preview_jpeg(noise(shape[0], shape[2], shape[3])) == jpeg
    assert preview_jpeg(noise(shape[0], shape[2], shape[3], seed=2)) != jpeg


def test_a_preview_fits_any_byte_bound_and_unknown_latents_give_none() -> None:
    jpeg = preview_jpeg(noise(4, 128, 128), max_bytes=3000)
    assert jpeg is not None and len(jpeg) <= 3000
    assert preview_jpeg(np.zeros((1, 16, 8, 8), np.float32)) is None  # SD3-style latents: no projection known
    assert preview_jpeg(np.zeros((0, 4, 8, 8), np.float32)) is None


def test_progress_events_carry_a_bounded_preview_and_refuse_garbage() -> None:
    event = ProgressEvent("job1", 3, 30, b"\xff\xd8jpeg")
    assert ProgressEvent.from_payload(event.payload()) == event
    assert ProgressEvent.from_payload(ProgressEvent("job1", 3, 30).payload()) == ProgressEvent("job1", 3, 30)
    too_big = ProgressEvent("job1", 3, 30, b"x" * (MAX_PREVIEW_BYTES + 1)).payload()
    assert ProgressEvent.from_payload(too_big) == ProgressEvent("job1", 3, 30)  # the step still counts
    assert ProgressEvent.from_payload({"job_id": "job1", "step": 3, "total": 30, "preview": "%%%"}) == \
        ProgressEvent("job1", 3, 30)
    for bad in ({"job_id": "job1"}, {"job_id": "job1", "step": "x", "total": 3},
                {"job_id": "job1", "step": 5, "total": 3}, {"job_id": "", "step": 1, "total": 3}):
        assert ProgressEvent.from_payload(bad) is None


class Ticking:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_worker_sends_at_most_one_preview_every_2_s_and_none_with_the_last_step() -> None:
    bus, heard, clock = InMemoryEventBus(), [], Ticking()
    bus.subscribe(PROGRESS, heard.append)
    made: list[float] = []

    def source() -> bytes:
        made.append(clock.now)
        return b"\xff\xd8preview"

    throttle = ProgressThrottle(bus, "job1", allow_preview=lambda _: True, monotonic=clock)
    for step in range(1, 101):  # 100 steps, 0.1 s apart: 10 s
        clock.now += 0.1
        throttle(step, 100, source)
    events = [ProgressEvent.from_payload(p) for p in heard]
    with_preview = [e for e in events if e is not None and e.preview is not None]
    assert len(with_preview) == 4 and events[-1] == ProgressEvent("job1", 100, 100)
    assert all(b - a >= 2.0 for a, b in zip([100.0, *made], made, strict=False))  # and the decode ran only then
    assert len(made) == 4


@pytest.mark.parametrize("allow", [None, lambda _: False])
def test_no_preview_leaves_the_worker_without_the_image_checks_allow(allow: object) -> None:
    bus, heard, clock = InMemoryEventBus(), [], Ticking()
    bus.subscribe(PROGRESS, heard.append)
    throttle = ProgressThrottle(bus, "job1", allow_preview=allow, monotonic=clock)  # type: ignore[arg-type]
    for step in range(1, 51):
        clock.now += 0.5
        throttle(step, 50, lambda: b"\xff\xd8preview")
    assert len(heard) == 50 and not any("preview" in p for p in heard)


@pytest.fixture
def world(tmp_path: Path, prompt_filter: PromptFilter):  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path)
    engine = build_engine(settings)
    ensure_schema(engine, auto_migrate=True)
    repo = SqlJobRepository(session_factory(engine))
    spec = model_spec(settings)
    clock = FakeClock()
    service = GenerationService(repo, FakeDispatcher(), prompt_filter, spec, get_licence(spec.licence_id),
                                QuotaSettings(default_limit=100, max_queued=50, burst_jobs=100), clock)
    service.accept_licence(ALICE)
    yield repo, service, clock
    engine.dispose()


def submit(service: GenerationService, clock: FakeClock, prompt: str = "a red fox") -> Accepted:
    clock.advance(seconds=1)
    outcome = service.submit(GenerationRequest(ALICE, GenerationParams(prompt, seed=5)))
    assert isinstance(outcome, Accepted)
    return outcome


def test_running_jobs_are_ahead_of_nobody_and_each_queued_job_hears_its_own_place(world) -> None:  # type: ignore[no-untyped-def]
    repo, service, clock = world
    first, second = submit(service, clock), submit(service, clock)
    for job in (first, second):  # two workers took them: both run side by side
        assert repo.start_job(job.job_id, clock.now()) is not None
    third, fourth, fifth = submit(service, clock), submit(service, clock), submit(service, clock)
    assert [third.ahead, fourth.ahead, fifth.ahead] == [0, 1, 2]
    assert render(fifth, "en") == f"Job {fifth.job_id} accepted (2 ahead of you)."
    assert "next in line" in render(third, "en") and "前面还有 2 个任务" in render(fifth, "zh")
    ids = [j.job_id for j in (first, second, third, fourth, fifth)]
    assert repo.queue_places(ids) == {first.job_id: None, second.job_id: None, third.job_id: 0, fourth.job_id: 1,
                                      fifth.job_id: 2}
    assert render(Accepted(first.job_id, None, GenerationParams("x")), "en").endswith("(generating now).")
    # The first finishes and the third starts: everyone behind moves up; finished jobs are left out.
    assert repo.finish_job(first.job_id, [], [], clock.now())
    assert repo.start_job(third.job_id, clock.now()) is not None
    assert repo.queue_places(ids) == {second.job_id: None, third.job_id: None, fourth.job_id: 0, fifth.job_id: 1}
    # A cancelled queued job is ahead of nobody any more.
    assert repo.fail_job(fourth.job_id, "cancelled", refund=True)
    assert repo.queue_places([fifth.job_id, "no-such-job"]) == {fifth.job_id: 0}


def test_previews_pass_the_image_check_in_the_jobs_context(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo, service, clock = world
    job = repo.get_job(submit(service, clock).job_id)
    jpeg = preview_jpeg(noise(1, 8, 8))
    assert job is not None and jpeg is not None

    def runner(checker: ScriptedChecker) -> JobRunner:
        return JobRunner(repo, FakePipeline(), checker, LocalImageStore(tmp_path / "images"), InMemoryEventBus(),
                         clock)

    allowing, reviewing = ScriptedChecker(), ScriptedChecker([Decision.REVIEW])
    assert runner(allowing).preview_check(job)(jpeg) is True  # type: ignore[misc]
    assert runner(reviewing).preview_check(job)(jpeg) is False  # type: ignore[misc]
    assert allowing.contexts == ["default"]
    from dataclasses import replace

    assert runner(allowing).preview_check(replace(job, prompt_review=True)) is None


class RecordingSurface:
    def __init__(self) -> None:
        self.shown: list[tuple[float, str, bool]] = []
        self.removed: list[ProgressMessage] = []

    async def show_progress(self, view: ProgressView, message: ProgressMessage,
                            new_picture: bool) -> ProgressMessage:
        self.shown.append((asyncio.get_running_loop().time(), view.line(), new_picture))
        return ProgressMessage(message.chat_id, message.message_id or "m1", message.has_picture or new_picture)

    async def remove_progress(self, message: ProgressMessage) -> None:
        self.removed.append(message)


def test_the_board_merges_fast_updates_into_one_edit_per_interval_and_stops_at_the_result() -> None:
    async def main() -> RecordingSurface:
        surface = RecordingSurface()
        board = ProgressBoard(surface, lambda ids: {i: None for i in ids}, interval=0.3)
        board.track("job1", "en", ProgressMessage("chat"), ahead=2)
        for step in range(1, 21):  # 20 steps within ~1 s, a preview on every fifth
            board.heard(ProgressEvent("job1", step, 20, b"\xff\xd8%d" % step if step % 5 == 0 else None))
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.4)
        await board.finish("job1")
        board.heard(ProgressEvent("job1", 20, 20))  # late: after the result
        board.track("job1", "en", ProgressMessage("chat"), ahead=0)  # a late answer for a finished job
        await asyncio.sleep(0.4)
        await board.stop()
        return surface

    surface = asyncio.run(main())
    times = [t for t, _, _ in surface.shown]
    assert 2 <= len(times) <= 5 and all(b - a >= 0.3 for a, b in zip(times, times[1:], strict=False))
    assert surface.shown[-1][1] == "Job job1: generating now ▓▓▓▓▓▓▓▓▓▓ 20/20"  # the newest state won
    assert any(new for _, _, new in surface.shown)
    assert surface.removed == [ProgressMessage("chat", "m1", True)]


def test_the_console_hears_its_place_while_it_waits_then_generating_now(world) -> None:  # type: ignore[no-untyped-def]
    from core.delivery import JobWaiter

    repo, service, clock = world
    first, second = submit(service, clock), submit(service, clock)
    waiter, heard = JobWaiter(repo, InMemoryEventBus(), poll_interval=0.01), []
    assert waiter.wait(second.job_id, 0.05, on_place=heard.append) is None  # still queued: it keeps waiting
    assert repo.start_job(first.job_id, clock.now()) is not None
    assert waiter.wait(second.job_id, 0.05, on_place=heard.append) is None
    assert repo.start_job(second.job_id, clock.now()) is not None
    assert waiter.wait(second.job_id, 0.05, on_place=heard.append) is None
    assert heard == [1, 0, None]  # each wait says where it stands once, and only a change again


def test_the_console_line_says_the_place_then_the_steps() -> None:
    from bots.console.bot import tty_progress

    stream = io.StringIO()
    progress = tty_progress(stream)("en")
    progress.place(3)
    assert "3 ahead of you" in stream.getvalue()
    progress.place(None)
    progress.step(10, 30)
    progress.close()
    assert "generating now" in stream.getvalue() and "10/30" in stream.getvalue()
