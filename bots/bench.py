"""`muralist bench`: the full stack against a bare diffusers loop, on the same jobs, in one run.

Bare: call the loaded StableDiffusionPipeline N times. Stack: N submits through the service (gates, SQLite, quota),
the in-memory broker, the embedded Celery worker, the same pipeline, the NSFW check, PNG writing and the database.
The stack does strictly more work, so a ratio near 1 means it overlaps that work with generation instead of
adding it.
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

PROMPTS = ["a red fox in the snow", "a lighthouse at dusk", "a bowl of ramen, studio light", "an old map of a city"]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _bare(pipe: Any, n: int, size: int, steps: int, cfg: float) -> float:
    """Call the diffusers pipeline directly, N times, on one dedicated thread (as the worker's pipeline runs: torch's
    CPU thread pool belongs to the calling thread, and the stack must not inherit a busy one from the bare side)."""
    import torch

    def loop() -> None:
        for i in tqdm(range(n + 2), desc="bare loop", unit="job", file=sys.stderr, leave=False):
            if i == 2:  # the first two calls are warm-up, as on the stack side
                timing["start"] = time.perf_counter()
            with torch.inference_mode():
                pipe(prompt=[PROMPTS[i % len(PROMPTS)]], negative_prompt=[""], num_inference_steps=steps, width=size,
                     height=size, guidance_scale=cfg, generator=[torch.Generator("cpu").manual_seed(1000 + i)])
        timing["end"] = time.perf_counter()

    timing: dict[str, float] = {}
    thread = threading.Thread(target=loop, name="bench-bare")
    thread.start()
    thread.join()
    return timing["end"] - timing["start"]


def _stack(n: int, pool: str, concurrency: int, batch: int = 1, model: str = "miniature") -> dict[str, Any]:
    from core.config import Settings
    from core.domain import Accepted, GenerationParams, Requester
    from core.events import FINISHED
    from core.runtime import build_runtime

    with tempfile.TemporaryDirectory(prefix="muralist-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp), quota_daily_images=10**6, max_queued_jobs_per_user=10**6,
                            rate_limit_jobs=10**6,
                            worker_pool=pool, worker_concurrency=concurrency,  # type: ignore[arg-type]
                            batch_max=batch, model=model)
        runtime = build_runtime(settings)
        try:
            who = Requester("bench", "bench")
            runtime.app.accept_licence(who)
            finished: set[str] = set()
            all_done = threading.Event()
            expected: set[str] = set()
            lock = threading.Lock()

            def on_finished(payload: dict[str, Any]) -> None:
                with lock:
                    finished.add(payload["job_id"])
                    if expected and expected <= finished:
                        all_done.set()

            runtime.bus.subscribe(FINISHED, on_finished)
            for i in range(2):  # warm-up, not measured: first calls pay one-off costs on both sides
                warm = runtime.app.imagine(who, GenerationParams(PROMPTS[i], seed=i))
                assert isinstance(warm, Accepted), warm
                runtime.app.wait(warm.job_id, 120)

            latencies: list[float] = []
            bar = tqdm(total=n, desc=f"full stack (batch {batch})", unit="job", file=sys.stderr, leave=False)
            runtime.bus.subscribe(FINISHED, lambda _: bar.update(1))
            start = time.perf_counter()
            ids = []
            for i in range(n):
                t0 = time.perf_counter()
                outcome = runtime.app.imagine(who, GenerationParams(PROMPTS[i % len(PROMPTS)], seed=1000 + i))
                latencies.append(time.perf_counter() - t0)
                if not isinstance(outcome, Accepted):
                    raise RuntimeError(f"bench job refused: {outcome.message}")
                ids.append(outcome.job_id)
            with lock:
                expected.update(ids)
                if expected <= finished:
                    all_done.set()
            if not all_done.wait(600):
                raise RuntimeError("the stack did not finish the bench jobs in 10 minutes")
            seconds = time.perf_counter() - start
            bar.close()
            statuses = {job.status.value for j in ids if (job := runtime.app.wait(j, 0)) is not None}
            runner = runtime.runner
            batches = getattr(runner.pipeline, "batches", []) if runner else []
            return {"seconds": seconds, "latencies": latencies, "statuses": sorted(statuses),
                    "mean_batch": round(sum(batches) / len(batches), 2) if batches else 1.0}
        finally:
            runtime.close()


def _safety(n_prompts: int, n_images: int) -> dict[str, Any]:
    """Prompt filter speed (rule stage alone; the whole filter, new against previous) and image check latency."""
    import numpy as np
    from PIL import Image

    from bots.bench_safety import filter_speed, rule_stage_speed
    from safety.image_check import Thresholds, load_image_checker

    rules_rate = rule_stage_speed(min(n_prompts, 2000))
    speed = filter_speed(n_prompts=min(n_prompts, 512))

    checker = load_image_checker(Thresholds())
    rng = np.random.default_rng(0)
    pictures = [Image.fromarray(rng.integers(0, 255, (512, 512, 3), dtype=np.uint8)) for _ in range(4)]
    checker.check(pictures[:1])
    times = []
    for i in tqdm(range(n_images), desc="image check", unit="pic", file=sys.stderr, leave=False):
        t0 = time.perf_counter()
        checker.check([pictures[i % len(pictures)]])
        times.append((time.perf_counter() - t0) * 1000)
    new = speed["new"]
    return {"rule_stage_prompts_per_s": rules_rate,
            "full_filter_prompts_per_s": new["batched_prompts_per_s_cold_cache"],
            "full_filter_prompts_per_s_warm_cache": new["batched_prompts_per_s_warm_cache"],
            "single_prompt_ms": new["single_prompt_ms"], "prompt_filter_vs_previous": speed,
            "image_check_ms_512": {"p50": round(statistics.median(times), 2),
                                   "p99": round(_percentile(times, 0.99), 2)},
            "targets": {"rule_stage_prompts_per_s": 5000, "full_filter_prompts_per_s": 150,
                        "single_prompt_ms_p99": 25, "image_check_ms_512_p50": 30}}


def _report(result: dict[str, Any], json_out: Path | None) -> dict[str, Any]:
    text = json.dumps(result, indent=2)
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(text + "\n")
    print(text)
    return result


def run_safety_bench(json_out: Path | None) -> dict[str, Any]:
    return _report(_safety(n_prompts=1000, n_images=50), json_out)


def _free_accelerator_memory() -> None:
    import gc

    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:  # pragma: no cover
        pass


def _chart(result: dict[str, Any], latencies_ms: list[float], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right, third) = plt.subplots(1, 3, figsize=(15, 4))
    names = ["bare diffusers loop", "full stack", "full stack,\nbatches of 4"]
    values = [result["bare"]["jobs_per_s"], result["stack"]["jobs_per_s"], result["stack_batched"]["jobs_per_s"]]
    bars = left.bar(names, values, color=["#9aa5b1", "#2f80ed", "#27ae60"])
    left.bar_label(bars, fmt="%.2f")
    left.set_ylabel("jobs per second")
    left.set_title(f"Throughput: stack/bare {result['stack_vs_bare_ratio']:.2f} (target ≥ 0.95), "
                   f"batched/bare {result['batched_vs_bare_ratio']:.2f}")
    right.hist(latencies_ms, bins=30, color="#2f80ed")
    right.axvline(result["stack"]["submit_latency_ms"]["p50"], color="black", linestyle="--", label="p50")
    right.axvline(result["stack"]["submit_latency_ms"]["p99"], color="red", linestyle="--", label="p99")
    right.set_xlabel("submit latency (ms)")
    right.set_title("Submit latency (gates + DB + enqueue)")
    right.legend()
    safety = result["safety"]
    labels = ["rule stage\n(prompts/s ÷ 5000)", "full filter\n(prompts/s ÷ 150)", "image check\n(30 ms ÷ p50 ms)"]
    ratios = [safety["rule_stage_prompts_per_s"] / 5000, safety["full_filter_prompts_per_s"] / 150,
              30 / max(safety["image_check_ms_512"]["p50"], 1e-6)]
    bars3 = third.bar(labels, ratios, color=["#27ae60" if r >= 1 else "#eb5757" for r in ratios])
    third.bar_label(bars3, fmt="%.2fx")
    third.axhline(1.0, color="black", linestyle="--", linewidth=1)
    third.set_title("Safety speed vs target (≥ 1 meets it)")
    fig.suptitle(f"muralist bench — {result['jobs']} jobs, {result['model']} {result['size']}px, "
                 f"{result['steps']} steps, {result['device']}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_bench(n: int, json_out: Path | None, png_out: Path | None, pool: str = "threads",
              concurrency: int = 2, arch: str = "miniature") -> dict[str, Any]:
    from core.config import Settings
    from core.models_registry import model_spec
    from core.pipelines import load_pipeline

    spec = model_spec(Settings(model=arch))
    size, steps, cfg = spec.default_size, spec.default_steps, spec.default_cfg
    with tempfile.TemporaryDirectory(prefix="muralist-bench-models-") as models:
        pipe = load_pipeline(spec.source, Path(models))
        bare_s = _bare(pipe, n, size, steps, cfg)
        device = str(pipe.device)
        del pipe
    _free_accelerator_memory()
    stack = _stack(n, pool, concurrency, model=arch)
    _free_accelerator_memory()
    batched = _stack(n, "threads", 4, batch=4, model=arch)
    safety = _safety(n_prompts=max(1000, n * 50), n_images=max(50, n * 2))
    lat_ms = [x * 1000 for x in stack["latencies"]]
    result: dict[str, Any] = {
        "jobs": n, "model": spec.name, "arch": arch, "size": size, "steps": steps, "device": device,
        "bare": {"seconds": round(bare_s, 4), "jobs_per_s": round(n / bare_s, 3)},
        "stack": {"seconds": round(stack["seconds"], 4), "jobs_per_s": round(n / stack["seconds"], 3),
                  "pool": pool, "concurrency": concurrency, "statuses": stack["statuses"],
                  "submit_latency_ms": {"p50": round(statistics.median(lat_ms), 3),
                                        "p99": round(_percentile(lat_ms, 0.99), 3)}},
        "stack_batched": {"seconds": round(batched["seconds"], 4), "jobs_per_s": round(n / batched["seconds"], 3),
                          "pool": "threads", "concurrency": 4, "batch_max": 4, "batch_wait_ms": 50,
                          "mean_batch": batched["mean_batch"], "statuses": batched["statuses"]},
        "safety": safety,
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
    }
    result["stack_vs_bare_ratio"] = round(result["stack"]["jobs_per_s"] / result["bare"]["jobs_per_s"], 4)
    result["batched_vs_bare_ratio"] = round(result["stack_batched"]["jobs_per_s"] / result["bare"]["jobs_per_s"], 4)
    png = png_out or (json_out.with_suffix(".png") if json_out else Path("bench-out/bench.png"))
    _chart(result, lat_ms, png)
    result["chart"] = str(png)
    return _report(result, json_out)
