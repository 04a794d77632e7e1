"""The prompt filter's speed, new against previous, in one run: interleaved rounds, medians.

The previous filter is the code of ``BASELINE_REF`` (the last commit before the multilingual filter), exported with
``git archive`` into a temporary folder and run in a subprocess: both versions name their package ``safety``, so they
cannot share one interpreter. Without git or the history (an installed wheel), the comparison is reported as
unavailable rather than guessed.

Measured per round, on the same prompts (the dev split's texts; the test split stays held out):
- batched: prompts/s through ``check_many`` in batches of 256 with no clause cache (every clause embedded: the
  honest worst case) and with the cache warm;
- single: per-prompt latency of ``check`` on distinct prompts, p50 and p99, cache as in production.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BASELINE_REF = "ba59086"
ROOT = Path(__file__).resolve().parents[1]

# Runs inside either version: only APIs both have (PromptFilter(), check, check_many).
_ROUND = r"""
import json, sys, time
sys.setrecursionlimit(10000)
from safety.prompt_filter import PromptFilter

def measure(cold, warm, prompts, singles):
    out = {}
    start = time.perf_counter()
    for i in range(0, len(prompts), 256):
        cold.check_many(prompts[i:i + 256])
    out["batched_cold"] = len(prompts) / (time.perf_counter() - start)
    warm.check_many(prompts)
    start = time.perf_counter()
    for i in range(0, len(prompts), 256):
        warm.check_many(prompts[i:i + 256])
    out["batched_warm"] = len(prompts) / (time.perf_counter() - start)
    times = []
    for p in singles:
        t0 = time.perf_counter()
        warm.check(p)
        times.append((time.perf_counter() - t0) * 1000)
    out["single_ms"] = times
    return out

from safety.semantic import SemanticCheck

cold, warm = PromptFilter(semantic=SemanticCheck(cache_size=0)), PromptFilter()
for line in sys.stdin:
    job = json.loads(line)
    prompts = [(p, "") for p in job["prompts"]]
    print(json.dumps(measure(cold, warm, prompts, job["singles"])), flush=True)
"""


def _prompts(limit: int) -> list[str]:
    from safety.training.build import DEV_SPLIT

    texts: list[str] = []
    # The dev split only: the test split is held out, read by nothing but its own evaluation.
    for path in DEV_SPLIT:
        if path.is_file():
            texts += [json.loads(line)["prompt"] for line in path.read_text("utf-8").splitlines() if line.strip()]
    if not texts:
        texts = ["a red fox in the snow", "a lighthouse at dusk, oil painting", "a bowl of ramen, studio light"]
    out = list(dict.fromkeys(texts))
    i = 0
    while len(out) < limit:  # distinct texts, so the clause cache cannot hide the cost
        out.append(f"{texts[i % len(texts)]}, variation {i}")
        i += 1
    return out[:limit]


class _Side:
    """One filter version in its own interpreter, answering one measurement round per request."""

    def __init__(self, pythonpath: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", _ROUND], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, cwd=str(pythonpath),
                                     env={"PYTHONPATH": str(pythonpath), "PATH": "/usr/bin:/bin",
                                          "OMP_NUM_THREADS": "2", "HF_HUB_OFFLINE": "1"})

    def round(self, prompts: list[str], singles: list[str]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"prompts": prompts, "singles": singles}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the filter process ended early")
        return dict(json.loads(line))

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def _export_baseline(folder: Path) -> bool:
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", BASELINE_REF, "safety"], check=True,
                                 capture_output=True, timeout=60).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True, timeout=60)
        return True
    except (OSError, subprocess.SubprocessError):
        return False


def _summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    singles = sorted(t for r in rounds for t in r["single_ms"])
    return {
        "batched_prompts_per_s_cold_cache": round(statistics.median(r["batched_cold"] for r in rounds), 1),
        "batched_prompts_per_s_warm_cache": round(statistics.median(r["batched_warm"] for r in rounds), 1),
        "single_prompt_ms": {"p50": round(statistics.median(singles), 2),
                             "p99": round(singles[min(len(singles) - 1, round(0.99 * (len(singles) - 1)))], 2)},
    }


def filter_speed(n_prompts: int = 512, n_single: int = 200, rounds: int = 3) -> dict[str, Any]:
    """New and previous filter, interleaved round by round; medians over rounds (p99 over all single calls)."""
    prompts = _prompts(n_prompts + n_single)
    batch, singles = prompts[:n_prompts], prompts[n_prompts:]
    with tempfile.TemporaryDirectory(prefix="muralist-baseline-") as tmp:
        sides = {"new": _Side(ROOT)}
        if _export_baseline(Path(tmp)):
            sides["previous"] = _Side(Path(tmp))
        results: dict[str, list[dict[str, Any]]] = {name: [] for name in sides}
        errors: dict[str, str] = {}
        try:
            for _ in range(rounds):
                for name, side in sides.items():
                    if name in errors:
                        continue
                    try:
                        results[name].append(side.round(batch, singles))
                    except (RuntimeError, OSError, ValueError) as exc:
                        errors[name] = str(exc)
        finally:
            for side in sides.values():
                side.close()
    out: dict[str, Any] = {name: _summary(r) for name, r in results.items() if r}
    if "previous" not in out:
        out["previous"] = {"unavailable": errors.get("previous", f"git history with {BASELINE_REF} not found")}
    out["previous_ref"] = BASELINE_REF
    out["prompts"] = {"batched": len(batch), "single": len(singles), "rounds": rounds}
    out["targets"] = {"batched_prompts_per_s": 150, "single_prompt_ms_p99": 25}
    return out


def rule_stage_speed(n: int = 2000) -> float:
    """Prompts/s through the rule stage alone, on one thread."""
    from safety.prompt_filter import PromptFilter

    rules = PromptFilter(semantic=False)
    prompts = _prompts(n)
    start = time.perf_counter()
    for p in prompts:
        rules.check(p)
    return round(n / (time.perf_counter() - start), 1)
