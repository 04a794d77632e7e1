"""Prompt filter: rules, then meaning, then the context's policy → one :class:`Verdict`.

Order of reasoning:
1. The rule stage (``rules_engine``) finds categories in the prompt, and intent in the negative prompt (removing
   clothing asks for nudity; removing adulthood asks for a child).
2. The semantic stage (``semantic``) catches paraphrase the rules do not list.
3. Derived hard categories: any minors signal together with any sexual signal is ``minors_sexual``; a real person's
   name with a sexual signal is ``real_person_sexual``. Both are blocked whatever the context allows.
4. Policy: a context marked NSFW may allow the ``sexual`` category, never the hard ones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from safety.rules_engine import RuleSet
from safety.semantic import SemanticCheck, SemanticScore
from safety.verdict import Decision, Verdict

log = logging.getLogger(__name__)

CHECKER = "muralist-prompt"
VERSION = "2"
HARD = frozenset({"minors_sexual", "real_person_sexual", "gore", "hate"})
MAX_CHARS = 20_000  # beyond this we only look at the head: the service refuses long prompts anyway


@dataclass(frozen=True)
class Policy:
    nsfw_allowed: bool = False


@dataclass(frozen=True)
class SemanticThresholds:
    """Calibrated on tests/data/prompt_eval.jsonl: the closest harmless prompt there scores 0.55 (a glamour
    portrait) and the closest harmless one with a positive margin 0.54 (a bare-chested wrestler)."""

    block: float = 0.64
    block_margin: float = 0.15
    review: float = 0.57
    review_margin: float = 0.10


class PromptFilter:
    def __init__(self, rules: RuleSet | None = None, semantic: SemanticCheck | None | bool = True,
                 thresholds: SemanticThresholds | None = None, rules_dir: Path | None = None) -> None:
        self.rules = rules or RuleSet.load(rules_dir)
        self.semantic: SemanticCheck | None
        if semantic is True:
            self.semantic = SemanticCheck()
        elif semantic is False or semantic is None:
            self.semantic = None
        else:
            self.semantic = semantic
        self.thresholds = thresholds or SemanticThresholds()

    @property
    def version(self) -> str:
        return VERSION + ("+semantic" if self.semantic else "+rules-only")

    def check(self, prompt: str, negative_prompt: str = "", *, nsfw_allowed: bool = False) -> Verdict:
        return self.check_many([(prompt, negative_prompt)], Policy(nsfw_allowed))[0]

    def check_many(self, items: list[tuple[str, str]], policy: Policy | None = None) -> list[Verdict]:
        """Verdicts in input order; the semantic stage runs once, batched, for the prompts the rules did not block."""
        staged = [self._rules(p[:MAX_CHARS], n[:MAX_CHARS]) for p, n in items]
        need = [i for i, cats in enumerate(staged) if not (set(cats) & HARD) and "sexual" not in cats]
        scores: dict[int, dict[str, SemanticScore]] = {}
        if self.semantic is not None and need:
            for i, score in zip(need, self.semantic.score_many([items[i][0][:MAX_CHARS] for i in need]),
                                strict=True):
                scores[i] = score
        return [self._decide(cats, scores.get(i), policy or Policy()) for i, cats in enumerate(staged)]

    def _rules(self, prompt: str, negative: str) -> dict[str, set[str]]:
        hits, _ = self.rules.match(prompt)
        cats = {c: set(e) for c, e in hits.items()
                if c in ("sexual", "suggestive", "minors", "gore", "hate", "person")}
        if negative.strip():
            neg_hits, _ = self.rules.match(negative)
            if "clothing" in neg_hits:
                cats.setdefault("sexual", set()).update(f"negative removes {t}" for t in neg_hits["clothing"])
            if "adulthood" in neg_hits:
                cats.setdefault("minors", set()).update(f"negative removes {t}" for t in neg_hits["adulthood"])
        return cats

    def _decide(self, cats: dict[str, set[str]], semantic: dict[str, SemanticScore] | None,
                policy: Policy) -> Verdict:
        categories = {c for c in cats if c not in ("minors", "person")}
        evidence = {f"{c}: {t}" for c, ts in cats.items() for t in ts}
        scores: dict[str, float] = {c: 1.0 for c in categories}
        review = False
        t = self.thresholds
        if semantic:
            for cat, s in semantic.items():
                scores[f"semantic_{cat}"] = round(s.score, 4)
                if s.score >= t.block and s.margin >= t.block_margin:
                    categories.add(cat)
                    evidence.add(f"{cat}: '{s.clause}' means '{s.concept}' ({s.score:.2f})")
                elif s.score >= t.review and s.margin >= t.review_margin:
                    review = True
                    evidence.add(f"{cat}?: '{s.clause}' resembles '{s.concept}' ({s.score:.2f})")
                    if cat == "sexual" and "minors" in cats:
                        categories.add("sexual")  # doubtful sexual + a minor is not doubtful
        if "suggestive" in categories:
            if "minors" in cats:
                categories.add("sexual")  # suggestive + a minor is sexualising a minor
            else:
                review = True
        if "sexual" in categories and "minors" in cats:
            categories.add("minors_sexual")
        if "sexual" in categories and "person" in cats:
            categories.add("real_person_sexual")
        if not categories & {"minors_sexual", "real_person_sexual"}:
            # A name or a minor alone is an ordinary subject; say nothing about them.
            evidence = {e for e in evidence if not e.startswith(("minors:", "person:"))}

        if categories & HARD:
            decision = Decision.BLOCK
        elif "sexual" in categories:
            decision = Decision.ALLOW if policy.nsfw_allowed else Decision.BLOCK
        elif review and not policy.nsfw_allowed:  # the prompt runs; its pictures wait for a moderator
            decision = Decision.REVIEW
        else:
            decision = Decision.ALLOW
        return Verdict(decision, tuple(sorted(categories)), tuple(sorted(evidence)), scores, CHECKER, self.version)
