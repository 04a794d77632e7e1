"""Text normalisation for matching. The original prompt is kept for the log; only these copies are matched.

Each step undoes one obfuscation people use against word filters: compatibility forms (fullwidth, mathematical,
circled letters), invisible characters (zero-width, soft hyphen, word joiner, bidi marks), combining marks
(zalgo, accents, strike-through), look-alike letters from other scripts, leetspeak, repeated letters, letters split
by spaces or punctuation, markdown/spoiler markers and Stable Diffusion weight syntax.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# Cyrillic and Greek letters that look like Latin ones (after casefolding).
_CONFUSABLES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "з": "3", "и": "u", "й": "u", "к": "k", "м": "m", "н": "h", "о": "o",
    "п": "n", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "ɡ": "g", "ı": "i", "ℓ": "l",
    "α": "a", "β": "b", "γ": "y", "δ": "d", "ε": "e", "ζ": "z", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v",
    "ο": "o", "π": "n", "ρ": "p", "σ": "o", "ς": "c", "τ": "t", "υ": "u", "χ": "x", "ω": "w",
})
# Letters that are not format characters but render as nothing: Hangul fillers, the braille blank, Mongolian and
# Khmer vowel separators. Spammers put them between letters exactly because filters keep them.
_BLANK_LETTERS = frozenset("\u3164\u115f\u1160\uffa0\u2800\u180e\u17b4\u17b5\u034f")
_NAMED_LETTER = re.compile(r"^LATIN (?:SMALL |CAPITAL )?LETTER (?:SMALL CAPITAL |SCRIPT |DOTLESS |TURNED |REVERSED |"
                           r"SIDEWAYS |INVERTED |BARRED |STRETCHED |CLOSED |OPEN )?([A-Z])(?: WITH .*)?$")
_NAMED_RANGES = ((0x0180, 0x02B0), (0x1D00, 0x1DC0), (0x2C60, 0x2C80), (0xA720, 0xA800), (0xAB30, 0xAB70))


@cache
def _skeleton_table() -> dict[int, str]:
    """Unicode TR39-style skeleton for single letters: every letter that is confusable with one ASCII letter maps to
    it. Sources: the confusables data that ships in ``confusable-homoglyphs`` (Armenian "ս", Latin alpha "ɑ", …),
    then letter names for what that data leaves out (small capitals "ɴᴜᴅᴇ", script and dotless letters)."""
    table: dict[int, str] = {}
    try:
        import confusable_homoglyphs

        data = json.loads((Path(confusable_homoglyphs.__file__).parent / "confusables.json").read_text("utf-8"))
        for char, targets in data.items():
            for target in targets:
                to = target["c"].casefold()
                if len(char) == 1 and len(to) == 1 and to.isascii() and to.isalnum() and not char.isascii():
                    table[ord(char)] = to
                    break
    except (ImportError, OSError, ValueError):  # the name-derived table below still covers the common cases
        pass
    for lo, hi in _NAMED_RANGES:
        for code in range(lo, hi):
            m = _NAMED_LETTER.match(unicodedata.name(chr(code), ""))
            if m:
                table.setdefault(code, m.group(1).lower())
    # Our own table wins: it was checked against what people actually type (Cyrillic "и" reads as "u").
    table.update(_CONFUSABLES)
    return table


_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "@": "a",
                       "$": "s", "!": "i", "|": "l", "+": "t", "€": "e", "£": "l"})
_LEET_ALT = str.maketrans({"1": "l", "!": "l", "|": "i"})  # "1" is "i" in n1ppl3 but "l" in 1ewd
_WEIGHTS = re.compile(r":\s*-?\d+(?:\.\d+)?(?=\s*[)\]}>])")  # (word:1.3), <lora:name:0.8> keeps "name"
_BRACKETS = re.compile(r"[()\[\]{}<>]")
_MARKDOWN = re.compile(r"\|\||\*\*?|__|~~|`+|>!|!<|^>\s?|\\", re.MULTILINE)  # spoilers, bold, strike, code, quotes
# A run of word and leet characters holding a letter or a leet sign; one pass over the run, no backtracking.
_LEET_RUN = re.compile(r"[\w@$!|+€£]++")
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)  # letters/digits; underscores separate like spaces
_HAS_LETTER_OR_LEET = re.compile(r"[a-z@$!|+€£]")
# One punctuation mark inside a word ("nu.de", "n?ude", "nu*de"): an extra stream reads the word without it.
_INNER_MARK = re.compile(r"(?<=[^\W\d_])[.?!*'’`´^~_\-](?=[^\W\d_])")
_REPEAT3 = re.compile(r"(.)\1{2,}")
_REPEAT2 = re.compile(r"(.)\1+")


def strip_invisible(text: str) -> str:
    """Drop format characters (zero-width, soft hyphen, word joiner, bidi marks, tags) and control characters."""
    return "".join(ch for ch in text
                   if (unicodedata.category(ch) not in ("Cf", "Cc") or ch in "\n\t") and ch not in _BLANK_LETTERS)


_WORDISH = re.compile(r"\w+")
COMMON_ZIPF = 3.0  # a word seen at least once per million words in some language is a word, not a disguise
# Languages wordfreq knows, for deciding that an accented token is a real word ("göre", "góry", "nächster").
WORD_LANGUAGES = ("ar", "bg", "ca", "cs", "da", "de", "el", "en", "es", "fa", "fi", "fil", "fr", "he", "hu", "id",
                  "is", "it", "lt", "lv", "mk", "ms", "nb", "nl", "pl", "pt", "ro", "ru", "sh", "sk", "sl", "sv", "tr",
                  "uk", "vi")


@cache
def word_languages(word: str) -> frozenset[str]:
    """The languages in which ``word`` is a common word (empty without the wordfreq data)."""
    try:
        from wordfreq import zipf_frequency
    except ImportError:
        return frozenset()
    return frozenset(lang for lang in WORD_LANGUAGES if zipf_frequency(word, lang) >= COMMON_ZIPF)


# Marks that are decoration or disguise: accents on Latin, Greek and Cyrillic letters, Arabic and Hebrew vowel points
# (optional in writing), and the generic combining blocks zalgo text is made of. Marks that make a different letter
# stay: Japanese dakuten (ブ is not フ), Thai tone marks, Devanagari signs.
_DROPPABLE_MARKS = re.compile("[\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670"
                              "\u06d6-\u06ed\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# One spelling per Arabic-script letter that Arabic and Persian keyboards write differently; no tatweel (ـ), a filler
# stroke that changes nothing but the look of a word.
_ARABIC = str.maketrans({"ی": "ي", "ى": "ي", "ک": "ك", "ة": "ه", "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ـ": None})


def strip_marks(text: str) -> str:
    """No decorative marks (see ``_DROPPABLE_MARKS``); dotless ı reads as i, as Turkish typed without its keyboard
    does; Arabic-script letters in one spelling."""
    text = _DROPPABLE_MARKS.sub("", unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFC", text).replace("ı", "i").translate(_ARABIC)


def _folded(text: str) -> str:
    """NFKC, no invisible characters, casefolded: the first step of every form below."""
    return strip_invisible(unicodedata.normalize("NFKC", text)).casefold()


def _without_markup(text: str) -> str:
    # Markdown markers are removed without a space: "~~n~~ude" is "nude", "**nude**" is "nude".
    return _BRACKETS.sub(" ", _WEIGHTS.sub(" ", _MARKDOWN.sub("", text)))


def base_form(text: str) -> str:
    """NFKC, casefold, no invisible characters, no combining marks, no SD weight syntax; spacing kept."""
    text = _folded(text)
    return _without_markup(text if text.isascii() else strip_marks(text))


def accented_words(text: str) -> dict[str, str]:
    """Words that lose accents in matching, as {stripped: accented}: "göre" -> "gore" must be recognised as Turkish
    "according to", not as the English word (see RuleSet's language veto)."""
    light = _folded(text)
    if light.isascii():
        return {}
    out = {}
    for word in _WORDISH.findall(light):
        stripped = strip_marks(word)
        if stripped != word:
            out[stripped] = word
    return out


def light_form(text: str) -> str:
    """What the sentence encoder reads: like :func:`base_form` but with accents kept — they carry meaning in
    Vietnamese, Hindi or German, and the encoder knows them."""
    return _without_markup(_folded(text))


def word_tokens(text: str) -> list[str]:
    """The words of a rule term, normalised like text but without generating variants."""
    return _TOKEN.findall(base_form(text))


_TO_CYRILLIC = str.maketrans({"a": "а", "o": "о", "e": "е", "p": "р", "c": "с", "x": "х", "y": "у", "k": "к",
                              "m": "м", "t": "т", "h": "н", "b": "в", "i": "і", "3": "з", "0": "о"})
_LATIN_ACCENTED = range(0x00C0, 0x0180)
_CYRILLIC_GREEK = range(0x0370, 0x0530)


def skeleton(text: str) -> str:
    """Look-alike letters mapped to ASCII, word by word, only where a word is a disguise: it mixes ASCII with other
    scripts ("nаkеd" with Cyrillic а, е) or uses letters no language writes words in ("ɴᴜᴅᴇ"). A word written wholly
    in Cyrillic or Greek is a real word of its language and is left alone ("пакет" is not "naket")."""
    table = _skeleton_table()

    def one(m: re.Match[str]) -> str:
        word = m.group(0)
        if word.isascii():
            return word
        mixed = any("a" <= c <= "z" for c in word)
        exotic = any(ord(c) in table and ord(c) not in _LATIN_ACCENTED and ord(c) not in _CYRILLIC_GREEK
                     for c in word)
        return word.translate(table) if mixed or exotic else word
    return _WORDISH.sub(one, text)


def cyrillic_skeleton(text: str) -> str:
    """The other direction, for Russian words with Latin look-alikes in them ("гoлaя" with Latin o and a)."""
    def one(m: re.Match[str]) -> str:
        word = m.group(0)
        cyrillic = sum("\u0400" <= c <= "\u04ff" for c in word)
        return word.translate(_TO_CYRILLIC) if cyrillic and not word.isascii() else word
    return _WORDISH.sub(one, text)


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def join_split_letters(tokens: list[str], minimum: int = 3, letter: Callable[[str], bool] = str.isalpha) -> list[str]:
    """'n u d e' / 'n.u.d.e' / 'n-u-d-e' arrive as runs of one-letter tokens: join runs of ``minimum`` or more."""
    out: list[str] = []
    run: list[str] = []
    for tok in [*tokens, ""]:
        if len(tok) == 1 and letter(tok):
            run.append(tok)
            continue
        if len(run) >= minimum:
            out.append("".join(run))
        else:
            out.extend(run)
        run = []
        if tok:
            out.append(tok)
    return out


_CLAUSE_BREAK = re.compile(r"[,;|/\n\u3001\uff0c\uff1b\u3002\u060c\u061b\u0964\u0965]+")


def _joined_by_clause(text: str) -> str:
    """Join split letters inside each clause only, so "l o l i, n s f w" reads "loli nsfw", not "lolinsfw"."""
    return " ".join(" ".join(join_split_letters(_tokens(part))) for part in _CLAUSE_BREAK.split(text))


_NEGATIVE_WEIGHT = re.compile(r"[(\[]([^():\[\]]++):\s*+-\s*+\d++(?:\.\d++)?\s*+[)\]]")


_CLAUSE = re.compile(r"[,;!?|/\n\u3001\uff0c\u3002\uff01\uff1f\uff1b\uff1a\u060c\u061b\u061f\u0964\u0965]+"
                     r"|\.(?=\s|$)")


def clause_texts(text: str) -> list[str]:
    """The clauses of a prompt, as people separate them (commas, semicolons, sentence ends, CJK punctuation)."""
    return [c.strip() for c in _CLAUSE.split(text) if c.strip()]


def negatively_weighted(text: str) -> list[str]:
    """Terms given a negative weight inside the prompt ("(clothes:-1.5)"): SD reads them as a negative prompt."""
    return [m.group(1).strip() for m in _NEGATIVE_WEIGHT.finditer(text)]


def _deleet(text: str, table: dict[int, str]) -> str:
    def one(m: re.Match[str]) -> str:
        run = m.group(0)
        return run.translate(table) if _HAS_LETTER_OR_LEET.search(run) else run
    return _LEET_RUN.sub(one, text)


@dataclass(frozen=True)
class Normalised:
    base: str  # for regexes over the real text (ages, CJK)
    variants: tuple[str, ...]  # space-joined token streams, each padded with spaces, for whole-word matching
    collapsed: str  # every repeated letter collapsed ("boobs" -> "bobs"), matched against collapsed terms


# Where Latin letters or digits touch a glued script ("jkのエロ画像", "18禁"), a word ends: the token streams split
# there so "jk" is a word of its own.
_SCRIPT_EDGE = re.compile("(?<=[a-z0-9])(?=[\u0e00-\u0eff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af])"
                          "|(?<=[\u0e00-\u0eff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af])(?=[a-z0-9])")


def normalise(text: str) -> Normalised:
    base = base_form(text)
    words = _SCRIPT_EDGE.sub(" ", base)
    mapped = skeleton(words)
    streams = {
        " ".join(_tokens(words)),
        " ".join(_tokens(_INNER_MARK.sub("", words))),
        " ".join(_tokens(cyrillic_skeleton(words))),
        " ".join(_tokens(_deleet(mapped, _LEET))),
        " ".join(_tokens(_deleet(_deleet(mapped, _LEET_ALT), _LEET))),
    }
    for stream in list(streams):
        streams.add(_REPEAT3.sub(r"\1", stream))
    for source in (words, _deleet(mapped, _LEET)):
        streams.add(_joined_by_clause(source))
    # Doubled letters are collapsed only in words that were stretched ("boooobs" -> "bobs" = "boobs"): collapsing
    # ordinary words makes "seeks" read as "seks" and "penne" as "pene".
    stretched = [_REPEAT2.sub(r"\1", t) if _REPEAT3.search(t) else "\u00b7"
                 for t in _joined_by_clause(_deleet(mapped, _LEET)).split()]
    return Normalised(
        base=base,
        variants=tuple(f" {s} " for s in sorted(streams)),
        collapsed=f" {' '.join(stretched)} ",
    )


def collapse(term: str) -> str:
    return _REPEAT2.sub(r"\1", term)

