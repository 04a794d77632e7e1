"""The rule stage of the prompt filter: tiered rules from editable data files (see rules/README.md).

Three kinds of rule, all read from ``safety/rules/*.txt``:

- *terms* in spaced scripts (Latin, Cyrillic, Greek, Armenian) match whole words or phrases, by token n-gram lookups
  on every normalised variant of the text, so they never match inside an unrelated word ("cocktail", "Scunthorpe");
- *terms* in scripts that glue words and particles (Han, kana, Hangul, Thai, Arabic, Devanagari, Hebrew) and emoji
  match as substrings of the text with spacing and punctuation squeezed out;
- *ambiguous* terms ("naked": cake or person? "sex": the act, or six in Swedish?) are reported as ``category?``
  and count only when the meaning stage reads the clause the same way: word sense comes from the rest of the clause;
- *conjunctions* (``swastika + flag|banner``) match when every ``+`` group has an alternative in the same clause, in
  any order: harm is often a combination of harmless words ("a flag with a swastika", "a burning cross").

On top: misspellings of the sexual vocabulary (``fuzzy``) and ages under 18 in many languages (``ages``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from safety.ages import minor_ages
from safety.fuzzy import Misspellings
from safety.names import name_like
from safety.normalize import (
    Normalised,
    accented_words,
    base_form,
    clause_texts,
    collapse,
    join_split_letters,
    normalise,
    skeleton,
    word_languages,
    word_tokens,
)

CATEGORIES = ("sexual", "suggestive", "minors", "person", "gore", "hate", "self_harm", "clothing", "adulthood",
              "human", "thing")
# Misspelt self-harm and gore ("suiside", "decapitaed") are guesses like the rest: the meaning stage must agree.
FUZZY_CATEGORIES = ("sexual", "suggestive", "self_harm", "gore")
GLUED_NAME_CHARS = 8  # a joined first and last name this long is found inside a longer run of letters
CHILD_EMOJI = frozenset("👶🧒👦👧🚸🍼")
_STAR = "*"
# Rule files named for a language (``de.txt``) carry that language; these carry several, or none (names, emoji).
FILE_LANGUAGES: dict[str, frozenset[str] | None] = {
    "nordic": frozenset({"sv", "da", "nb"}), "people": None, "allow": None, "emoji": None}
# Scripts whose words are glued to particles or to each other: their terms match as substrings.
_NO_SPACES = ("\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
              "\uf900-\ufaff\uff66-\uff9f\U00020000-\U0002ffff")
_GLUED = re.compile(f"[{_NO_SPACES}\u0590-\u08ff\u0900-\u0dff\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"
                    "\ufb1d-\ufdff\ufe70-\ufeff]")
_GAP = re.compile(f"(?<=[{_NO_SPACES}]) +(?=[{_NO_SPACES}])")
_WORDS = re.compile(r"\w+")


def is_spaced(term: str) -> bool:
    """Whether a (normalised) term is matched word by word: it has no letter of a glued script and no emoji ("jk制服",
    "18禁", "19금" are glued terms)."""
    return not _GLUED.search(term) and not any(unicodedata.category(ch) == "So" for ch in term)


def glue(text: str) -> str:
    """The text for substring matching, padded with spaces: punctuation becomes spacing, spacing inside Chinese,
    Japanese and Thai is removed ("裸 体" is "裸体"), and letters spaced out one by one are joined ("누 드").
    Spaces between words of spaced scripts stay, so a term never matches across them ("바나나 체리" holds no "나체")."""
    spaced = "".join(" " if ch == "_" or unicodedata.category(ch)[0] in "ZPC" else ch for ch in text)
    tokens = _GAP.sub("", " ".join(spaced.split())).split()
    out = join_split_letters(tokens, minimum=2, letter=lambda t: not t.isascii())
    return f" {' '.join(out)} "


def squeeze(text: str) -> str:
    """A glued term's own form (see :func:`glue`), without the padding."""
    return glue(text).strip()


