"""Prompt filter: normalise a copy of the text, match tiered whole-word rules, combine signals into a Verdict.

The original text is kept for the log; only the normalised copy is matched. A minors signal together with any sexual
signal is always a hard block, whatever the context allows.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from safety.verdict import Decision, Verdict

CHECKER = "muralist-rules"
VERSION = "1"

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e"))
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_WEIGHT = re.compile(r"[()\[\]{}]|:\s*-?\d+(?:\.\d+)?")  # SD emphasis syntax: ((word)), (word:1.3), [word]
_NON_WORD = re.compile(r"[^\w']+")
ALWAYS_BLOCK = frozenset({"minors_sexual", "gore", "hate"})


def normalise(text: str) -> str:
    """Casefolded NFKC text with invisible characters and combining marks removed and emphasis syntax dropped."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold()
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    text = _WEIGHT.sub(" ", text)
    return " ".join(_NON_WORD.sub(" ", text).split())


def _variants(text: str) -> set[str]:
    """The plain normalised text plus a de-leeted, de-repeated copy ("n4ked", "naaaked")."""
    plain = normalise(text)
    deleet = " ".join(_NON_WORD.sub(" ", plain.translate(_LEET)).split())
    derepeat = re.sub(r"(\w)\1{2,}", r"\1", deleet)
    return {plain, deleet, derepeat}


@dataclass(frozen=True)
class Rules:
    terms: dict[str, frozenset[str]]  # category -> terms (single words or phrases)
    allow: tuple[str, ...]

    @classmethod
    def parse(cls, lines: Iterable[str]) -> Rules:
        groups: dict[str, set[str]] = {}
        current = None
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("[") and line.endswith("]"):
                current = line[1:-1].strip()
                groups.setdefault(current, set())
            elif current:
                groups[current].add(normalise(line))
        allow = tuple(sorted(groups.pop("allow", set()), key=len, reverse=True))
        return cls({k: frozenset(v) for k, v in groups.items()}, allow)

    @classmethod
    def bundled(cls) -> Rules:
        text = resources.files("safety").joinpath("rules/terms.txt").read_text(encoding="utf-8")
        return cls.parse(text.splitlines())


class PromptFilter:
    def __init__(self, rules: Rules | None = None) -> None:
        self.rules = rules or Rules.bundled()

    def _hits(self, text: str) -> dict[str, set[str]]:
        hits: dict[str, set[str]] = {}
        for variant in _variants(text):
            padded = f" {variant} "
            for phrase in self.rules.allow:
                padded = padded.replace(f" {phrase} ", " ")
            for category, terms in self.rules.terms.items():
                for term in terms:
                    if f" {term} " in padded:
                        hits.setdefault(category, set()).add(term)
        return hits

    def check(self, prompt: str, negative_prompt: str = "", *, nsfw_allowed: bool = False) -> Verdict:
        hits = self._hits(prompt)
        categories = set(hits)
        if "sexual" in categories and "minors" in categories:
            categories.add("minors_sexual")
        categories.discard("minors")  # minors alone is an ordinary subject ("a child flying a kite")
        # A negative prompt that removes clothing is intent: "clothes" in the negative asks for nudity.
        negative_hits = self._hits(negative_prompt)
        if {"clothes", "clothing", "dress", "shirt"} & set(normalise(negative_prompt).split()):
            categories.add("sexual")
            if "minors" in hits:
                categories.add("minors_sexual")
            negative_hits.setdefault("sexual", set()).add("negative prompt removes clothing")
        counted = {"sexual", "minors", "gore", "hate"} if "minors_sexual" in categories else categories
        evidence = tuple(
            sorted({t for c, ts in (*hits.items(), *negative_hits.items()) if c in counted for t in ts})
        )

        if categories & ALWAYS_BLOCK:
            decision = Decision.BLOCK
        elif "sexual" in categories:
            decision = Decision.ALLOW if nsfw_allowed else Decision.BLOCK
        else:
            decision = Decision.ALLOW
        scores = {c: 1.0 for c in sorted(categories)}
        return Verdict(decision, tuple(sorted(categories)), evidence, scores, CHECKER, VERSION)
