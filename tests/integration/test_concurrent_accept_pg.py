"""Twenty simultaneous first contacts and licence acceptances by one member on PostgreSQL: one account, one
acceptance row, every press answered (no IntegrityError reaches anyone)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.config import Settings
from core.domain import Notice, Requester
from core.runtime import build_runtime
from core.storage.db import build_engine, upgrade
from core.storage.models import LicenceAcceptance, PlatformAccount

pytestmark = pytest.mark.integration


def test_twenty_simultaneous_accepts_record_one_acceptance(pg_url: str, tmp_path: Path) -> None:
    engine = build_engine(Settings(database_url=pg_url))
    upgrade(engine)
    engine.dispose()
    runtime = build_runtime(Settings(database_url=pg_url, data_dir=tmp_path), embedded_worker=False)
    try:
        who = Requester("telegram", "4242", chat_id="1")
        with ThreadPoolExecutor(max_workers=20) as pool:
            replies = list(pool.map(lambda _: runtime.app.accept_licence(who), range(20)))
        assert all(isinstance(r, Notice) for r in replies)
        assert sum(r.code == "licence_accepted" for r in replies) == 1
        with runtime.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(LicenceAcceptance)).scalar_one() == 1
            assert conn.execute(select(func.count()).select_from(PlatformAccount)).scalar_one() == 1
    finally:
        runtime.close()
