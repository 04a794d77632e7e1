"""Two embedded runtimes in one process (the tests build many): each makes its own jobs. Celery traces tasks through
process-wide state, so without each message naming its runtime one worker ran the other's task function and the
first runtime's jobs waited forever. Its own module: closing a second runtime must not disturb a shared one."""

from __future__ import annotations

from pathlib import Path

from core.config import Settings
from core.domain import Accepted, GenerationParams, JobStatus, Requester
from core.runtime import Runtime, build_runtime


def made(rt: Runtime, who: Requester, prompt: str) -> JobStatus | None:
    rt.app.accept_licence(who)
    outcome = rt.app.imagine(who, GenerationParams(prompt, seed=3, steps=4, width=64, height=64))
    assert isinstance(outcome, Accepted), outcome
    job = rt.app.wait(outcome.job_id, 120)
    return None if job is None else job.status


def test_two_embedded_runtimes_in_one_process_each_make_their_own_jobs(tmp_path: Path) -> None:
    first = build_runtime(Settings(data_dir=tmp_path / "first"))
    try:
        (tmp_path / "second").mkdir()
        (tmp_path / "second" / "models").symlink_to(first.settings.models_dir)  # the miniature already built
        second = build_runtime(Settings(data_dir=tmp_path / "second"))
        try:
            assert made(first, Requester("console", "a"), "a lighthouse") is JobStatus.DONE
            assert made(second, Requester("console", "b"), "a harbour") is JobStatus.DONE
        finally:
            second.close()
        assert made(first, Requester("console", "c"), "a pier") is JobStatus.DONE  # still works after
    finally:
        first.close()
