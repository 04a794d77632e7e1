"""The rule stage of the prompt filter: tiered whole-word rules from editable data files (see rules/README.md).

Matching is token n-gram lookups on every normalised variant of the text, so it is fast (thousands of prompts per
second on one core) and never matches inside an unrelated word ("cocktail", "Scunthorpe", "Essex").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from safety.normalize import Normalised, base_form, collapse, has_cjk, normalise, word_tokens

CHILD_EMOJI = frozenset("👶🧒👦👧🚸🍼🎒🧸")
_NUMBER_WORDS = {w: i for i, w in enumerate((
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"))}
_AGE_DIGITS = re.compile(
    r"(?<![\d.])(\d{1,2})\s*(?:-|\s)?\s*(?:years?|yrs?|y\s*/\s*o|y\.o\.?|yo)(?![a-z])(?:[\s-]*old)?"
    r"|\bage[ds]?\s*(?:of\s*)?(\d{1,2})\b|\b(\d{1,2})\s*(?:ans|jahre|años|anni|anos|лет)\b")
_AGE_WORDS = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")[\s-]*(?:years?|yrs?)[\s-]*old\b")
_ZH_NUMERALS = {"一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_AGE_ZH = re.compile(r"(\d{1,2}|[一二两兩三四五六七八九十]{1,3})\s*(?:岁|歲|周岁|週歲)")


def _zh_number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _ZH_NUMERALS.get(text[1:], 0)
    tens, _, ones = text.partition("十")
    return _ZH_NUMERALS.get(tens, 0) * (10 if "十" in text else 1) + _ZH_NUMERALS.get(ones, 0)


def minor_ages(base: str, cjk: str) -> list[str]:
    """Ages under 18 written in digits or words ("12yo", "twelve-year-old", "aged 9", "十二岁")."""
    found = []
    for match in _AGE_DIGITS.finditer(base):
        age = next(int(g) for g in match.groups() if g)
        if age < 18:
            found.append(match.group(0).strip())
    found += [m.group(0) for m in _AGE_WORDS.finditer(base)]
    found += [m.group(0) for m in _AGE_ZH.finditer(cjk or base) if _zh_number(m.group(1)) < 18]
    return found


@dataclass
class RuleSet:
    phrases: dict[tuple[str, ...], set[str]] = field(default_factory=lambda: defaultdict(set))
    collapsed: dict[tuple[str, ...], set[str]] = field(default_factory=lambda: defaultdict(set))
    collapsed_allow: set[tuple[str, ...]] = field(default_factory=set)
    glued: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    cjk: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    allow: set[tuple[str, ...]] = field(default_factory=set)
    allow_glued: set[str] = field(default_factory=set)
    allow_zh: list[str] = field(default_factory=list)
    _lengths: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    _collapsed_lengths: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    _glued_re: re.Pattern[str] | None = None

    @classmethod
    def parse(cls, lines: Iterable[str]) -> RuleSet:
        rules = cls()
        category = None
        for raw in lines:
            line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
            if not line:
                continue
            if line.startswith("[") and line.endswith("]"):
                category = line[1:-1].strip()
                continue
            if category is None:
                raise ValueError(f"rule {line!r} is not under a [category] heading")
            rules.add(category, line)
        rules._compile()
        return rules

    def add(self, category: str, term: str) -> None:
        glued = term.endswith("*")
        term = term.rstrip("*").strip()
        if category == "allow_zh":
            self.allow_zh.append(base_form(term))
            return
        if category == "allow_glued":
            self.allow_glued.add(base_form(term).strip())
            return
        if has_cjk(term):
            self.cjk[base_form(term).replace(" ", "")].add(category)
            return
        # A term goes through the same normalisation as the text, so "n-a-k-e-d" in a file still means "naked".
        tokens = tuple(word_tokens(term))
        if not tokens:
            return
        squeezed = tuple(collapse(t) for t in tokens)
        if category == "allow":
            self.allow.add(tokens)
            self._lengths[tokens[0]].add(len(tokens))
            self.collapsed_allow.add(squeezed)
            self._collapsed_lengths[squeezed[0]].add(len(squeezed))
            return
        self.phrases[tokens].add(category)
        self._lengths[tokens[0]].add(len(tokens))
        # Collapsed forms ("boobs" -> "bobs") catch "boooobs"; too-short ones would match ordinary words.
        if len("".join(squeezed)) >= 4:
            self.collapsed[squeezed].add(category)
            self._collapsed_lengths[squeezed[0]].add(len(squeezed))
        if glued and len(tokens) == 1:
            self.glued[tokens[0]].add(category)

    def _compile(self) -> None:
        if self.glued:
            self._glued_re = re.compile("|".join(sorted(map(re.escape, self.glued), key=len, reverse=True)))
        self.allow_zh.sort(key=len, reverse=True)

    @classmethod
    def load(cls, folder: Path | None = None) -> RuleSet:
        if folder is not None:
            files = sorted(folder.glob("*.txt"))
            return cls.parse(line for f in files for line in f.read_text(encoding="utf-8").splitlines())
        root = resources.files("safety").joinpath("rules")
        texts = [p.read_text(encoding="utf-8") for p in sorted(root.iterdir(), key=lambda p: p.name)
                 if p.name.endswith(".txt")]
        return cls.parse(line for text in texts for line in text.splitlines())

    # --- matching -------------------------------------------------------------------------------------------------

    @staticmethod
    def _phrase_hits(tokens: list[str], phrases: dict[tuple[str, ...], set[str]], allow: set[tuple[str, ...]],
                     lengths: dict[str, set[int]], hits: dict[str, set[str]]) -> set[int]:
        """Record phrase hits outside allowed spans; return the allowed token positions."""
        allowed: set[int] = set()
        for i, tok in enumerate(tokens):
            for n in lengths.get(tok, ()):
                if tuple(tokens[i:i + n]) in allow:
                    allowed.update(range(i, i + n))
        for i, tok in enumerate(tokens):
            for n in lengths.get(tok, ()):
                span = tuple(tokens[i:i + n])
                cats = phrases.get(span)
                if cats and not allowed.issuperset(range(i, i + n)):
                    for cat in cats:
                        hits[cat].add(" ".join(span))
        return allowed

    def _match_tokens(self, tokens: list[str], hits: dict[str, set[str]]) -> None:
        allowed = self._phrase_hits(tokens, self.phrases, self.allow, self._lengths, hits)
        for i, tok in enumerate(tokens):
            if self._glued_re is not None and len(tok) > 4 and i not in allowed and tok not in self.allow_glued \
                    and (tok,) not in self.phrases:
                for m in self._glued_re.finditer(tok):
                    for cat in self.glued[m.group(0)]:
                        hits[cat].add(f"{m.group(0)} (in '{tok}')")

    def match(self, text: str) -> tuple[dict[str, set[str]], Normalised]:
        """Categories hit by the text, each with its evidence (the matched terms)."""
        norm = normalise(text)
        hits: dict[str, set[str]] = defaultdict(set)
        for variant in norm.variants:
            self._match_tokens(variant.split(), hits)
        squeezed: dict[str, set[str]] = defaultdict(set)
        self._phrase_hits(norm.collapsed.split(), self.collapsed, self.collapsed_allow, self._collapsed_lengths,
                          squeezed)
        for cat, terms in squeezed.items():  # only when nothing plainer found the category ("boooobs")
            if cat not in hits:
                hits[cat] = terms
        if norm.cjk:
            cjk = norm.cjk
            for word in self.allow_zh:
                cjk = cjk.replace(word, "|")
            for term, cats in self.cjk.items():
                if term in cjk:
                    for cat in cats:
                        hits[cat].add(term)
        ages = minor_ages(norm.base, norm.cjk)
        if ages:
            hits["minors"].update(ages)
        emoji = CHILD_EMOJI.intersection(text)
        if emoji:
            hits["minors"].update(emoji)
        return dict(hits), norm
