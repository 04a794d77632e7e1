"""The bench's summary arithmetic (no timing here): the spread of per-round values and where the stack's time goes."""

from __future__ import annotations

import pytest

from bots.bench import _spread, _where_it_goes


def test_the_spread_is_median_min_max_and_interquartile_range() -> None:
    assert _spread([0.9, 1.1, 0.7, 1.0, 0.95]) == {"median": 0.95, "min": 0.7, "max": 1.1, "q1": 0.9, "q3": 1.0}
    assert _spread([0.8]) == {"median": 0.8, "min": 0.8, "max": 0.8, "q1": 0.8, "q3": 0.8}


def test_the_gates_are_the_submit_less_what_is_counted_apart() -> None:
    seconds = {"submit": 0.40, "prompt_filter": 0.10, "submit_db": 0.15, "enqueue": 0.05, "start_db": 0.05,
               "image_check": 0.30, "png": 0.20, "finish_db": 0.10, "pipeline": 5.0}
    where = _where_it_goes(seconds, pictures=10)
    assert where == pytest.approx({"gates": 10.0, "prompt_filter": 10.0, "database": 30.0, "enqueue": 5.0,
                                   "image_check": 30.0, "png": 20.0})


def _report() -> dict:  # type: ignore[type-arg]
    rounds = [{"bare_jobs_per_s": 10.0 + i, "stack_jobs_per_s": 9.0 + i, "batched_jobs_per_s": 11.0 + i,
               "stack_vs_bare": 0.9 + i / 100, "batched_vs_bare": 1.1 + i / 100} for i in range(3)]
    result = {
        "rounds": rounds, "jobs": 8, "model": "miniature", "size": 64, "steps": 4, "device": "cpu",
        "stack_vs_bare": _spread([r["stack_vs_bare"] for r in rounds]),
        "batched_vs_bare": _spread([r["batched_vs_bare"] for r in rounds]),
        "overhead_ms_per_picture": {"wall": _spread([4.0, 5.0, 6.0]),
                                    "where": {"gates": 1.0, "prompt_filter": 2.0, "database": 3.0, "enqueue": 0.5,
                                              "image_check": 4.0, "png": 1.5}},
        "stack": {"submit_latency_ms": {"p50": 12.0, "p99": 40.0}},
        "safety": {"rule_stage_prompts_per_s": 6000, "full_filter_prompts_per_s": 100,
                   "image_check_ms_512": {"p50": 20.0}},
    }
    return result


def test_the_chart_draws_the_rounds_the_spread_and_the_breakdown(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    from bots.bench import _chart

    _chart(_report(), tmp_path / "bench.png")
    with Image.open(tmp_path / "bench.png") as chart:
        assert chart.format == "PNG" and chart.width > 1000


def test_the_load_figures_join_an_existing_report_and_its_chart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from bots.bench import _chart, add_load_to_report

    report = _report()
    report["chart"] = str(tmp_path / "bench.png")
    _chart(report, tmp_path / "bench.png")
    (tmp_path / "bench.json").write_text(json.dumps(report))
    before = (tmp_path / "bench.png").read_bytes()
    load = {"members": 50, "ack_latency_ms": {"p50": 800.0, "p99": 1700.0}, "submits_per_s": 53.6}
    assert add_load_to_report(load, tmp_path / "bench.json")
    merged = json.loads((tmp_path / "bench.json").read_text())
    assert merged["load"] == load and merged["stack_vs_bare"] == report["stack_vs_bare"]
    assert (tmp_path / "bench.png").read_bytes() != before  # drawn again, with the load bars
    (tmp_path / "other.json").write_text("{}")
    assert not add_load_to_report(load, tmp_path / "other.json")
