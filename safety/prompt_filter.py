"""Prompt filter: rules, then meaning, then the context's policy → one :class:`Verdict`.

Order of reasoning:
1. The rule stage (``rules_engine``) finds signals in the prompt — sexual, suggestive, minors, a real person, gore,
   hate, self-harm — and intent in the negative prompt and in negative weights like "(clothes:-1.5)" (removing
   clothing asks for nudity; removing adulthood asks for a child).
2. The meaning stage (``semantic``) scores every clause with learned multilingual heads and adds the signals the
   words did not show.
3. Derived hard categories: a minors signal with any sexual or suggestive signal is ``minors_sexual``; a real
   person's name with one is ``real_person_sexual``. Both are blocked in every context, as are gore, hate and
   self-harm.
4. Policy: a context marked NSFW relaxes adult nudity only (``sexual`` and ``suggestive``), and is *stricter* about
   minors there: a weaker minor cue is enough to block sexual content.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, fields
from pathlib import Path

from safety.normalize import negatively_weighted
from safety.rules_engine import RuleSet
from safety.semantic import HeadScore, SemanticCheck
from safety.stance import without_opposed_harms
from safety.verdict import Decision, Verdict

log = logging.getLogger(__name__)

CHECKER = "muralist-prompt"
VERSION = "3"
HARD = frozenset({"minors_sexual", "real_person_sexual", "gore", "hate", "self_harm"})
SEXUALISH = frozenset({"sexual", "suggestive"})
# Signals that forbid relaxing anything for the pictures too: core keeps NSFW image thresholds off for such jobs.
STRICT_SIGNALS = frozenset({"minors", "person"})
_HEAD_OF = {"minors": "minor"}
SURE = 0.95  # a meaning score that overrides the words' milder reading
MAX_CHARS = 20_000  # the service refuses long prompts long before this; a CLI batch line is bounded here


@dataclass(frozen=True)
class Policy:
    nsfw_allowed: bool = False


@dataclass(frozen=True)
class Thresholds:
    """Per-head probabilities at which a clause counts as a signal. Calibrated on the dev split by
    ``muralist safety train`` and shipped inside heads.json; these defaults only apply to a heads file without them."""

    sexual: float = 0.9
    suggestive: float = 0.95
    minor: float = 0.6
    minor_nsfw: float = 0.4  # in NSFW contexts sexual content needs less evidence of a minor to be blocked
    person_nsfw: float = 0.5  # … and a name the list does not know yet is enough ("Shakira desnuda")
    gore: float = 0.9
    hate: float = 0.9
    self_harm: float = 0.9
    sexual_with_minor: float = 0.5  # with a child in the prompt, less evidence of sexual content is enough
    confirm: float = 0.3  # an ambiguous word ("naked", "cock", Swedish "sex") counts when its head reads at least this

    @classmethod
    def from_dict(cls, values: dict[str, float]) -> Thresholds:
        names = {f.name for f in fields(cls)}
        return cls(**{k: float(v) for k, v in values.items() if k in names})


RuleHits = dict[str, set[str]]


class PromptFilter:
    def __init__(self, rules: RuleSet | None = None, semantic: SemanticCheck | None | bool = True,
                 thresholds: Thresholds | None = None, rules_dir: Path | None = None) -> None:
        self.rules = rules or RuleSet.load(rules_dir)
        self.semantic: SemanticCheck | None
        if semantic is True:
            self.semantic = SemanticCheck()
        elif semantic is False or semantic is None:
            self.semantic = None
        else:
            self.semantic = semantic
        if thresholds is None and self.semantic is not None:
            thresholds = Thresholds.from_dict(self.semantic.heads.thresholds)
        self.thresholds = thresholds or Thresholds()

    @property
    def version(self) -> str:
        return VERSION + (f"+heads-{self.semantic.version}" if self.semantic else "+rules-only")

    def check(self, prompt: str, negative_prompt: str = "", *, nsfw_allowed: bool = False) -> Verdict:
        return self.check_many([(prompt, negative_prompt)], Policy(nsfw_allowed))[0]

    def check_many(self, items: list[tuple[str, str]], policy: Policy | None = None) -> list[Verdict]:
        """Verdicts in input order; the meaning stage runs once, batched, for prompts the rules did not settle."""
        policy = policy or Policy()
        staged = [self.rule_signals(p, n) for p, n in items]
        scores = self.semantic_scores([p for p, _ in items], staged)
        return [self.decide(cats, scores.get(i), policy) for i, cats in enumerate(staged)]

    # The three steps are public so that calibration (safety.training) can replay ``decide`` over cached stages.

    def rule_signals(self, prompt: str, negative: str) -> RuleHits:
        prompt, negative = _clean(prompt), _clean(negative)
        hits, _ = self.rules.match(without_opposed_harms(_without_free(prompt)))
        if hits.keys() & STRICT_SIGNALS:
            # A child or a real person is in the prompt: the unsafe reading wins. No allow list, no "X-free".
            hits, _ = self.rules.match(prompt, use_allow=False)
        cats = {c: set(e) for c, e in hits.items() if c not in ("clothing", "adulthood", "human", "thing")}
        removed = [negative, *negatively_weighted(prompt)]
        for text in filter(str.strip, removed):
            neg_hits, _ = self.rules.match(text)
            if "clothing" in neg_hits and not _EXCLUDES_NUDITY.search(text):
                cats.setdefault("sexual", set()).update(f"negative removes {t}" for t in neg_hits["clothing"])
            if "adulthood" in neg_hits:
                cats.setdefault("minors", set()).update(f"negative removes {t}" for t in neg_hits["adulthood"])
        if "thing" in hits and "human" not in hits and _said_of_things(cats):
            # "a sexy red sports car", "sexy typography": no one in the picture to be sexy. It still counts next to a
            # child or a real person, however weak the cue (see decide).
            cats[THINGS_ONLY] = cats.pop("suggestive")
        return cats

    def semantic_scores(self, prompts: list[str], staged: list[RuleHits]) -> dict[int, dict[str, HeadScore]]:
        if self.semantic is None:
            return {}
        need = [i for i, cats in enumerate(staged) if not _settled(cats)]
        if not need:
            return {}
        scores = self.meaning([prompts[i] for i in need], [bool(staged[i].keys() & STRICT_SIGNALS) for i in need])
        return dict(zip(need, scores, strict=True))

    def meaning(self, prompts: list[str], strict: list[bool] | None = None) -> list[dict[str, HeadScore]]:
        """The meaning stage's scores, on what it should read: allow-listed phrases and "lingerie-free" taken out —
        unless the prompt is ``strict`` (a child or a real person in it), which is read as written."""
        assert self.semantic is not None
        strict = strict or [False] * len(prompts)
        texts = [_clean(p) if hard else self.rules.mask_allowed(without_opposed_harms(_without_free(_clean(p))))
                 for p, hard in zip(prompts, strict, strict=True)]
        return self.semantic.score_many(texts)

    def decide(self, cats: RuleHits, semantic: dict[str, HeadScore] | None, policy: Policy,
               thresholds: Thresholds | None = None) -> Verdict:
        t = thresholds or self.thresholds
        # The stricter settings can only ever be stricter: a weaker cue, less evidence.
        minor_nsfw = min(t.minor_nsfw, t.minor)
        sexual_with_minor = min(t.sexual_with_minor, t.sexual, t.suggestive)
        signals = {c for c in cats if not c.endswith("?") and c != THINGS_ONLY}
        evidence = {f"{c}: {term}" for c, terms in cats.items() for term in terms
                    if not c.endswith("?") and c != THINGS_ONLY}
        scores: dict[str, float] = {}
        # With a child or a real person in the prompt, an ambiguous sexual word is read the unsafe way, and the
        # meaning stage needs less evidence: fail closed where the harm is worst ("naked" next to "12 year old" is
        # not about cake).
        minor_head = semantic.get("minor") if semantic else None
        hard_subject = bool(signals & STRICT_SIGNALS) or (minor_head is not None and minor_head.score >= t.minor)
        for key in (c for c in cats if c.endswith("?")):
            category = key[:-1]
            if key == "name?":
                continue
            head = semantic.get(_HEAD_OF.get(category, category)) if semantic else None
            # Without the meaning stage (rules only, or a prompt the rules already settled) an ambiguous word counts.
            if head is None or head.score >= t.confirm or (hard_subject and category in SEXUALISH):
                signals.add(category)
                evidence.update(f"{category}: {term}" for term in cats[key])
        if THINGS_ONLY in cats and hard_subject:
            signals.add("suggestive")
            evidence.update(f"suggestive: {term}" for term in cats[THINGS_ONLY])
        minor_score = person_score = 0.0
        if semantic:
            for name, s in semantic.items():
                scores[f"semantic_{name}"] = round(s.score, 4)
                if name == "person":  # a name alone is an ordinary subject; it only matters with sexual content
                    person_score = s.score
                elif name == "minor":
                    minor_score = s.score
                    if s.score >= t.minor:
                        signals.add("minors")
                        evidence.add(f"minors: '{s.clause}' reads as a minor ({s.score:.2f})")
                elif s.score >= getattr(t, name) or (name in SEXUALISH and hard_subject
                                                     and s.score >= sexual_with_minor):
                    suggestive = semantic.get("suggestive")
                    if name == "sexual" and "suggestive" in cats and "sexual" not in cats and not hard_subject \
                            and s.score < SURE and suggestive is not None and s.score < suggestive.score:
                        # "a sexy woman in a red dress": the words say suggestive, and so does the meaning stage
                        # (it reads the clause as more suggestive than sexual): review it.
                        signals.add("suggestive")
                        continue
                    signals.add(name)
                    evidence.add(f"{name}: '{s.clause}' means {name.replace('_', ' ')} ({s.score:.2f})")

        categories = {c for c in signals if c in HARD}
        sexualish = signals & SEXUALISH
        if sexualish:
            categories |= sexualish
            if "minors" in signals:
                categories.add("minors_sexual")
            elif policy.nsfw_allowed and minor_score >= minor_nsfw:
                # Fail closed where nudity is otherwise allowed: a weak minor cue is enough.
                categories.add("minors_sexual")
                evidence.add(f"minors: a possible minor in an NSFW context ({minor_score:.2f})")
            if "person" in signals:
                categories.add("real_person_sexual")
            elif policy.nsfw_allowed and (person_score >= t.person_nsfw or "name?" in cats):
                # Fail closed where nudity is otherwise allowed: a name the list does not know yet still counts.
                categories.add("real_person_sexual")
                why = f"'{sorted(cats['name?'])[0]}' looks like a name" if "name?" in cats else \
                    f"a possible real person ({person_score:.2f})"
                evidence.add(f"person: {why} in an NSFW context")
        if "sexual" in categories:
            categories.discard("suggestive")
        if not categories & {"minors_sexual", "real_person_sexual"}:
            # A name or a child alone is an ordinary subject; say nothing about them.
            evidence = {e for e in evidence if not e.startswith(("minors", "person"))}

        if categories & HARD:
            decision = Decision.BLOCK
        elif "sexual" in categories:
            decision = Decision.ALLOW if policy.nsfw_allowed else Decision.BLOCK
        elif "suggestive" in categories:  # the prompt runs; its pictures wait for a moderator
            decision = Decision.ALLOW if policy.nsfw_allowed else Decision.REVIEW
        else:
            decision = Decision.ALLOW
        for c in categories:
            scores.setdefault(c, 1.0)
        # What core must know for the pictures: any cue of a minor or of a real person, even a weak one.
        strict = signals & STRICT_SIGNALS
        if minor_score >= minor_nsfw:
            strict.add("minors")
        if "name?" in cats or person_score >= t.person_nsfw:
            strict.add("person")
        return Verdict(decision, tuple(sorted(categories)), tuple(sorted(evidence)), scores, CHECKER, self.version,
                       signals=tuple(sorted(strict)))


def _clean(text: str) -> str:
    """Bounded, valid text: a lone surrogate from a pipe must not crash a whole batch — nor hide a word by becoming
    a "?" in its middle ("n\\ud800ude"), so it is dropped."""
    return text[:MAX_CHARS].encode("utf-8", "ignore").decode("utf-8")


# A negative prompt that lists nudity itself ("nsfw, nude, lingerie, cleavage") keeps a picture clean: the clothing in
# it is more of the same, not clothing taken off.
_EXCLUDES_NUDITY = re.compile(r"(?<!\w)(nsfw|nude|nudity|naked|nackt|desnud[oa]s?|nu[ed]?|nudità|голы[йе]|"
                              r"обнаж\w*)(?!\w)|裸|ヌード|누드", re.IGNORECASE)
_FREE = re.compile(r"\b(lingerie|nudity|porn|gore|blood|violence)-free\b", re.IGNORECASE)


def _without_free(text: str) -> str:
    """"A lingerie-free runway" has no lingerie. Only for things whose absence is harmless — "underwear-free" and
    "clothes-free" mean nudity and stay — and never with a child or a real person in the prompt (see rule_signals)."""
    return _FREE.sub(" ", text)


# Adjectives that only suggest something when said of a person. Alone with no person in the prompt ("a sexy sports
# car", "섹시한 스포츠카") they are recorded under THINGS_ONLY instead of "suggestive".
WEAK_SUGGESTIVE = frozenset({
    "sexy", "sexi", "sexier", "sexiest", "sultry", "sensual", "sensuous", "seductive", "seductively", "sensuale",
    "sensuel", "sensuelle", "sinnlich", "verführerisch", "seducente", "sedutora", "sedutor", "seductora", "seductor",
    "сексуальная", "сексуальный", "сексуальныи", "сексуальнои", "сексуальное", "сексуальные", "сексі", "섹시",
    "섹시한", "セクシー", "性感", "seksi", "seksowna", "seksowny", "seksowne", "सेक्सी"})
THINGS_ONLY = "suggestive~"


def _said_of_things(cats: RuleHits) -> bool:
    """The only signal is a weak suggestive adjective: nothing sexual, no child, no real person, no name-like word."""
    if cats.keys() != {"suggestive"}:
        return False
    return all(term.split(" (in ", 1)[0] in WEAK_SUGGESTIVE for term in cats["suggestive"])


def _settled(cats: RuleHits) -> bool:
    """The rules alone already block in a hard category, whatever the meaning stage would add."""
    found = cats.keys()  # ambiguous hits ("sexual?") are not settled: they wait for the meaning stage
    if found & {"gore", "hate", "self_harm"}:
        return True
    return bool(found & SEXUALISH) and bool(found & {"minors", "person"})
