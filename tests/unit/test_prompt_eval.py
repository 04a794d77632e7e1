"""The older hand-written set (now part of the dev split: rules and thresholds were tuned on it) covers every
obfuscation technique. The targets are asserted on the held-out test split (test_prompt_splits.py)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from safety.evaluation import load_cases

EVAL = Path(__file__).resolve().parents[1] / "data" / "prompt_eval.jsonl"
REQUIRED_TECHNIQUES = {"zero-width", "soft-hyphen", "cyrillic", "fullwidth", "combining-marks", "leet", "spaced",
                       "dotted", "glued", "repeated", "misspelt", "sd-weights", "markdown", "emoji",
                       "negative-prompt", "dilution", "paraphrase"}


def test_the_set_is_big_enough_and_covers_every_technique() -> None:
    cases = load_cases(EVAL)
    expect = Counter(c["expect"] for c in cases)
    assert len(cases) >= 150 and expect["allow"] >= 70
    techniques = {c["technique"] for c in cases if c["expect"] == "block"}
    assert techniques >= REQUIRED_TECHNIQUES
    assert any(t.startswith("translation") for t in techniques)
    assert len({c["id"] for c in cases}) == len(cases)
