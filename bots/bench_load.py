"""`muralist bench --load`: N simulated members submitting at once through the real service on PostgreSQL + Redis,
with a real `muralist worker` process, and delivery through core's delivery template.

Measured: the acknowledgement latency a member waits for (``imagine`` until Accepted: gates, database, enqueue),
submits per second over the burst, and the time from submit to delivered (claimed and marked by this front door
when the worker's ``job.finished`` event arrives). Needs ``MURALIST_DATABASE_URL`` (PostgreSQL, migrated) and
``MURALIST_BROKER_URL`` (Redis) in the environment.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

PROMPTS = ["a red fox in the snow", "a lighthouse at dusk", "a bowl of ramen, studio light", "an old map of a city"]


class LoadBenchError(RuntimeError):
    """One sentence for the operator."""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=3) as answer:
            return answer.status == 200
    except OSError:
        return False


def _start_worker(data_dir: Path, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    """A real worker process; ready when its /readyz says so (database, broker and image check all answer)."""
    port = _free_port()
    env = {**os.environ, "MURALIST_METRICS_PORT": str(port), "MURALIST_METRICS_HOST": "127.0.0.1",
           "MURALIST_DATA_DIR": str(data_dir)}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "bots.cli", "worker", "--loglevel", "WARNING"], env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LoadBenchError(f"the worker exited early; its log is {log}")
        if _ready(port):
            return proc, port
        time.sleep(0.5)
    proc.terminate()
    raise LoadBenchError(f"the worker was not ready within 5 minutes; its log is {log}")


def run_load_bench(members: int, jobs_each: int, json_out: Path | None, steps: int = 4) -> dict[str, Any]:
    from core.config import Settings
    from core.domain import Accepted, GenerationParams, Requester
    from core.events import FINISHED
    from core.runtime import build_runtime

    env = Settings()
    if not (env.database_url or "").startswith("postgresql") or not (env.broker_url or "").startswith("redis"):
        raise LoadBenchError("--load runs on PostgreSQL and Redis: set MURALIST_DATABASE_URL (migrated with "
                             "`muralist db upgrade`) and MURALIST_BROKER_URL=redis://…")
    tmp = Path(tempfile.mkdtemp(prefix="muralist-load-"))
    worker, port = _start_worker(tmp / "worker", tmp / "worker.log")
    settings = env.model_copy(update={"data_dir": tmp / "front", "metrics_port": None, "quota_daily_images": 10**6,
                                      "max_queued_jobs_per_user": 10**6, "rate_limit_jobs": 10**6})
    runtime = build_runtime(settings, embedded_worker=False)
    run = uuid.uuid4().hex[:8]  # members of this run only: earlier runs' jobs are not counted
    delivery = runtime.app.deliveries("bench", f"load-{run}")
    submitted_at: dict[str, float] = {}
    delivered_at: dict[str, float] = {}
    early: set[str] = set()  # finished before imagine() returned in the member's thread: delivered once recorded
    lock = threading.Lock()
    all_delivered = threading.Event()
    total = members * jobs_each

    def on_finished(payload: dict[str, Any]) -> None:
        job_id = str(payload.get("job_id"))
        with lock:
            if job_id not in submitted_at:
                early.add(job_id)
                return
            if job_id in delivered_at:
                return
        message = delivery.claim(job_id)
        if message is None:
            return
        delivery.mark(job_id, ["bench"])
        with lock:
            delivered_at[job_id] = time.perf_counter()
            if len(delivered_at) == total:
                all_delivered.set()

    try:
        who = [Requester("bench", f"load-{run}-{i}", chat_id=f"load-{run}") for i in range(members)]
        for member in who:
            runtime.app.accept_licence(member)
        runtime.bus.subscribe(FINISHED, on_finished)
        acks: list[float] = []
        refused: list[str] = []
        go = threading.Barrier(members + 1)

        def member_loop(index: int) -> None:
            go.wait()
            for k in range(jobs_each):
                params = GenerationParams(PROMPTS[(index + k) % len(PROMPTS)], seed=index * 100 + k, steps=steps)
                t0 = time.perf_counter()
                outcome = runtime.app.imagine(who[index], params)
                ack = time.perf_counter() - t0
                with lock:
                    if isinstance(outcome, Accepted):
                        submitted_at[outcome.job_id] = t0
                        acks.append(ack)
                    else:
                        refused.append(outcome.code)
                if isinstance(outcome, Accepted) and outcome.job_id in early:
                    on_finished({"job_id": outcome.job_id})

        threads = [threading.Thread(target=member_loop, args=(i,), daemon=True) for i in range(members)]
        for thread in threads:
            thread.start()
        go.wait()
        burst_start = time.perf_counter()
        for thread in threads:
            thread.join()
        burst_s = time.perf_counter() - burst_start
        with lock:
            expected = len(submitted_at)
            total = expected
            if len(delivered_at) >= expected:
                all_delivered.set()
        # Events can be missed (a subscriber starts late): the delivery sweep catches the rest, as a bot's does.
        deadline = time.monotonic() + 600
        while not all_delivered.wait(2.0) and time.monotonic() < deadline:
            for job_id in delivery.pending():
                on_finished({"job_id": job_id})
        done_s = time.perf_counter() - burst_start
        end_to_end = [delivered_at[j] - submitted_at[j] for j in delivered_at if j in submitted_at]
        ack_ms = [a * 1000 for a in acks]
        result: dict[str, Any] = {
            "members": members, "jobs_each": jobs_each, "steps": steps, "accepted": expected,
            "refused": {code: refused.count(code) for code in sorted(set(refused))},
            "delivered": len(end_to_end),
            "ack_latency_ms": {"p50": round(statistics.median(ack_ms), 2) if ack_ms else None,
                               "p99": round(_percentile(ack_ms, 0.99), 2) if ack_ms else None},
            "submits_per_s": round(expected / burst_s, 2) if burst_s else None,
            "end_to_end_s": {"p50": round(statistics.median(end_to_end), 2) if end_to_end else None,
                             "p99": round(_percentile(end_to_end, 0.99), 2) if end_to_end else None,
                             "max": round(max(end_to_end), 2) if end_to_end else None},
            "delivered_per_s": round(len(end_to_end) / done_s, 3) if done_s else None,
            "workers": 1, "worker_pool": "solo",
        }
    finally:
        runtime.close()
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
    text = json.dumps(result, indent=2)
    if json_out:
        from bots.bench import add_load_to_report

        if not add_load_to_report(result, json_out):  # a bench report already there keeps its figures
            json_out.parent.mkdir(parents=True, exist_ok=True)
            json_out.write_text(text + "\n")
    print(text)
    return result
