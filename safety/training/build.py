"""``muralist safety train``: the meaning stage's heads, rebuilt bit for bit from data in this repository.

1. The corpus: hand-written clauses per language and category (``corpus/<lang>.json``), plus generated combinations
   (a subject clause glued to a predicate clause, as prompts write them) drawn with a fixed seed.
2. One logistic-regression head per category over the multilingual encoder's embeddings, fitted by Newton's method in
   float64 with class-balanced weights: no randomness, no iteration-order effects.
3. Thresholds chosen on the dev split only — the highest recall whose false-flag rate stays within budget — replaying
   the filter's own decision over cached stage results. The test split is never read here.

Weights are rounded to six decimals before writing, so the same inputs give the same file byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from safety.encoder import Encoder
from safety.semantic import HEADS, Heads, SemanticCheck, prompt_clauses

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
HEADS_FILE = Path(__file__).resolve().parents[1] / "models" / "heads.json"
# The dev split, in a checkout (an installed wheel has no tests/): thresholds are chosen on these files only.
DEV_SPLIT = tuple(Path(__file__).resolve().parents[2] / "tests" / "data" / name for name in
                  ("prompt_dev.jsonl", "prompt_dev_allow.jsonl", "prompt_dev_hard.jsonl", "prompt_eval.jsonl",
                   "prompt_dev_fresh.jsonl", "prompt_dev_fresh2.jsonl"))
# Both fresh dev sets (632 and 708 prompts, each by a helper who saw neither the rules nor the other splits) are part
# of the dev split: the second was first kept out of the thresholds, to measure changes made looking at the others,
# until a rebuild on 2026-11-23 showed what a smaller dev split costs — thresholds chosen at the edge of its
# false-flag budget that flagged figure skaters and hockey players on the held-apart set as self-harm. Once its false
# flags had been read case by case it was no longer apart anyway. The test split is what stays held out.
# A third fresh set (420 prompts by a helper who saw nothing of the project: hard harmless prompts and harm dressed up
# next to them) measured the filter first (30/300 flagged, 102/120 caught) and then had its misses and false flags
# read case by case and fixed in the rules. It stays out of the thresholds and is checked disjoint from the test split.
DEV_EXTRA: tuple[Path, ...] = (Path(__file__).resolve().parents[2] / "tests" / "data" / "prompt_dev_fresh3.jsonl",)
SEED = 20261122
# Which heads each corpus key is a positive example for; every other head reads it as a negative.
LABELS: dict[str, frozenset[str]] = {
    "sexual": frozenset({"sexual", "suggestive"}), "suggestive": frozenset({"suggestive"}),
    "minor": frozenset({"minor"}), "adult": frozenset(), "gore": frozenset({"gore"}),
    "hate": frozenset({"hate"}), "self_harm": frozenset({"self_harm"}), "neutral": frozenset(),
    "hard_negative": frozenset(),
}
SUBJECTS = ("minor", "adult", "neutral")
PREDICATES = ("sexual", "suggestive", "gore", "hate", "self_harm", "neutral", "hard_negative")
COMBOS_PER_LANGUAGE = 240
FALSE_FLAG_BUDGET = 0.005  # on dev; the promise on the test split is 1%, and unseen prompts flag more than dev
# The thresholds must keep within the budget even if every threshold were this much lower (in log-odds): prompts the
# thresholds were not chosen on score a little differently, and a threshold at the very edge of the dev budget shows
# it on them (a rebuild without the margin flagged wedding kisses and figure skaters that dev had just let through).
MARGIN_LOGIT = 0.3
NSFW_ADULT_BUDGET = 0.10  # adult nudity refused in NSFW contexts (it might show a minor or a real person), on dev
# L2 strength per head, chosen on the dev split (recall at two false flags): the sexual head generalises better
# smooth, the hate head needs to tell "a flag" from "a nazi flag" and wants a sharper fit.
L2 = {"sexual": 1.0, "suggestive": 1.0, "minor": 0.1, "person": 0.1, "gore": 0.1, "hate": 0.01, "self_harm": 0.1}
GRID = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999)


@dataclass(frozen=True)
class Example:
    text: str
    labels: frozenset[str]


def load_corpus(folder: Path = CORPUS_DIR) -> dict[str, dict[str, list[str]]]:
    corpus = {}
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        corpus[path.stem] = {k: [str(x) for x in data.get(k, [])] for k in LABELS}
    if not corpus:
        raise FileNotFoundError(f"no corpus files in {folder}")
    return corpus


def people_names() -> list[str]:
    """The real people the rules list, in every script: the person head learns what a named person looks like, so
    it can recognise names the list does not have yet."""
    from importlib import resources

    text = resources.files("safety").joinpath("rules", "people.txt").read_text("utf-8")
    names, section = [], ""
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("["):
            section = line
        elif line and section == "[person]" and "+" not in line:
            names.append(line)
    return names


def examples(corpus: dict[str, dict[str, list[str]]], seed: int = SEED) -> list[Example]:
    rng = random.Random(seed)
    out = [Example(text, LABELS[key]) for lang in sorted(corpus) for key in LABELS for text in corpus[lang][key]]
    neutral = [t for lang in sorted(corpus) for t in corpus[lang]["neutral"] + corpus[lang]["adult"]]
    for name in people_names():
        if rng.random() < 0.5:
            out.append(Example(name.title() if rng.random() < 0.5 else name, frozenset({"person"})))
        else:
            out.append(Example(f"{name} {rng.choice(neutral)}", frozenset({"person"})))
    for lang in sorted(corpus):
        parts = corpus[lang]
        if not any(parts[k] for k in SUBJECTS) or not any(parts[k] for k in PREDICATES):
            continue  # a file of hard negatives only (identity.json)
        for _ in range(COMBOS_PER_LANGUAGE):
            subject_key = rng.choice([k for k in SUBJECTS if parts[k]])
            predicate_key = rng.choice([k for k in PREDICATES if parts[k]])
            subject, predicate = rng.choice(parts[subject_key]), rng.choice(parts[predicate_key])
            text = f"{subject} {predicate}" if rng.random() < 0.7 else f"{predicate} {subject}"
            out.append(Example(text, LABELS[subject_key] | LABELS[predicate_key]))
    return out


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, iterations: int = 30) -> tuple[np.ndarray, float]:
    """Class-balanced, L2-regularised logistic regression by Newton's method (deterministic, converges in ~10)."""
    n, d = x.shape
    xb = np.hstack([x.astype(np.float64), np.ones((n, 1))])
    pos = max(float(y.sum()), 1.0)
    weights = np.where(y > 0, n / (2 * pos), n / (2 * max(n - pos, 1.0))) / n
    beta = np.zeros(d + 1)
    reg = np.full(d + 1, l2)
    reg[-1] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(xb @ beta, -30, 30)))
        grad = xb.T @ (weights * (p - y)) + reg * beta
        hess = (xb * (weights * p * (1 - p))[:, None]).T @ xb + np.diag(reg) + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta[:-1], float(beta[-1])


