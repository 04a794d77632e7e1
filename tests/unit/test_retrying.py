"""Database steps outlive an outage: retried while the database is unreachable, never past the budget, and only for
connection failures."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from core.retrying import StorageUnavailable, with_retry


def _down() -> OperationalError:
    return OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))


def test_an_outage_is_waited_out_with_growing_pauses() -> None:
    calls, pauses = [], []

    def step() -> str:
        calls.append(1)
        if len(calls) < 4:
            raise _down()
        return "recorded"

    assert with_retry(step, "record a job", sleep=pauses.append) == "recorded"
    assert pauses == [0.25, 0.5, 1.0]


def test_a_long_outage_ends_in_one_clear_error_within_the_budget() -> None:
    pauses: list[float] = []

    def step() -> None:
        raise _down()

    with pytest.raises(StorageUnavailable, match="record a job"):
        with_retry(step, "record a job", budget_s=0.0, sleep=pauses.append)
    assert pauses == []


def test_a_real_error_is_not_retried() -> None:
    calls: list[int] = []

    def step() -> None:
        calls.append(1)
        raise IntegrityError("INSERT", {}, ValueError("duplicate key"))

    with pytest.raises(IntegrityError):
        with_retry(step, "record a job", sleep=lambda _: None)
    assert calls == [1]
