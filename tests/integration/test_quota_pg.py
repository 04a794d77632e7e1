"""Quota reservation is atomic on PostgreSQL: concurrent submits by one user never overspend."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from core.config import Settings
from core.domain import Accepted, GenerationParams, GenerationRequest, Rejected, Requester
from core.fakes import FakeDispatcher
from core.models_registry import model_spec
from core.service import GenerationService, Limits
from core.storage.db import build_engine, session_factory, upgrade
from core.storage.models import JobRow, QuotaLedgerRow
from core.storage.repositories import SqlJobRepository
from safety.license import get_licence
from safety.prompt_filter import PromptFilter

pytestmark = pytest.mark.integration


def test_forty_concurrent_submits_with_ten_left_accept_exactly_ten(pg_url: str, prompt_filter: PromptFilter) -> None:
    engine = build_engine(Settings(database_url=pg_url))
    upgrade(engine)
    spec = model_spec(Settings())
    dispatcher = FakeDispatcher()
    service = GenerationService(SqlJobRepository(session_factory(engine)), dispatcher, prompt_filter, spec,
                                get_licence(spec.licence_id), Limits(daily_images=10, max_queued_jobs=1000))
    ada = Requester("console", "ada")
    service.accept_licence(ada)
    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(
            lambda i: service.submit(GenerationRequest(ada, GenerationParams(f"a fox, take {i}"))), range(40)))
    accepted = [o for o in outcomes if isinstance(o, Accepted)]
    refused = [o for o in outcomes if isinstance(o, Rejected)]
    assert len(accepted) == 10 and len(refused) == 30
    assert {o.code for o in refused} == {"quota"}
    with engine.connect() as conn:
        assert conn.execute(select(func.sum(QuotaLedgerRow.delta))).scalar_one() == 10
        assert conn.execute(select(func.count()).select_from(JobRow)).scalar_one() == 10
    assert len(dispatcher.sent) == 10
    engine.dispose()