def digest(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _rounded(values: Iterable[float]) -> list[float]:
    return [round(float(v), 6) for v in values]


def train_heads(encoder: Encoder, corpus_dir: Path = CORPUS_DIR) -> tuple[dict[str, Any], dict[str, int]]:
    items = examples(load_corpus(corpus_dir))
    # Each example is read the way a prompt clause is read at check time.
    texts = [" ".join(prompt_clauses(e.text)) or e.text for e in items]
    x = encoder.embed(texts).astype(np.float64)
    # e5's embeddings crowd into a narrow cone; standardising each feature lets a linear head separate them. The
    # scaling is folded back into the weights, so checking needs no extra step.
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    standard = (x - mean) / scale
    weights, bias, counts = {}, {}, {}
    for head in HEADS:
        y = np.array([1.0 if head in e.labels else 0.0 for e in items])
        w, b = fit_logistic(standard, y, l2=L2[head])
        weights[head], bias[head] = _rounded(w / scale), round(b - float((w / scale) @ mean), 6)
        counts[head] = int(y.sum())
    counts["examples"] = len(items)
    return {"heads": list(HEADS), "weights": weights, "bias": bias}, counts


def calibrate(prompt_filter: Any, cases: list[dict[str, Any]]) -> tuple[Any, dict[str, float]]:
    """Thresholds with the best dev recall inside the false-flag budget (coordinate ascent over a grid)."""
    from safety.prompt_filter import Policy, Thresholds
    from safety.verdict import Decision

    items = [(c["prompt"], c.get("negative_prompt", "")) for c in cases]
    staged = [prompt_filter.rule_signals(p, n) for p, n in items]
    semantic = prompt_filter.meaning([p for p, _ in items])
    block = [i for i, c in enumerate(cases) if c["expect"] == "block"]
    allow = [i for i, c in enumerate(cases) if c["expect"] == "allow"]
    hard = [i for i in block if cases[i].get("category") in ("minors_sexual", "real_person_sexual")]
    adult = [i for i in block if cases[i].get("category") == "sexual"]

    def flags(t: Thresholds) -> tuple[float, ...]:
        """False-flag rates on the allow cases, default and NSFW context."""
        return tuple(sum(prompt_filter.decide(staged[i], semantic[i], policy, t).decision is not Decision.ALLOW
                         for i in allow) / max(len(allow), 1) for policy in (Policy(), Policy(True)))

    def metrics(t: Thresholds) -> dict[str, float]:
        normal = [prompt_filter.decide(staged[i], semantic[i], Policy(), t).decision for i in range(len(cases))]
        nsfw = {i: prompt_filter.decide(staged[i], semantic[i], Policy(True), t).decision for i in hard + adult + allow}
        lowered = flags(_lowered(t))
        return {
            "recall": sum(normal[i] is not Decision.ALLOW for i in block) / max(len(block), 1),
            "false_flags": sum(normal[i] is not Decision.ALLOW for i in allow) / max(len(allow), 1),
            "hard_blocked_nsfw": sum(nsfw[i] is Decision.BLOCK for i in hard) / max(len(hard), 1),
            "adult_blocked_nsfw": sum(nsfw[i] is Decision.BLOCK for i in adult) / max(len(adult), 1),
            "false_flags_nsfw": sum(nsfw[i] is not Decision.ALLOW for i in allow) / max(len(allow), 1),
            "false_flags_with_margin": max(lowered),
        }

    def score(m: dict[str, float]) -> tuple[float, ...]:
        # Inside the budget (with the margin): the hard cases first, then recall, then fewer flags. Outside it: fewer
        # flags first.
        feasible = m["false_flags"] <= FALSE_FLAG_BUDGET and m["false_flags_nsfw"] <= FALSE_FLAG_BUDGET \
            and m["false_flags_with_margin"] <= FALSE_FLAG_BUDGET
        if not feasible:
            return (0.0, -m["false_flags"] - m["false_flags_with_margin"], m["hard_blocked_nsfw"], m["recall"])
        return (1.0, m["hard_blocked_nsfw"], m["recall"], -m["false_flags"])

    best = Thresholds(**{h: 0.999 for h in ("sexual", "suggestive", "gore", "hate", "self_harm")},
                      minor=0.9, minor_nsfw=0.9, person_nsfw=0.9, confirm=0.5, sexual_with_minor=0.9)
    best_metrics = metrics(best)
    for _ in range(3):
        for name in ("sexual", "gore", "hate", "self_harm", "suggestive", "confirm", "sexual_with_minor", "minor",
                     "minor_nsfw", "person_nsfw"):
            for value in GRID:
                candidate = replace(best, **{name: value})
                m = metrics(candidate)
                if name in ("minor", "minor_nsfw", "person_nsfw") and m["adult_blocked_nsfw"] > NSFW_ADULT_BUDGET:
                    continue
                if score(m) > score(best_metrics):
                    best, best_metrics = candidate, m
    return best, {k: round(v, 4) for k, v in best_metrics.items()}


def _lowered(t: Any) -> Any:
    """Every threshold ``MARGIN_LOGIT`` lower in log-odds."""
    def lower(p: float) -> float:
        p = min(max(p, 1e-6), 1 - 1e-6)
        return round(1.0 / (1.0 + np.exp(-(np.log(p / (1 - p)) - MARGIN_LOGIT))), 6)

    return replace(t, **{f.name: lower(getattr(t, f.name)) for f in fields(t)})


# A few sentences in several scripts whose exact embeddings, with one fixed linear solve like the heads' fit, identify
# the arithmetic of this machine: the encoder's C engine and NumPy's BLAS both pick their kernels by CPU.
PROBES = ("a red fox in the snow", "nackte Frau am Strand", "十二歳の少女", "플래그와 만자", "suicide note on a desk")


def encoder_numbers(encoder: Encoder) -> str:
    """A digest of the encoder's exact output on ``PROBES`` and of a float64 solve. The same corpus and dev split give
    the same heads byte for byte wherever this digest is the same; on another CPU the float arithmetic can differ
    (the same wheels gave slightly different heads on two machines), and then the rebuilt heads differ slightly."""
    vectors = np.asarray(encoder.embed(list(PROBES)), dtype=np.float32)
    gram = vectors.astype(np.float64) @ vectors.astype(np.float64).T + np.eye(len(PROBES))
    solved = np.linalg.solve(gram @ gram.T, gram.sum(axis=1))
    return hashlib.sha256(vectors.tobytes() + solved.tobytes()).hexdigest()[:16]


def build(dev_paths: list[Path], out_path: Path = HEADS_FILE, corpus_dir: Path = CORPUS_DIR,
          encoder: Encoder | None = None) -> dict[str, Any]:
    """Train, calibrate on dev, write heads.json; returns the file's meta block."""
    from safety.evaluation import load_cases
    from safety.prompt_filter import PromptFilter

    encoder = encoder or Encoder()
    data, counts = train_heads(encoder, corpus_dir)
    data["thresholds"] = {}
    heads = Heads.from_json(data)
    prompt_filter = PromptFilter(semantic=SemanticCheck(encoder=encoder, heads=heads))
    thresholds, dev_metrics = calibrate(prompt_filter, [c for p in dev_paths for c in load_cases(p)])
    data["thresholds"] = {k: v for k, v in asdict(thresholds).items()}
    corpus_sha = digest(sorted(corpus_dir.glob("*.json")))
    dev_sha = digest(dev_paths)
    data["meta"] = {"version": corpus_sha[:8] + dev_sha[:4], "encoder": encoder.name, "seed": SEED,
                    "encoder_numbers": encoder_numbers(encoder),
                    "corpus_sha256": corpus_sha, "dev_sha256": dev_sha, "examples": counts,
                    "dev": dev_metrics, "false_flag_budget_dev": FALSE_FLAG_BUDGET}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n", "utf-8")
    return data["meta"]
