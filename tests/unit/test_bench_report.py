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
