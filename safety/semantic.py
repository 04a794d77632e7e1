"""The semantic stage: catches paraphrase ("wearing nothing at all", "in her birthday suit") that no word list holds.

Each prompt is cut into clauses (so a bad clause cannot be diluted by a long harmless prompt), embedded with
all-MiniLM-L6-v2, and compared with short descriptions of each concept and with harmless anchors that look close
(a woman in a dress, a marble statue). A clause counts when it is close to a concept *and* clearly closer to it
than to any harmless anchor.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from safety.embedding import MiniLM
from safety.normalize import base_form

CONCEPTS: dict[str, list[str]] = {
    "sexual": [
        "a naked person", "a nude woman", "a nude man", "a person wearing no clothes at all",
        "a woman with no clothes on", "her body completely uncovered", "bare skin with nothing covering it",
        "a woman who is not wearing anything", "explicit sexual intercourse", "two people having sex",
        "a couple making love in bed", "a pornographic photo", "exposed breasts and nipples", "exposed genitals",
        "an erotic photo of a woman", "a woman taking off all her clothes", "a striptease",
        "a woman in her birthday suit", "she is wearing nothing", "a sexual act", "an orgy",
        "showing her private parts", "a man without a shred of clothing",
    ],
    "gore": [
        "graphic gore", "a mutilated body", "a dismembered corpse", "blood and guts everywhere",
        "a person's head cut off", "intestines spilling out of a wound", "a body torn apart",
        "a person being tortured and bleeding", "a pile of bloody corpses",
    ],
}
HARMLESS = [
    "a woman in a dress", "a man in a suit", "a portrait photo of a person", "people at the beach in swimsuits",
    "a classical marble statue in a museum", "a couple holding hands at sunset", "a mother hugging her child",
    "a doctor talking to a patient", "a fashion model on a runway", "a landscape with mountains", "a cat",
    "a plate of food", "a family dinner", "a person swimming in a pool", "a baby sleeping in a crib",
    "a knight fighting a dragon", "a halloween costume", "a horror movie poster", "a bowl of red soup",
    "a butcher shop with meat", "a medical illustration of the human heart", "a romantic kiss",
    "a woman taking a bubble bath, only her face visible", "a spa day with towels",
]
_CLAUSE = re.compile(r"[,.;:!?\n|/()\[\]{}]+|\band\b|\bwith\b")


def clauses(text: str, max_chunks: int = 24) -> list[str]:
    """The clauses of the prompt, plus the whole text when it is short (a meaning can span a comma)."""
    parts = [p.strip() for p in _CLAUSE.split(base_form(text)) if len(p.strip()) >= 3]
    chunks = list(parts)
    if len(text) <= 300:
        chunks.append(base_form(text))
    seen: dict[str, None] = dict.fromkeys(c for c in chunks if c)
    return list(seen)[:max_chunks] or [text[:300]]


@dataclass(frozen=True)
class SemanticScore:
    category: str
    score: float  # similarity to the nearest concept of the category
    margin: float  # how much closer to that concept than to the nearest harmless anchor
    clause: str
    concept: str


class SemanticCheck:
    def __init__(self, model: MiniLM | None = None, cache_size: int = 8192) -> None:
        self.model = model or MiniLM()
        self._concepts = {cat: self.model.embed(texts) for cat, texts in CONCEPTS.items()}
        self._harmless = self.model.embed(HARMLESS)
        # SD prompts repeat boilerplate clauses ("highly detailed", "8k", "masterpiece"): embed each clause once.
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def _embed(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            known = {t: self._cache[t] for t in texts if t in self._cache}
            for text in known:
                self._cache.move_to_end(text)
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            fresh = self.model.embed(missing)
            known.update(zip(missing, fresh, strict=True))
            if self._cache_size:
                with self._lock:
                    for text, vector in zip(missing, fresh, strict=True):
                        self._cache[text] = vector
                    while len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([known[t] for t in texts])

    def score_many(self, texts: list[str]) -> list[dict[str, SemanticScore]]:
        """For each text, the strongest clause per category."""
        pieces = [clauses(t) for t in texts]
        flat = [c for cs in pieces for c in cs]
        vectors = self._embed(flat)
        harmless = (vectors @ self._harmless.T).max(axis=1) if flat else np.zeros(0)
        per_cat = {cat: vectors @ emb.T for cat, emb in self._concepts.items()}
        results: list[dict[str, SemanticScore]] = []
        start = 0
        for cs in pieces:
            stop = start + len(cs)
            best: dict[str, SemanticScore] = {}
            for cat, sims in per_cat.items():
                block = sims[start:stop]
                row, col = np.unravel_index(int(np.argmax(block)), block.shape)
                score = float(block[row, col])
                best[cat] = SemanticScore(cat, score, score - float(harmless[start + row]), cs[row],
                                          CONCEPTS[cat][col])
            results.append(best)
            start = stop
        return results
