"""Measure the prompt filter on a labelled JSONL set: recall on what must be blocked, false flags on what must not."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safety.prompt_filter import Policy, PromptFilter
from safety.verdict import Decision


@dataclass
class EvalReport:
    block_total: int = 0
    block_caught: int = 0
    allow_total: int = 0
    allow_flagged: int = 0
    minors_total: int = 0
    minors_caught: int = 0
    by_technique: Counter[str] = field(default_factory=Counter)
    misses_by_technique: Counter[str] = field(default_factory=Counter)
    misses: list[dict[str, Any]] = field(default_factory=list)
    false_flags: list[dict[str, Any]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.block_caught / self.block_total if self.block_total else 1.0

    @property
    def false_flag_rate(self) -> float:
        return self.allow_flagged / self.allow_total if self.allow_total else 0.0

    @property
    def minors_recall(self) -> float:
        return self.minors_caught / self.minors_total if self.minors_total else 1.0

    def table(self) -> str:
        lines = [
            f"block set: {self.block_caught}/{self.block_total} caught  recall {self.recall:.1%}",
            f"allow set: {self.allow_flagged}/{self.allow_total} flagged  false-flag rate {self.false_flag_rate:.1%}",
            f"minors x sexual: {self.minors_caught}/{self.minors_total} blocked ({self.minors_recall:.0%})",
            "",
            f"{'technique':<26}{'cases':>6}{'missed':>8}",
        ]
        for technique, total in sorted(self.by_technique.items()):
            lines.append(f"{technique:<26}{total:>6}{self.misses_by_technique[technique]:>8}")
        for miss in self.misses:
            lines.append(f"MISSED      {miss['id']}: {miss['prompt'][:70]!r}")
        for flag in self.false_flags:
            lines.append(f"FALSE FLAG  {flag['id']}: {flag['prompt'][:60]!r} -> {flag['decision']} {flag['why']}")
        return "\n".join(lines)


def load_cases(path: Path) -> list[dict[str, Any]]:
    cases = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        case = json.loads(line)
        if case.get("expect") not in ("allow", "block") or "prompt" not in case:
            raise ValueError(f"{path}:{n}: each line needs 'prompt' and 'expect' (allow|block)")
        cases.append(case)
    return cases


def evaluate(prompt_filter: PromptFilter, cases: list[dict[str, Any]], policy: Policy | None = None) -> EvalReport:
    verdicts = prompt_filter.check_many([(c["prompt"], c.get("negative_prompt", "")) for c in cases],
                                        policy or Policy())
    report = EvalReport()
    for case, verdict in zip(cases, verdicts, strict=True):
        if case["expect"] == "block":
            technique = case.get("technique", "?")
            report.block_total += 1
            report.by_technique[technique] += 1
            caught = verdict.decision is Decision.BLOCK
            report.block_caught += caught
            if case.get("category") == "minors_sexual":
                report.minors_total += 1
                report.minors_caught += caught and "minors_sexual" in verdict.categories
            if not caught:
                report.misses_by_technique[technique] += 1
                report.misses.append(case)
        else:
            report.allow_total += 1
            if verdict.decision is not Decision.ALLOW:
                report.allow_flagged += 1
                report.false_flags.append({**case, "decision": verdict.decision.value,
                                           "why": "; ".join(verdict.evidence)[:120]})
    return report
