"""Two embedded runtimes in one process (the tests build many; so may a process hosting two): each makes its own
jobs, and stopping one leaves the other working. Celery traces tasks through process-wide state, so without each
message naming its runtime one worker ran the other's task function and the first runtime's jobs waited forever;
and stopping a worker through Celery's process-wide shutdown flag stopped every worker in the process."""

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


def test_two_embedded_runtimes_in_one_process_each_make_their_own_jobs(tmp_path: Path, models_dir: Path) -> None:
    first = build_runtime(Settings(data_dir=tmp_path / "first", models_dir=models_dir))
    try:
        second = build_runtime(Settings(data_dir=tmp_path / "second", models_dir=models_dir))
        try:
            assert made(first, Requester("console", "a"), "a lighthouse") is JobStatus.DONE
            assert made(second, Requester("console", "b"), "a harbour") is JobStatus.DONE
        finally:
            second.close()
        assert made(first, Requester("console", "c"), "a pier") is JobStatus.DONE  # still works after
    finally:
        first.close()


def test_stopping_runtime_b_leaves_runtime_a_delivering(tmp_path: Path, models_dir: Path) -> None:
    a = build_runtime(Settings(data_dir=tmp_path / "a", models_dir=models_dir))
    try:
        b = build_runtime(Settings(data_dir=tmp_path / "b", models_dir=models_dir))
        b.close()
        # Several in turn: a worker that was wrongly told to stop still finishes the message in hand, so only the
        # later jobs show whether A's worker outlived B's stop.
        for n, prompt in enumerate(("a buoy", "a gull", "a net")):
            assert made(a, Requester("console", f"a{n}"), prompt) is JobStatus.DONE, prompt
        assert b.worker is not None and not b.worker.running  # and B's own worker did stop
    finally:
        a.close()
