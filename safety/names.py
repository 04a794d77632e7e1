"""Name-shaped words: two capitalised words in a row ("Helene Fischer", "Ольга Бузова", "Hồ Ngọc Hà"), or one
capitalised word that is no common word in any language the filter knows ("Anitta", "Doda").

A list of real people can never be complete. Where nudity is allowed (an NSFW context) the filter therefore also
treats a name-shaped pair as a possible real person, and blocks sexual content with it: a false alarm costs a member
a reworded prompt, a miss costs a real person a fake nude. Pairs of everyday English words ("New York", "Red
Riding Hood") are not names.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from safety.normalize import strip_invisible

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)?")
EVERYDAY_ZIPF = 4.0
# German capitalises every noun: a capitalised word that German uses at all ("Rücksitz", "Fetzen") is no name.
GERMAN_NOUN_ZIPF = 2.5


def _titled(word: str) -> bool:
    rest = word[1:].replace("'", "").replace("’", "").replace("-", "")
    return len(word) >= 2 and word[0].isupper() and rest.islower()


@cache
def _everyday(word: str) -> bool:
    try:
        from wordfreq import zipf_frequency
    except ImportError:
        return False
    return zipf_frequency(word.casefold(), "en") >= EVERYDAY_ZIPF


@cache
def _unknown_word(word: str) -> bool:
    """Not a common word of any language the filter knows (and not a German noun): a stage name, a surname."""
    try:
        from wordfreq import zipf_frequency
    except ImportError:
        return False
    from safety.normalize import WORD_LANGUAGES

    folded = word.casefold()
    if zipf_frequency(folded, "de") >= GERMAN_NOUN_ZIPF:
        return False
    return all(zipf_frequency(folded, lang) < EVERYDAY_ZIPF for lang in WORD_LANGUAGES)


def name_like(text: str) -> list[str]:
    """Name-shaped pairs, then single name-shaped words, in one pass over the cleaned text."""
    text = strip_invisible(unicodedata.normalize("NFKC", text))
    matches = list(_WORD.finditer(text))
    return _pairs(text, matches) + _single_names(matches)


def _single_names(matches: list[re.Match[str]]) -> list[str]:
    """Single capitalised words that are no common word anywhere: "Anitta pelada" names someone."""
    return [w for w in dict.fromkeys(m.group(0) for m in matches) if len(w) >= 3 and _titled(w) and _unknown_word(w)]


def _pairs(text: str, matches: list[re.Match[str]]) -> list[str]:
    """Every pair of adjacent capitalised words that is not two everyday English words."""
    found = []
    for a, b in zip(matches, matches[1:], strict=False):
        gap = text[a.end():b.start()]
        if gap.strip() or not gap or not (_titled(a.group(0)) and _titled(b.group(0))):
            continue
        if _everyday(a.group(0)) and _everyday(b.group(0)):
            continue
        found.append(f"{a.group(0)} {b.group(0)}")
    return found
