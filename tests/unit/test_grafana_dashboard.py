"""The Grafana dashboard queries only series the processes export: a renamed metric breaks this test, not a graph
an operator finds empty during an incident."""

from __future__ import annotations

import json
import re
from pathlib import Path

from core import metrics

DASHBOARD = Path(__file__).resolve().parents[2] / "ops" / "grafana-dashboard.json"
_SUFFIXES = ("", "_total", "_bucket", "_count", "_sum", "_created")


def exported_series() -> set[str]:
    metrics.heartbeat()  # the heartbeat age exists once a process has beaten
    return {family.name + suffix for family in metrics.registry().collect() for suffix in _SUFFIXES}


def queried(expressions: list[str]) -> set[str]:
    return {name for expr in expressions for name in re.findall(r"\bmuralist_[a-z0-9_]+", expr)}


def expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_every_series_the_dashboard_queries_is_exported() -> None:
    names = queried(expressions())
    assert len(names) >= 12
    assert names - exported_series() == set()


def test_a_misspelt_series_would_be_caught() -> None:
    assert queried(["rate(muralist_jobs_finishd_total[5m])"]) - exported_series() == {"muralist_jobs_finishd_total"}


def test_panels_have_unique_ids_and_a_query_each() -> None:
    panels = json.loads(DASHBOARD.read_text(encoding="utf-8"))["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    assert all(p["targets"] and all(t["expr"].strip() for t in p["targets"]) for p in panels)
