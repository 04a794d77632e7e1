"""Quota reservation is atomic on PostgreSQL: concurrent submits by one user never overspend."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.config import Settings
from core.domain import Accepted, GenerationParams, GenerationRequest, QuotaSettings, Rejected, Requester
from core.models_registry import model_spec
from core.moderation import build_moderation
from core.service import GenerationService, SystemClock
from core.storage.db import build_engine, session_factory, upgrade
from core.storage.models import JobRow, QuotaLedgerRow
from core.storage.moderation_repo import SqlModerationRepository
from core.storage.repositories import SqlJobRepository
from safety.license import get_licence
from safety.moderation import StrikePolicy
from safety.prompt_filter import PromptFilter
from tests.fakes import FakeDispatcher

pytestmark = pytest.mark.integration


def test_hundred_concurrent_submits_with_ten_left_accept_exactly_ten(pg_url: str, prompt_filter: PromptFilter,
                                                                     tmp_path: Path) -> None:
    engine = build_engine(Settings(database_url=pg_url))
    upgrade(engine)
    sessions = session_factory(engine)
    jobs = SqlJobRepository(sessions)
    quota = QuotaSettings(default_limit=12, max_queued=1000, burst_jobs=1000)
    moderation = build_moderation(SqlModerationRepository(sessions), jobs, SystemClock(),
                                  StrikePolicy(window=timedelta(days=7)), quota, tmp_path / "quarantine")
    spec = model_spec(Settings())
    dispatcher = FakeDispatcher()
    service = GenerationService(jobs, dispatcher, prompt_filter, spec, get_licence(spec.licence_id), quota,
                                sanctions=moderation.sanctions, quota_tiers=moderation.tiers)
    ada = Requester("console", "ada")
    service.accept_licence(ada)
    assert isinstance(service.submit(GenerationRequest(ada, GenerationParams("warm-up", count=2))), Accepted)
    with ThreadPoolExecutor(max_workers=20) as pool:  # 10 pictures left, 100 members of one family pressing
        outcomes = list(pool.map(
            lambda i: service.submit(GenerationRequest(ada, GenerationParams(f"a fox, take {i}"))), range(100)))
    accepted = [o for o in outcomes if isinstance(o, Accepted)]
    refused = [o for o in outcomes if isinstance(o, Rejected)]
    assert len(accepted) == 10 and len(refused) == 90
    assert {o.code for o in refused} == {"quota"}
    with engine.connect() as conn:
        assert conn.execute(select(func.sum(QuotaLedgerRow.delta))).scalar_one() == 12
        assert conn.execute(select(func.count()).select_from(JobRow)).scalar_one() == 11
    assert len(dispatcher.sent) == 11
    assert service.quota(ada).left == 0
    engine.dispose()