def _joinings(tokens: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The phrase with each gap between its words either kept or closed: (a, b, c), (ab, c), (a, bc), (abc)."""
    forms = [tokens[:1]]
    for token in tokens[1:]:
        forms = [f + (token,) for f in forms] + [f[:-1] + (f[-1] + token,) for f in forms]
    return forms


@dataclass(frozen=True)
class Conjunction:
    category: str
    source: str
    groups: tuple[tuple[re.Pattern[str] | None, re.Pattern[str] | None], ...]  # (spaced regex, substring regex)
    # The words of one group made only of plain single words: the conjunction can only match a text holding one of
    # them, which lets matching skip most conjunctions by a set lookup. None: no such group, always check.
    keys: frozenset[str] | None = None

    @classmethod
    def parse(cls, category: str, line: str) -> Conjunction:
        groups = []
        for group in line.split("+"):
            spaced, glued = [], []
            for alt in (a.strip() for a in group.split("|")):
                star = alt.endswith(_STAR)
                norm = base_form(alt.rstrip(_STAR)).strip()
                if not norm:
                    continue
                if is_spaced(norm):
                    words = " ".join(word_tokens(norm))
                    spaced.append(re.escape(words) + (r"\S*" if star else ""))
                else:
                    glued.append(re.escape(squeeze(norm)))
            if not spaced and not glued:
                raise ValueError(f"empty group in the conjunction {line!r}")
            groups.append((re.compile(r"(?<= )(?:" + "|".join(spaced) + r")(?= )") if spaced else None,
                           re.compile("|".join(glued)) if glued else None))
        if len(groups) < 2:
            raise ValueError(f"a conjunction needs at least two '+' groups: {line!r}")
        keys = None
        for part in line.split("+"):
            alts = [a.strip() for a in part.split("|") if a.strip()]
            alt_words = [word_tokens(a) for a in alts]
            if all(not a.endswith(_STAR) and is_spaced(base_form(a)) and len(w) == 1
                   for a, w in zip(alts, alt_words, strict=True)):
                keys = frozenset(w[0] for w in alt_words)
                break
        return cls(category, line.strip(), tuple(groups), keys)

    def matches(self, variants: tuple[str, ...], squeezed: str) -> bool:
        for spaced, glued in self.groups:
            if spaced is not None and any(spaced.search(v) for v in variants):
                continue
            if glued is not None and glued.search(squeezed):
                continue
            return False
        return True


TAG_WORDS = 3  # a clause of at most this many words is a tag ("noose", "ceiling fan", "heroic portrait")


def _with_tag_runs(clauses: list[str]) -> list[str]:
    """The clauses, plus each run of two or more consecutive tags read as one clause. Stable Diffusion prompts are
    often lists of tags — "adolf hitler, heroic portrait, glorious", "noose, ceiling fan, chair" — where what a
    conjunction needs is spread over several tags; in prose, a clause holds it."""
    out = list(clauses)
    run: list[str] = []
    for clause in [*clauses, ""]:
        if clause and len(clause.split()) <= TAG_WORDS:
            run.append(clause)
            continue
        if len(run) >= 2:
            out.append(" ".join(run))
        run = []
    return out


def _without_accents(text: str) -> str:
    """Each character without its accents, one for one, so that positions still match the text ("é" -> "e")."""
    if text.isascii():
        return text
    return "".join(_plain_letter(ch) for ch in text)


def _plain_letter(ch: str) -> str:
    if ch.isascii():
        return ch
    base = unicodedata.normalize("NFD", ch)[0]
    return base if base.isascii() and base.isalpha() else ch


@dataclass
class RuleSet:
    phrases: dict[tuple[str, ...], set[str]] = field(default_factory=lambda: defaultdict(set))
    collapsed: dict[tuple[str, ...], set[str]] = field(default_factory=lambda: defaultdict(set))
    collapsed_allow: set[tuple[str, ...]] = field(default_factory=set)
    glued: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    substrings: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    conjunctions: list[Conjunction] = field(default_factory=list)
    allow: set[tuple[str, ...]] = field(default_factory=set)
    # Phrases that settle a word's sense even next to a child ("jogando pelada" is football): kept in strict reading.
    allow_always: set[tuple[str, ...]] = field(default_factory=set)
    allow_glued: set[str] = field(default_factory=set)
    allow_substr: list[str] = field(default_factory=list)
    ambiguous: set[str] = field(default_factory=set)
    # The languages of the file each one-word term came from; None (no veto) for files of no one language.
    term_languages: dict[str, set[str]] = field(default_factory=dict)
    _language: frozenset[str] | None = None
    _lengths: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    _collapsed_lengths: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    _glued_re: re.Pattern[str] | None = None
    _allow_re: re.Pattern[str] | None = None
    _conj_index: dict[str, list[Conjunction]] = field(default_factory=lambda: defaultdict(list))
    _conj_always: list[Conjunction] = field(default_factory=list)
    _fuzzy: Misspellings | None = None

    @classmethod
    def parse(cls, lines: Iterable[str]) -> RuleSet:
        rules = cls()
        rules._parse_into(lines)
        rules._compile()
        return rules

    def _parse_into(self, lines: Iterable[str]) -> None:
        rules = self
        category = None
        for raw in lines:
            line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
            if not line:
                continue
            if line.startswith("[") and line.endswith("]"):
                category = line[1:-1].strip()
                if category == "allow_zh":  # the older name of allow_substr
                    category = "allow_substr"
                if category not in (*CATEGORIES, "allow", "allow_always", "allow_glued", "allow_substr", "ambiguous"):
                    raise ValueError(f"unknown rule category [{category}]")
                continue
            if category is None:
                raise ValueError(f"rule {line!r} is not under a [category] heading")
            rules.add(category, line)

    def add(self, category: str, term: str) -> None:
        if " + " in term or (term.count("+") and "|" in term):
            self.conjunctions.append(Conjunction.parse(category, term))
            return
        glued = term.endswith(_STAR)
        term = term.rstrip(_STAR).strip()
        norm = base_form(term).strip()
        if not norm:
            return
        if category == "allow_substr":
            self.allow_substr.append(squeeze(norm))
            return
        if category == "ambiguous":
            if is_spaced(norm):
                self.ambiguous.add(" ".join(word_tokens(norm)))
            else:
                self.ambiguous.add(squeeze(norm))
            return
        if category == "allow_glued":
            self.allow_glued.add(norm)
            return
        if not is_spaced(norm):
            self.substrings[squeeze(norm)].add(category)
            return
        # A term goes through the same normalisation as the text, so "n-a-k-e-d" in a file still means "naked".
        tokens = tuple(word_tokens(term))
        if tokens:
            self._add_tokens(category, tokens, glued)
            if len(tokens) == 1 and self._language is not None:
                self.term_languages.setdefault(tokens[0], set()).update(self._language)

    def _add_tokens(self, category: str, tokens: tuple[str, ...], glued: bool) -> None:
        squeezed = tuple(collapse(t) for t in tokens)
        if category in ("allow", "allow_always"):
            # Every hyphen-joined form too: text is read both ways ("blue-footed" is also "bluefooted").
            forms = _joinings(tokens) if len(tokens) <= 4 else [tokens]
            if category == "allow_always":
                self.allow_always.update(forms)
            for form in forms:
                self.allow.add(form)
                self._lengths[form[0]].add(len(form))
            self.collapsed_allow.add(squeezed)
            self._collapsed_lengths[squeezed[0]].add(len(squeezed))
            return
        self.phrases[tokens].add(category)
        self._lengths[tokens[0]].add(len(tokens))
        if category == "person" and len(tokens) > 1:  # "E m m a  W a t s o n" and #emmawatson read as one word
            self.phrases[("".join(tokens),)].add(category)
            self._lengths["".join(tokens)].add(1)
            if len("".join(tokens)) >= GLUED_NAME_CHARS:  # … and inside one: "T a y l o r  S w i f t  n u d e"
                self.glued["".join(tokens)].add(category)
        # Collapsed forms ("boobs" -> "bobs") catch "boooobs"; too-short ones would match ordinary words.
        if len("".join(squeezed)) >= 4:
            self.collapsed[squeezed].add(category)
            self._collapsed_lengths[squeezed[0]].add(len(squeezed))
        if glued and len(tokens) == 1:
            self.glued[tokens[0]].add(category)

    def mask_allowed(self, text: str) -> str:
        """The text with allow-listed phrases taken out, for the meaning stage: "spotted dick pudding" is judged as
        "pudding", "a sex education poster" as "a poster". Only whole phrases of several words are masked; single
        allowed words stay, so an allow list can never hide an ordinary sentence."""
        if self._allow_re is None:
            return text
        # The phrases are stored without accents ("chouriço de sangue" as "chourico de sangue"): find them in an
        # accent-free copy of the same length and blank the same spans of the text as written.
        plain = _without_accents(text)
        if plain == text:
            return self._allow_re.sub(" ", text)
        out, end = [], 0
        for m in self._allow_re.finditer(plain):
            out += [text[end:m.start()], " "]
            end = m.end()
        return "".join(out) + text[end:]

    def _compile(self) -> None:
        self._conj_index = defaultdict(list)
        self._conj_always = []
        for conj in self.conjunctions:
            if conj.keys is None:
                self._conj_always.append(conj)
            else:
                for key in conj.keys:
                    self._conj_index[key].append(conj)
        phrases = sorted((" ".join(t) for t in self.allow if len(t) > 1), key=len, reverse=True)
        if phrases:
            body = "|".join(r"[\W_]+".join(map(re.escape, p.split())) for p in phrases)
            self._allow_re = re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)
        if self.glued:
            self._glued_re = re.compile("|".join(sorted(map(re.escape, self.glued), key=len, reverse=True)))
        self.allow_substr.sort(key=len, reverse=True)
        self._fuzzy = Misspellings((tokens[0], cat) for tokens, cats in self.phrases.items() if len(tokens) == 1
                                   for cat in cats if cat in FUZZY_CATEGORIES)

    @classmethod
    def load(cls, folder: Path | None = None) -> RuleSet:
        if folder is not None:
            files = [(f.stem, f.read_text(encoding="utf-8")) for f in sorted(folder.glob("*.txt"))]
        else:
            root = resources.files("safety").joinpath("rules")
            files = [(p.name[:-4], p.read_text(encoding="utf-8")) for p in sorted(root.iterdir(), key=lambda p: p.name)
                     if p.name.endswith(".txt")]
        rules = cls()
        for stem, text in files:
            rules._language = FILE_LANGUAGES.get(stem, frozenset({stem}) if len(stem) == 2 else None)
            rules._parse_into(text.splitlines())
        rules._language = None
        rules._compile()
        word_languages("é")  # load the word lists now, not on the first member's accented prompt
        return rules

    # --- matching -------------------------------------------------------------------------------------------------

    def _phrase_hits(self, tokens: list[str], phrases: dict[tuple[str, ...], set[str]], allow: set[tuple[str, ...]],
                     lengths: dict[str, set[int]], hits: dict[str, set[str]]) -> set[int]:
        """Record phrase hits outside allowed spans; return the allowed token positions."""
        allowed: set[int] = set()
        for i, tok in enumerate(tokens):
            for n in lengths.get(tok, ()):
                if i + n <= len(tokens) and tuple(tokens[i:i + n]) in allow:
                    allowed.update(range(i, i + n))
        for i, tok in enumerate(tokens):
            for n in lengths.get(tok, ()):
                if i + n > len(tokens):
                    continue
                span = tuple(tokens[i:i + n])
                cats = phrases.get(span)
                if cats and not allowed.issuperset(range(i, i + n)):
                    words = " ".join(span)
                    mark = "?" if words in self.ambiguous else ""
                    for cat in cats:
                        hits[cat + mark].add(words)
        return allowed

    def _match_tokens(self, tokens: list[str], hits: dict[str, set[str]], use_allow: bool = True) -> None:
        allowed = self._phrase_hits(tokens, self.phrases, self.allow if use_allow else self.allow_always,
                                    self._lengths, hits)
        for i, tok in enumerate(tokens):
            if i in allowed or (tok,) in self.phrases:
                continue
            if self._glued_re is not None and len(tok) > 4 and tok not in self.allow_glued:
                for m in self._glued_re.finditer(tok):
                    for cat in self.glued[m.group(0)]:
                        hits[cat].add(f"{m.group(0)} (in '{tok}')")
            if self._fuzzy is not None and tok not in self.allow_glued:
                for term, cat in self._fuzzy.match(tok):  # a guess: the meaning stage must agree (see ambiguous)
                    hits[f"{cat}?"].add(f"{tok} (reads as '{term}')")

    def _squeezed(self, base: str) -> str:
        text = glue(base)
        for word in self.allow_substr:
            if word in text:
                text = text.replace(word, "|")
        return text

    def match(self, text: str, use_allow: bool = True) -> tuple[dict[str, set[str]], Normalised]:
        """Categories hit by the text, each with its evidence (the matched terms). Without ``use_allow`` the allow
        list is ignored: with a child or a real person in the prompt, "baby doll lingerie" is read word by word."""
        norm = normalise(text)
        hits: dict[str, set[str]] = defaultdict(set)
        for variant in norm.variants:
            self._match_tokens(variant.split(), hits, use_allow)
        squeezed: dict[str, set[str]] = defaultdict(set)
        self._phrase_hits(norm.collapsed.split(), self.collapsed, self.collapsed_allow, self._collapsed_lengths,
                          squeezed)
        for cat, terms in squeezed.items():  # only when nothing plainer found the category ("boooobs")
            if cat not in hits and f"{cat}?" not in hits:
                hits[cat] = terms
        glued_text = self._squeezed(norm.base)
        if self.substrings and not glued_text.isascii():
            # Plain containment per term, not one alternation regex: a regex would hide a term that overlaps a
            # longer match ("裸体" inside "全裸体" — both may carry different categories).
            for term, cats in self.substrings.items():
                if term in glued_text:
                    mark = "?" if term in self.ambiguous else ""
                    for cat in cats:
                        hits[cat + mark].add(term)
        self._match_conjunctions(norm, glued_text, hits)
        self._veto_false_friends(text, hits)
        ages = minor_ages(norm.base) or minor_ages(skeleton(norm.base))  # "еlеvеn уеаr оld" in Cyrillic letters
        if ages:
            hits["minors"].update(ages)
        names = name_like(text)
        if names:  # only read in NSFW contexts, with sexual content (see prompt_filter)
            hits["name?"].update(names)
        emoji = CHILD_EMOJI.intersection(text)
        if emoji:
            hits["minors"].update(emoji)
        return dict(hits), norm

    def _veto_false_friends(self, text: str, hits: dict[str, set[str]]) -> None:
        """A one-word term that only appears as the accent-stripped form of a real word of another language is a
        false friend: Turkish "göre" (according to) is not English "gore", Vietnamese "thông" (pine) not "thong".
        Disguises ("núdè") are not real words anywhere, so they still match."""
        accented = accented_words(text)
        plain = set(_WORDS.findall(text.casefold())) if accented else set()
        for stripped, word in accented.items():
            spoken = word_languages(word)
            if not spoken:
                continue
            guess = f"{stripped} (reads as "  # a real word is never a misspelling either
            langs = self.term_languages.get(stripped, set())
            false_friend = bool(langs) and not spoken & langs and stripped not in plain
            for key in list(hits):
                hits[key] = {e for e in hits[key] if not e.startswith(guess) and not (false_friend and e == stripped)}
                if not hits[key]:
                    del hits[key]

    def _match_conjunctions(self, norm: Normalised, glued_text: str, hits: dict[str, set[str]]) -> None:
        # Cheap pass on the whole text first; only candidates are checked clause by clause.
        words = {w for v in norm.variants for w in v.split()}
        pool = list(self._conj_always)
        for word in words & self._conj_index.keys():
            pool.extend(self._conj_index[word])
        candidates = [c for c in dict.fromkeys(pool) if c.matches(norm.variants, glued_text)]
        if not candidates:
            return
        for clause in _with_tag_runs(clause_texts(norm.base)):
            clause_norm = normalise(clause)
            clause_glued = self._squeezed(clause_norm.base)
            for conj in candidates:
                if conj.matches(clause_norm.variants, clause_glued):
                    hits[conj.category].add(conj.source)
