"""Jobs on PostgreSQL: every kind of job reads back as it was asked; a NUL in a prompt is a sentence, not a crash."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.config import Settings
from core.domain import GenerationParams, GenerationRequest, QuotaSettings, Rejected, Requester
from core.models_registry import model_spec
from core.params import check_params
from core.ports import NewJob
from core.service import GenerationService
from core.storage.db import build_engine, session_factory, upgrade
from core.storage.repositories import SqlJobRepository
from safety.license import get_licence
from safety.prompt_filter import PromptFilter
from tests.fakes import FakeDispatcher

pytestmark = pytest.mark.integration

MODEL = model_spec(Settings())
ADA = Requester("console", "ada", "c1")


def test_every_kind_of_job_reads_back_as_it_was_asked(pg_url: str) -> None:
    engine = build_engine(Settings(database_url=pg_url))
    upgrade(engine)
    repo = SqlJobRepository(session_factory(engine))
    user = repo.ensure_user(ADA)
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    requests = [GenerationParams("a fox 🦊 in snow\n\tat dusk", "blur", 7, 12, 128, 64, 5.5, 2, sampler="ddim",
                                 style="watercolor"),
                GenerationParams("a castle", image="/in/a.png", strength=0.4),
                GenerationParams("a castle", image="/in/a.png", box="8,8,16,16"),
                GenerationParams("a castle", image="/in/a.png", mask="/in/m.png"),
                GenerationParams("", image="/in/a.png", upscale=2)]
    rules, _ = QuotaSettings(default_limit=100, max_queued=100, burst_jobs=100).rules_for()
    for request in requests:
        spec = check_params(request, MODEL, max_prompt_chars=1000, input_size=(64, 64) if request.image else None)
        job_id = repo.create_job(NewJob(user, ADA, spec, MODEL.name, MODEL.queue, nsfw_allowed=False),
                                 rules=rules, now=now)
        assert isinstance(job_id, str)
        job = repo.get_job(job_id)
        assert job is not None and job.spec == spec
    engine.dispose()


def test_a_nul_in_a_prompt_is_refused_before_postgresql_sees_it(pg_url: str, prompt_filter: PromptFilter) -> None:
    engine = build_engine(Settings(database_url=pg_url))
    upgrade(engine)
    repo = SqlJobRepository(session_factory(engine))
    dispatcher = FakeDispatcher()
    service = GenerationService(repo, dispatcher, prompt_filter, MODEL, get_licence(MODEL.licence_id), QuotaSettings())
    service.accept_licence(ADA)
    for request in (GenerationParams("a fox\x00"), GenerationParams("a fox", "\x00")):
        outcome = service.submit(GenerationRequest(ADA, request))
        assert isinstance(outcome, Rejected) and outcome.code == "params" and "control character" in outcome.message
    assert service.history(ADA) == [] and dispatcher.sent == []
    engine.dispose()
