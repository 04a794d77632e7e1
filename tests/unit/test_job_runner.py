"""The worker's job runner on a real SQLite database with a fake pipeline: idempotent and fail-closed."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from core.config import Settings
from core.domain import Decision, GenerationParams, GenerationRequest, JobStatus, QuotaSettings, Requester
from core.events import FINISHED, InMemoryEventBus
from core.generation import JobRunner, RunResult
from core.models_registry import model_spec
from core.service import GenerationService
from core.storage.db import build_engine, ensure_schema, session_factory
from core.storage.images import LocalImageStore
from core.storage.models import ImageRow, QuotaLedgerRow, SafetyVerdictRow
from core.storage.repositories import SqlJobRepository
from safety.license import get_licence
from safety.prompt_filter import PromptFilter
from tests.fakes import FakeClock, FakeDispatcher, FakePipeline, ScriptedChecker

ALICE = Requester("console", "alice")


@pytest.fixture
def world(tmp_path: Path, prompt_filter: PromptFilter):  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path)
    engine = build_engine(settings)
    ensure_schema(engine, auto_migrate=True)
    repo = SqlJobRepository(session_factory(engine))
    spec = model_spec(settings)
    service = GenerationService(repo, FakeDispatcher(), prompt_filter, spec, get_licence(spec.licence_id),
                                QuotaSettings(default_limit=10), FakeClock())
    service.accept_licence(ALICE)
    yield repo, service, tmp_path, engine
    engine.dispose()


def submit(service: GenerationService, count: int = 1, prompt: str = "a red fox", nsfw: bool = False) -> str:
    outcome = service.submit(GenerationRequest(ALICE, GenerationParams(prompt, count=count, seed=5), nsfw_allowed=nsfw))
    return outcome.job_id  # type: ignore[union-attr]


def runner(repo: SqlJobRepository, root: Path, checker: ScriptedChecker, pipeline: FakePipeline | None = None,
           bus: InMemoryEventBus | None = None) -> JobRunner:
    return JobRunner(repo, pipeline or FakePipeline(), checker, LocalImageStore(root / "images"),
                     bus or InMemoryEventBus(), FakeClock())


def count(engine, model) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def test_run_stores_pictures_verdicts_and_announces(world) -> None:  # type: ignore[no-untyped-def]
    repo, service, root, engine = world
    job_id = submit(service, count=2)
    bus, heard = InMemoryEventBus(), []
    bus.subscribe(FINISHED, heard.append)
    assert runner(repo, root, ScriptedChecker(), bus=bus).run(job_id) is RunResult.DONE
    job = repo.get_job(job_id)
    assert job is not None and job.status is JobStatus.DONE
    assert [Path(i.path).is_file() for i in job.images] == [True, True]  # type: ignore[arg-type]
    assert Image.open(job.images[0].path).text["JobId"] == job_id  # type: ignore[arg-type, attr-defined]
    assert count(engine, SafetyVerdictRow) == 3  # one prompt verdict + two image verdicts
    assert heard == [{"job_id": job_id, "status": "done"}]


def test_redelivered_task_makes_no_second_picture(world) -> None:  # type: ignore[no-untyped-def]
    repo, service, root, engine = world
    job_id = submit(service)
    pipeline = FakePipeline()
    run = runner(repo, root, ScriptedChecker(), pipeline)
    assert run.run(job_id) is RunResult.DONE
    assert run.run(job_id) is RunResult.SKIPPED
    assert pipeline.calls == 1 and count(engine, ImageRow) == 1


def test_blocked_picture_never_leaves_the_worker_but_is_recorded(world) -> None:  # type: ignore[no-untyped-def]
    repo, service, root, engine = world
    job_id = submit(service, count=2)
    runner(repo, root, ScriptedChecker([Decision.ALLOW, Decision.BLOCK])).run(job_id)
    job = repo.get_job(job_id)
    assert job is not None
    assert [i.decision for i in job.images] == ["allow", "block"]
    assert job.images[1].path is None and job.images[1].sha256
    assert len(list((root / "images").rglob("*.png"))) == 1
    assert service.quota(ALICE).used == 2  # the GPU ran: a blocked picture still counts


def test_classifier_failure_fails_closed_and_refunds(world) -> None:  # type: ignore[no-untyped-def]
    repo, service, root, engine = world
    job_id = submit(service, count=3)
    assert runner(repo, root, ScriptedChecker(fail=True)).run(job_id) is RunResult.FAILED
    job = repo.get_job(job_id)
    assert job is not None and job.status is JobStatus.FAILED and job.images == ()
    assert not list(root.rglob("*.png"))
    assert service.quota(ALICE).used == 0
    with engine.connect() as conn:
        reasons = conn.execute(select(QuotaLedgerRow.reason).order_by(QuotaLedgerRow.id)).scalars().all()
    assert reasons == ["reserve", "refund"]


def test_pipeline_failure_refunds(world) -> None:  # type: ignore[no-untyped-def]
    repo, service, root, _ = world
    job_id = submit(service)
    assert runner(repo, root, ScriptedChecker(), FakePipeline(fail_with=MemoryError("CUDA OOM"))).run(job_id) \
        is RunResult.FAILED
    assert service.quota(ALICE).used == 0


def test_a_doubtful_prompt_sends_every_picture_to_review(world) -> None:  # type: ignore[no-untyped-def]
    repo, service, root, _ = world
    job_id = submit(service, count=2, prompt="a sexy woman in a red dress")
    assert repo.get_job(job_id).prompt_review  # type: ignore[union-attr]
    runner(repo, root, ScriptedChecker([Decision.ALLOW, Decision.ALLOW])).run(job_id)
    job = repo.get_job(job_id)
    assert job is not None and [i.decision for i in job.images] == ["review", "review"]
    assert all(i.path for i in job.images)  # reviewed pictures are kept (delivered as spoilers), unlike blocked ones


def test_an_nsfw_context_is_graded_with_its_own_thresholds(world) -> None:  # type: ignore[no-untyped-def]
    repo, service, root, _ = world
    checker = ScriptedChecker()
    runner(repo, root, checker).run(submit(service, nsfw=True))
    runner(repo, root, checker).run(submit(service))
    assert checker.contexts == ["nsfw", "default"]
