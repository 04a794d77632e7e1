"""A bot in the embedded default (SQLite, in-process worker) is killed mid-job: the next process finishes the job
once, and the quota is charged once. Before the reconciler it stayed `running` forever, its quota held."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from core.config import Settings
from core.domain import JobStatus
from core.runtime import build_runtime
from core.storage.models import ImageRow, QuotaLedgerRow

CHILD = """
import sys, time
from pathlib import Path
from core.config import Settings
from core.domain import GenerationParams, Requester
from core.runtime import build_runtime

rt = build_runtime(Settings(data_dir=Path(sys.argv[1]), models_dir=Path(sys.argv[2])))
who = Requester("telegram", "1", chat_id="1")
rt.app.accept_licence(who)
out = rt.app.imagine(who, GenerationParams("a long job", seed=1, steps=50, width=384, height=384, count=2))
print(out.job_id, flush=True)
time.sleep(600)
"""


def test_a_bot_killed_mid_job_has_its_job_finished_once_by_the_next_process(tmp_path: Path, models_dir: Path) -> None:
    data = tmp_path / "data"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(data), str(models_dir)], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    try:
        assert child.stdout is not None
        job_id = child.stdout.readline().strip()
        reader = build_runtime(Settings(data_dir=data, models_dir=models_dir), embedded_worker=False)
        deadline = time.monotonic() + 120
        while (job := reader.repo.get_job(job_id)) is None or job.status is not JobStatus.RUNNING:
            assert time.monotonic() < deadline, "the job never started"
            time.sleep(0.2)
    finally:
        child.kill()  # kill -9 mid-generation
        child.wait(10)
    killed_at = time.monotonic()
    successor = build_runtime(Settings(data_dir=data, models_dir=models_dir))
    try:
        job = successor.app.wait(job_id, 240)
        assert job is not None and job.status is JobStatus.DONE
        print(f"embedded restart settled {time.monotonic() - killed_at:.1f} s after the kill")
        with successor.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(ImageRow)).scalar_one() == 2
            assert conn.execute(select(func.sum(QuotaLedgerRow.delta))).scalar_one() == 2
    finally:
        successor.close()
        reader.close()
