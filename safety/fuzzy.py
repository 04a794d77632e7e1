"""Misspellings of the sensitive vocabulary ("nakd", "tiddies", "secks"), without touching real words.

A token counts as a misspelling of a listed term when it is within one edit of it (two for terms of seven letters or
more) *and* it is rare as a word in the languages members write in (wordfreq's Zipf scale, which ships its data inside
the package). The rarity test is what keeps "baked", "node", "notes" and "puss" from reading as "naked", "nude",
"nudes" and "pussy": real words are never treated as typos.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import cache

_WORD = re.compile(r"^[a-z]{3,20}$")
_PHONETIC = ((re.compile(r"cks|ks|x"), "x"), (re.compile(r"ck"), "k"), (re.compile(r"ph"), "f"),
             (re.compile(r"z$"), "s"))
# Zipf 2.5 is about once per 3 million words. A two-edit guess needs a rarer token: "topples" is two edits from
# "topless" and a real, if uncommon, word.
COMMON_ZIPF = {1: 2.5, 2: 1.5}
# Every Latin-script language wordfreq knows that members write in: "pagi" (Indonesian) is not "nagi" (Polish).
LANGUAGES = ("en", "de", "es", "fr", "it", "pt", "nl", "pl", "sv", "da", "nb", "fi", "tr", "id", "ms", "vi", "cs",
             "ro", "hu", "ca", "sh", "lt", "lv", "sk", "sl", "fil", "is")


def _phonetic(word: str) -> str:
    for pattern, to in _PHONETIC:
        word = pattern.sub(to, word)
    return word


def _deletions(word: str, depth: int) -> set[str]:
    out = {word}
    for _ in range(depth):
        out |= {w[:i] + w[i + 1:] for w in out for i in range(len(w))}
    return out


def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance (an adjacent swap is one edit)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


@cache
def _zipf(word: str) -> float:
    try:
        from wordfreq import zipf_frequency
    except ImportError:  # without the frequency data nothing is judged a typo: precision over recall
        return 9.0
    return max(zipf_frequency(word, lang) for lang in LANGUAGES)


class Misspellings:
    """A deletion index (SymSpell's idea) over the single-word terms of some categories."""

    def __init__(self, terms: Iterable[tuple[str, str]]) -> None:
        self._index: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self._terms: dict[str, set[str]] = defaultdict(set)
        for term, category in terms:
            if not _WORD.match(term):
                continue
            for form in {term, _phonetic(term)}:
                self._terms[form].add(category)
                if len(form) < 5:  # short terms only by exact phonetic spelling ("secks" for "sex"): one edit from
                    # a four-letter word is another real word in some language far too often
                    continue
                for variant in _deletions(form, self._depth(form)):
                    self._index[variant].add((form, category))

    @staticmethod
    def _depth(word: str) -> int:
        return 2 if len(word) >= 7 else 1

    def match(self, token: str) -> list[tuple[str, str]]:
        """(term, category) pairs the token misspells; empty for real words and exact terms."""
        if len(token) < 4 or not _WORD.match(token) or token in self._terms:
            return []
        found: dict[str, tuple[str, int]] = {}
        for form in {token, _phonetic(token)}:
            if form in self._terms and form != token:
                found.update((form, (c, 1)) for c in self._terms[form])
                continue
            for variant in _deletions(form, self._depth(form)):
                for term, category in self._index.get(variant, ()):
                    edits = _distance(form, term)
                    if edits <= self._depth(term):
                        found[term] = (category, max(edits, 1))
        if not found:
            return []
        zipf = _zipf(token)
        return sorted((term, cat) for term, (cat, edits) in found.items() if zipf < COMMON_ZIPF[min(edits, 2)])
