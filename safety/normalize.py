"""Text normalisation for matching. The original prompt is kept for the log; only these copies are matched.

Each step undoes one obfuscation people use against word filters: compatibility forms (fullwidth, mathematical,
circled letters), invisible characters (zero-width, soft hyphen, word joiner, bidi marks), combining marks
(zalgo, accents, strike-through), look-alike letters from other scripts, leetspeak, repeated letters, letters split
by spaces or punctuation, markdown/spoiler markers and Stable Diffusion weight syntax.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Cyrillic and Greek letters that look like Latin ones (after casefolding).
_CONFUSABLES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "з": "3", "и": "u", "й": "u", "к": "k", "м": "m", "н": "h", "о": "o",
    "п": "n", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "ɡ": "g", "ı": "i", "ℓ": "l",
    "α": "a", "β": "b", "γ": "y", "δ": "d", "ε": "e", "ζ": "z", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v",
    "ο": "o", "π": "n", "ρ": "p", "σ": "o", "ς": "c", "τ": "t", "υ": "u", "χ": "x", "ω": "w",
})
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "@": "a",
                       "$": "s", "!": "i", "|": "l", "+": "t", "€": "e", "£": "l"})
_LEET_ALT = str.maketrans({"1": "l", "!": "l", "|": "i"})  # "1" is "i" in n1ppl3 but "l" in 1ewd
_WEIGHTS = re.compile(r":\s*-?\d+(?:\.\d+)?(?=\s*[)\]}>])")  # (word:1.3), <lora:name:0.8> keeps "name"
_BRACKETS = re.compile(r"[()\[\]{}<>]")
_MARKDOWN = re.compile(r"\|\||\*\*?|__|~~|`+|>!|!<|^>\s?|\\", re.MULTILINE)  # spoilers, bold, strike, code, quotes
_LEET_RUN = re.compile(r"[\w@$!|+€£]*[a-z][\w@$!|+€£]*|[\w@$!|+€£]*[@$!|+€£][\w@$!|+€£]*")
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)  # letters/digits; underscores separate like spaces
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff])[\s\W_]+(?=[\u3400-\u9fff\uf900-\ufaff])")
_REPEAT3 = re.compile(r"(.)\1{2,}")
_REPEAT2 = re.compile(r"(.)\1+")


def strip_invisible(text: str) -> str:
    """Drop format characters (zero-width, soft hyphen, word joiner, bidi marks, tags) and control characters."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc") or ch in "\n\t")


def base_form(text: str) -> str:
    """NFKC, casefold, no invisible characters, no combining marks, no SD weight syntax; spacing kept."""
    text = strip_invisible(unicodedata.normalize("NFKC", text)).casefold()
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    text = unicodedata.normalize("NFC", text)
    # Markdown markers are removed without a space: "~~n~~ude" is "nude", "**nude**" is "nude".
    return _BRACKETS.sub(" ", _WEIGHTS.sub(" ", _MARKDOWN.sub("", text)))


def word_tokens(text: str) -> list[str]:
    """The words of a rule term, normalised like text but without generating variants."""
    return _TOKEN.findall(base_form(text))


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _join_split_letters(tokens: list[str]) -> list[str]:
    """'n u d e' / 'n.u.d.e' / 'n-u-d-e' arrive as runs of one-letter tokens: join runs of three or more."""
    out: list[str] = []
    run: list[str] = []
    for tok in [*tokens, ""]:
        if len(tok) == 1 and tok.isalpha():
            run.append(tok)
            continue
        if len(run) >= 3:
            out.append("".join(run))
        else:
            out.extend(run)
        run = []
        if tok:
            out.append(tok)
    return out


def _deleet(text: str, table: dict[int, str]) -> str:
    return _LEET_RUN.sub(lambda m: m.group(0).translate(table), text)


@dataclass(frozen=True)
class Normalised:
    base: str  # for regexes over the real text (ages, CJK)
    cjk: str  # base with the gaps between CJK characters removed ("色 情" -> "色情")
    variants: tuple[str, ...]  # space-joined token streams, each padded with spaces, for whole-word matching
    collapsed: str  # every repeated letter collapsed ("boobs" -> "bobs"), matched against collapsed terms


def normalise(text: str) -> Normalised:
    base = base_form(text)
    mapped = base.translate(_CONFUSABLES)
    streams = {
        " ".join(_tokens(base)),
        " ".join(_tokens(_deleet(mapped, _LEET))),
        " ".join(_tokens(_deleet(_deleet(mapped, _LEET_ALT), _LEET))),
    }
    for stream in list(streams):
        streams.add(_REPEAT3.sub(r"\1", stream))
        streams.add(" ".join(_join_split_letters(stream.split())))
    joined = " ".join(_join_split_letters(_tokens(_deleet(mapped, _LEET))))
    collapsed = _REPEAT2.sub(r"\1", joined)
    return Normalised(
        base=base,
        cjk=_CJK_GAP.sub("", base) if _CJK.search(base) else "",
        variants=tuple(f" {s} " for s in sorted(streams)),
        collapsed=f" {collapsed} ",
    )


def collapse(term: str) -> str:
    return _REPEAT2.sub(r"\1", term)


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))
