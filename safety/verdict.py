"""Verdict types shared by every checker (stdlib only, so core.domain can re-export them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Decision(StrEnum):
    """A safety decision. ``UNCHECKED`` exists so that "not checked" is never confused with "allow"."""

    ALLOW = "allow"
    REVIEW = "review"
    BLOCK = "block"
    UNCHECKED = "unchecked"


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    categories: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    checker: str = ""
    checker_version: str = ""
    # Signals that are not harms by themselves but forbid relaxing anything downstream: "minors" (a child is in the
    # picture) and "person" (a real person is named). Core keeps the strict image thresholds for such jobs.
    signals: tuple[str, ...] = ()
