"""The meaning stage of the prompt filter: learned heads over a multilingual sentence encoder.

Each prompt is cut into clauses (so a long harmless prefix cannot dilute a bad clause at the end, and there is no
limit on their number), each clause is embedded once (``encoder``), and one small logistic-regression head per
category scores it. A prompt's score per category is its worst clause — for hate, its worst clause that names a
target (a group, a hate symbol or movement: ``hate_targets``). The heads and their thresholds live in
``safety/models/heads.json``, which ``muralist safety train`` rebuilds bit for bit from the generated corpus
(``safety/training``); the thresholds come from the dev split, never from the test split.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from safety.encoder import EmbeddingUnavailable, Encoder, windows
from safety.hate_targets import hate_readable
from safety.normalize import clause_texts, light_form

HEADS = ("sexual", "suggestive", "minor", "person", "gore", "hate", "self_harm")
# Quality and camera tags that Stable Diffusion prompts end with. As a whole clause they say nothing about what is in
# the picture, so they are not embedded: on a tag-heavy prompt they were most of the encoder's work (each clause costs
# six tokens of framing on top of its own), and the slowest single prompts are exactly those.
BOILERPLATE = frozenset({
    "masterpiece", "best quality", "high quality", "highest quality", "top quality", "ultra quality",
    "highly detailed", "ultra detailed", "extremely detailed", "very detailed", "hyper detailed", "intricate",
    "intricate details", "intricate detail", "fine details", "sharp focus", "soft focus", "depth of field", "bokeh",
    "4k", "8k", "16k", "hd", "uhd", "hdr", "4k uhd", "8k uhd", "high resolution", "highres", "absurdres",
    "photorealistic", "hyperrealistic", "realistic", "ultra realistic", "hyper realistic", "photorealism",
    "cinematic", "cinematic lighting", "dramatic lighting", "studio lighting", "volumetric lighting", "soft lighting",
    "natural lighting", "rim lighting", "global illumination", "ray tracing", "octane render", "unreal engine",
    "unreal engine 5", "trending on artstation", "artstation", "trending on pixiv", "concept art", "digital art",
    "digital painting", "award winning", "award winning photography", "professional photography", "film grain",
    "35mm", "50mm", "85mm", "35mm film", "dslr", "vivid colors", "vibrant colors", "wallpaper", "4k wallpaper",
    "8k wallpaper", "sharp", "detailed", "high detail", "trending", "featured on artstation",
})


def prompt_clauses(text: str) -> list[str]:
    """The distinct clauses of a prompt, long ones as windows; the empty prompt has none."""
    out: dict[str, None] = {}
    for clause in clause_texts(light_form(text)):
        if len(clause) >= 2 or not clause.isascii():  # one CJK character can be a whole clause ("裸")
            out.update(dict.fromkeys(windows(clause)))
    return list(out)


@dataclass(frozen=True)
class HeadScore:
    category: str
    score: float  # the head's probability for the prompt's worst clause
    clause: str


@dataclass(frozen=True)
class Heads:
    names: tuple[str, ...]
    weights: np.ndarray  # (heads, DIM)
    bias: np.ndarray  # (heads,)
    thresholds: dict[str, float]
    meta: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Heads:
        names = tuple(data["heads"])
        return cls(names, np.array([data["weights"][n] for n in names], dtype=np.float32),
                   np.array([data["bias"][n] for n in names], dtype=np.float32),
                   {k: float(v) for k, v in data["thresholds"].items()}, dict(data.get("meta", {})))

    @classmethod
    def load(cls, path: Path | None = None) -> Heads:
        try:
            text = path.read_text("utf-8") if path else \
                resources.files("safety").joinpath("models", "heads.json").read_text("utf-8")
            return cls.from_json(json.loads(text))
        except (OSError, ValueError, KeyError) as exc:
            raise EmbeddingUnavailable(f"the prompt filter's trained heads could not be read: {exc}") from exc

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """(clauses, heads) probabilities."""
        logits = vectors @ self.weights.T + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))


class SemanticCheck:
    def __init__(self, encoder: Encoder | None = None, heads: Heads | None = None,
                 cache_size: int = 16384) -> None:
        self.heads = heads or Heads.load()
        self.encoder = encoder or Encoder(cache_size=cache_size)

    @property
    def version(self) -> str:
        return str(self.heads.meta.get("version", "?"))

    def score_many(self, texts: list[str]) -> list[dict[str, HeadScore]]:
        """For each text, the worst clause per head; an empty text scores nothing."""
        pieces = [[c for c in prompt_clauses(t) if c not in BOILERPLATE] for t in texts]
        flat = [c for cs in pieces for c in cs]
        probs = self.heads.probabilities(self.encoder.embed(flat)) if flat else np.zeros((0, len(self.heads.names)))
        results: list[dict[str, HeadScore]] = []
        start = 0
        for cs in pieces:
            block = probs[start:start + len(cs)]
            best: dict[str, HeadScore] = {}
            if len(cs):
                if "hate" in self.heads.names:
                    # Hate needs a target: a group in the clause, or hate named anywhere; never a clause about
                    # remembering victims, nor a Hindu or Jain swastika (see hate_targets).
                    block = block.copy()
                    block[[not ok for ok in hate_readable(cs)], self.heads.names.index("hate")] = 0.0
                rows = block.argmax(axis=0)
                for j, name in enumerate(self.heads.names):
                    best[name] = HeadScore(name, float(block[rows[j], j]), cs[rows[j]])
            results.append(best)
            start += len(cs)
        return results
