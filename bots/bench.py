"""`muralist bench`: the full stack against a bare diffusers loop, on the same jobs, in interleaved rounds.

Bare: call the loaded StableDiffusionPipeline N times. Stack: N submits through the service (gates, SQLite, quota),
the in-memory broker, the embedded Celery worker, the same pipeline, the NSFW check, PNG writing and the database.
The stack does strictly more work, so a ratio near 1 means it overlaps that work with generation instead of
adding it.

On a shared 2-core machine one run of each side is noise: the sides take turns (bare, stack, batched stack, bare,
stack, … ``--rounds`` times), each round's ratio is computed from neighbours measured seconds apart, and the report
gives the median ratio with its spread (min–max and interquartile range). Where the stack's extra time goes is read
from the stage timings every process exports to Prometheus (``core/metrics.py``), before and after each round.
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
# The stack's stages besides the pipeline, as exported by core/metrics.py (seconds summed over a round).
_STAGES = ("submit", "prompt_filter", "submit_db", "enqueue", "start_db", "image_check", "png", "finish_db")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _spread(values: list[float], digits: int = 4) -> dict[str, float]:
    """Median, min–max and interquartile range of per-round values."""
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1 else (values * 3)
    return {"median": round(statistics.median(values), digits), "min": round(min(values), digits),
            "max": round(max(values), digits), "q1": round(q1, digits), "q3": round(q3, digits)}


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


def _stage_sums(model: str) -> dict[str, float]:
    from core.metrics import sample

    sums = {stage: sample("muralist_stage_seconds_sum", {"stage": stage}) for stage in _STAGES}
    sums["pipeline"] = sample("muralist_job_generation_seconds_sum", {"model": model})
    return sums


def _stack(n: int, pool: str, concurrency: int, data_dir: Path, batch: int = 1,
           model: str = "miniature") -> dict[str, Any]:
    from core.config import Settings
    from core.domain import Accepted, GenerationParams, Requester
    from core.events import FINISHED
    from core.runtime import build_runtime

    settings = Settings(data_dir=data_dir, quota_daily_images=10**6, max_queued_jobs_per_user=10**6,
                        rate_limit_jobs=10**6, metrics_port=None,
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
        stages_before = _stage_sums(runtime.spec.name)
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
        stages_after = _stage_sums(runtime.spec.name)
        bar.close()
        statuses = {job.status.value for j in ids if (job := runtime.app.wait(j, 0)) is not None}
        runner = runtime.runner
        batches = getattr(runner.pipeline, "batches", []) if runner else []
        return {"seconds": seconds, "latencies": latencies, "statuses": sorted(statuses),
                "mean_batch": round(sum(batches) / len(batches), 2) if batches else 1.0,
                "stage_seconds": {k: stages_after[k] - stages_before[k] for k in stages_after}}
    finally:
        runtime.close()


def _where_it_goes(stage_seconds: dict[str, float], pictures: int) -> dict[str, float]:
    """ms per picture in each stage besides the pipeline. The gates are the submit's time less what is counted
    apart (the prompt filter, its database writes, the enqueue): ban, licence, params and their reads."""
    ms = {k: 1000 * v / pictures for k, v in stage_seconds.items()}
    return {
        "gates": ms["submit"] - ms["prompt_filter"] - ms["submit_db"] - ms["enqueue"],
        "prompt_filter": ms["prompt_filter"],
        "database": ms["submit_db"] + ms["start_db"] + ms["finish_db"],
        "enqueue": ms["enqueue"],
        "image_check": ms["image_check"],
        "png": ms["png"],
    }


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


def _chart(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ((left, middle), (breakdown, third)) = plt.subplots(2, 2, figsize=(15, 9))
    rounds = result["rounds"]
    names = ["bare diffusers loop", "full stack", "full stack,\nbatches of 4"]
    per_round = [[r["bare_jobs_per_s"] for r in rounds], [r["stack_jobs_per_s"] for r in rounds],
                 [r["batched_jobs_per_s"] for r in rounds]]
    medians = [statistics.median(v) for v in per_round]
    errors = [[m - min(v) for m, v in zip(medians, per_round, strict=True)],
              [max(v) - m for m, v in zip(medians, per_round, strict=True)]]
    bars = left.bar(names, medians, yerr=errors, capsize=6, color=["#9aa5b1", "#2f80ed", "#27ae60"])
    left.bar_label(bars, fmt="%.2f", label_type="center")
    left.set_ylabel("jobs per second (median, whiskers min–max)")
    left.set_title(f"Throughput over {len(rounds)} interleaved rounds")

    ratio, batched = result["stack_vs_bare"], result["batched_vs_bare"]
    xs = range(1, len(rounds) + 1)
    middle.plot(xs, [r["stack_vs_bare"] for r in rounds], "o-", color="#2f80ed", label="stack / bare")
    middle.plot(xs, [r["batched_vs_bare"] for r in rounds], "s-", color="#27ae60", label="batched / bare")
    middle.axhline(ratio["median"], color="#2f80ed", linestyle="--", linewidth=1)
    middle.axhline(batched["median"], color="#27ae60", linestyle="--", linewidth=1)
    middle.axhline(0.95, color="black", linestyle=":", linewidth=1, label="target 0.95")
    middle.set_xlabel("round")
    middle.set_xticks(list(xs))
    middle.set_title(f"Ratio per round: stack/bare median {ratio['median']:.3f} (IQR {ratio['q1']:.3f}–"
                     f"{ratio['q3']:.3f}), batched {batched['median']:.3f}")
    middle.legend()

    where = result["overhead_ms_per_picture"]["where"]
    colours = ["#f2994a", "#eb5757", "#9b51e0", "#56ccf2", "#219653", "#828282"]
    bottom = 0.0
    for (stage, ms), colour in zip(where.items(), colours, strict=False):
        breakdown.bar(["stage costs\n(work done, partly overlapped)"], [ms], bottom=bottom, color=colour,
                      label=f"{stage} {ms:.2f} ms")
        bottom += ms
    wall = result["overhead_ms_per_picture"]["wall"]["median"]
    breakdown.bar(["wall-clock overhead\n(stack − bare, median)"], [wall], color="#2f80ed")
    breakdown.axhline(0, color="black", linewidth=0.8)
    breakdown.set_ylabel("ms per picture")
    latency = result["stack"]["submit_latency_ms"]
    breakdown.set_title(f"Where the stack's time goes (submit p50 {latency['p50']:.1f} ms, "
                        f"p99 {latency['p99']:.1f} ms)")
    breakdown.legend(fontsize=8)

    safety = result["safety"]
    labels = ["rule stage\n(prompts/s ÷ 5000)", "full filter\n(prompts/s ÷ 150)", "image check\n(30 ms ÷ p50 ms)"]
    ratios = [safety["rule_stage_prompts_per_s"] / 5000, safety["full_filter_prompts_per_s"] / 150,
              30 / max(safety["image_check_ms_512"]["p50"], 1e-6)]
    load = result.get("load")
    if load and load.get("ack_latency_ms", {}).get("p99") and load.get("submits_per_s"):
        labels += [f"load: ack p99\n(100 ms ÷ {load['ack_latency_ms']['p99']:.0f} ms)",
                   f"load: submits/s\n({load['submits_per_s']:.0f} ÷ 300)"]
        ratios += [100 / load["ack_latency_ms"]["p99"], load["submits_per_s"] / 300]
    bars3 = third.bar(labels, ratios, color=["#27ae60" if r >= 1 else "#eb5757" for r in ratios])
    third.bar_label(bars3, fmt="%.2fx")
    third.axhline(1.0, color="black", linestyle="--", linewidth=1)
    third.tick_params(axis="x", labelsize=8)
    third.set_title("Safety and load vs target (≥ 1 meets it)" if load else "Safety speed vs target (≥ 1 meets it)")
    fig.suptitle(f"muralist bench — {result['jobs']} jobs per side per round, {result['model']} {result['size']}px, "
                 f"{result['steps']} steps, {result['device']}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_bench(n: int, json_out: Path | None, png_out: Path | None, pool: str = "threads",
              concurrency: int = 2, arch: str = "miniature", rounds: int = 5) -> dict[str, Any]:
    from core.config import Settings
    from core.models_registry import model_spec
    from core.pipelines import load_pipeline

    spec = model_spec(Settings(model=arch))
    size, steps, cfg = spec.default_size, spec.default_steps, spec.default_cfg
    per_round: list[dict[str, Any]] = []
    latencies: list[float] = []
    stack_statuses: set[str] = set()
    batched_statuses: set[str] = set()
    mean_batches: list[float] = []
    with tempfile.TemporaryDirectory(prefix="muralist-bench-") as tmp:
        pipe = load_pipeline(spec.source, Path(tmp) / "bare-models")
        device = str(pipe.device)
        for number in range(1, rounds + 1):
            print(f"round {number}/{rounds}", file=sys.stderr)
            bare_s = _bare(pipe, n, size, steps, cfg)
            _free_accelerator_memory()
            # The stack's data dir (its cached model) is kept across rounds; its runtime is not, so no idle worker
            # polls its queue while the bare side is measured.
            stack = _stack(n, pool, concurrency, Path(tmp) / "stack", model=arch)
            _free_accelerator_memory()
            batched = _stack(n, "threads", 4, Path(tmp) / "batched", batch=4, model=arch)
            _free_accelerator_memory()
            latencies += stack["latencies"]
            stack_statuses.update(stack["statuses"])
            batched_statuses.update(batched["statuses"])
            mean_batches.append(batched["mean_batch"])
            per_round.append({
                "bare_s": round(bare_s, 4), "stack_s": round(stack["seconds"], 4),
                "batched_s": round(batched["seconds"], 4),
                "bare_jobs_per_s": round(n / bare_s, 3), "stack_jobs_per_s": round(n / stack["seconds"], 3),
                "batched_jobs_per_s": round(n / batched["seconds"], 3),
                "stack_vs_bare": round(bare_s / stack["seconds"], 4),
                "batched_vs_bare": round(bare_s / batched["seconds"], 4),
                "overhead_ms_per_picture": round(1000 * (stack["seconds"] - bare_s) / n, 3),
                "bare_ms_per_picture": round(1000 * bare_s / n, 3),
                "stack_pipeline_ms_per_picture": round(1000 * stack["stage_seconds"]["pipeline"] / n, 3),
                "where_ms_per_picture": {k: round(v, 3) for k, v in _where_it_goes(stack["stage_seconds"], n).items()},
            })
        del pipe
    _free_accelerator_memory()
    safety = _safety(n_prompts=max(1000, n * 50), n_images=max(50, n * 2))
    lat_ms = [x * 1000 for x in latencies]
    where = {stage: round(statistics.median(r["where_ms_per_picture"][stage] for r in per_round), 3)
             for stage in per_round[0]["where_ms_per_picture"]}
    result: dict[str, Any] = {
        "jobs": n, "rounds": per_round, "model": spec.name, "arch": arch, "size": size, "steps": steps,
        "device": device,
        "bare": {"jobs_per_s": _spread([r["bare_jobs_per_s"] for r in per_round], 3)},
        "stack": {"jobs_per_s": _spread([r["stack_jobs_per_s"] for r in per_round], 3), "pool": pool,
                  "concurrency": concurrency, "statuses": sorted(stack_statuses),
                  "submit_latency_ms": {"p50": round(statistics.median(lat_ms), 3),
                                        "p99": round(_percentile(lat_ms, 0.99), 3)}},
        "stack_batched": {"jobs_per_s": _spread([r["batched_jobs_per_s"] for r in per_round], 3),
                          "pool": "threads", "concurrency": 4, "batch_max": 4, "batch_wait_ms": 50,
                          "mean_batch": round(statistics.median(mean_batches), 2),
                          "statuses": sorted(batched_statuses)},
        "stack_vs_bare": _spread([r["stack_vs_bare"] for r in per_round]),
        "batched_vs_bare": _spread([r["batched_vs_bare"] for r in per_round]),
        "overhead_ms_per_picture": {
            "wall": _spread([r["overhead_ms_per_picture"] for r in per_round], 3),
            "bare_ms_per_picture": _spread([r["bare_ms_per_picture"] for r in per_round], 3),
            "stack_pipeline_ms_per_picture": _spread([r["stack_pipeline_ms_per_picture"] for r in per_round], 3),
            # Medians of the stages' time per picture. With the threads pool the image check, PNG and database
            # writes of one job run while the next one generates, so they add up to more than the wall overhead.
            "where": where, "where_total": round(sum(where.values()), 3),
        },
        "safety": safety,
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
    }
    # The headline numbers keep their old names (the median now), so earlier bench JSON reads the same way.
    result["stack_vs_bare_ratio"] = result["stack_vs_bare"]["median"]
    result["batched_vs_bare_ratio"] = result["batched_vs_bare"]["median"]
    png = png_out or (json_out.with_suffix(".png") if json_out else Path("bench-out/bench.png"))
    _chart(result, png)
    result["chart"] = str(png)
    return _report(result, json_out)


def add_load_to_report(load: dict[str, Any], json_out: Path) -> bool:
    """``muralist bench --load --json X`` where X is already a bench report: the load figures go into it (key
    ``load``) and its chart is drawn again with them, so one JSON and one chart carry everything. False where X is
    not a bench report (then the load figures are written on their own)."""
    try:
        report = json.loads(json_out.read_text("utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(report, dict) or "stack_vs_bare" not in report:
        return False
    report["load"] = load
    json_out.write_text(json.dumps(report, indent=2) + "\n")
    chart = Path(report.get("chart") or json_out.with_suffix(".png"))
    _chart(report, chart)
    return True
