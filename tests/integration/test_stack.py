"""The production path: PostgreSQL migrated by `muralist db upgrade`, Redis broker, a real `muralist worker`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from core.config import Settings
from core.domain import Accepted, GenerationParams, JobStatus, Requester
from core.runtime import build_runtime
from core.storage.db import SchemaNotReady, build_engine, ensure_schema
from core.storage.models import ImageRow, QuotaLedgerRow, SafetyVerdictRow
from core.worker import GENERATE
from tests.integration.conftest import MURALIST, WorkerProcess

pytestmark = pytest.mark.integration
ADA = Requester("console", "ada", "c1")


def test_unmigrated_database_stops_with_the_command_to_run(pg_url: str, worker_env: dict[str, str],
                                                          tmp_path: Path) -> None:
    with pytest.raises(SchemaNotReady, match="muralist db upgrade"):
        ensure_schema(build_engine(Settings(database_url=pg_url)), auto_migrate=False)
    proc = subprocess.run([str(MURALIST), "worker"], env=worker_env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "muralist db upgrade" in proc.stderr


def test_submit_to_picture_through_redis_and_a_worker_process(worker_env: dict[str, str], tmp_path: Path) -> None:
    upgraded = subprocess.run([str(MURALIST), "db", "upgrade"], env=worker_env, capture_output=True, text=True,
                              timeout=60)
    assert upgraded.returncode == 0, upgraded.stderr
    settings = Settings(database_url=worker_env["MURALIST_DATABASE_URL"],
                        broker_url=worker_env["MURALIST_BROKER_URL"], data_dir=Path(worker_env["MURALIST_DATA_DIR"]))
    runtime = build_runtime(settings)  # a bot process: submits and waits, runs no worker
    assert runtime.worker is None
    worker = WorkerProcess(worker_env, tmp_path / "worker.log")
    try:
        worker.wait_ready()
        runtime.app.accept_licence(ADA)
        first = runtime.app.imagine(ADA, GenerationParams("a red fox in the snow", seed=3, count=2))
        assert isinstance(first, Accepted)
        job = runtime.app.wait(first.job_id, timeout=120)
        assert job is not None and job.status is JobStatus.DONE, worker.log.read_text()
        paths = [Path(i.path) for i in job.images if i.path]
        assert len(paths) == 2 and all(p.is_file() for p in paths)
        with Image.open(paths[0]) as im:
            assert im.text["JobId"] == first.job_id  # type: ignore[attr-defined]

        with runtime.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(ImageRow)).scalar_one() == 2
            decisions = conn.execute(select(SafetyVerdictRow.subject, SafetyVerdictRow.decision)
                                     .order_by(SafetyVerdictRow.id)).all()
            assert [tuple(d) for d in decisions] == [("prompt", "allow"), ("image", "allow"), ("image", "allow")]
            assert conn.execute(select(func.sum(QuotaLedgerRow.delta))).scalar_one() == 2

        # Redeliver the same task by hand, then queue a fresh job behind it on the solo worker: once the fresh job
        # is done, the duplicate has been consumed, and it must have made nothing.
        runtime.celery.send_task(GENERATE, args=[first.job_id], queue=runtime.spec.queue)
        second = runtime.app.imagine(ADA, GenerationParams("a lighthouse", seed=4))
        assert isinstance(second, Accepted)
        assert runtime.app.wait(second.job_id, timeout=120) is not None
        with runtime.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(ImageRow)
                                .where(ImageRow.job_id == first.job_id)).scalar_one() == 2
        assert f"job {first.job_id} is already finished or unknown; redelivery ignored" in worker.log.read_text()
        assert len(list(Path(worker_env["MURALIST_DATA_DIR"]).rglob("*.png"))) == 3
        assert runtime.app.quota(ADA).values["used"] == 3
    finally:
        worker.stop()
        runtime.close()
