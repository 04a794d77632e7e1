"""The encoder embeds big batches in cache-sized chunks: a clause must score the same whichever batch it comes in."""

from __future__ import annotations

import numpy as np

from safety.encoder import CHUNK_TEXTS, Encoder


def test_a_big_batch_embeds_every_clause_exactly_as_on_its_own() -> None:
    encoder = Encoder(cache_size=0)
    texts = [f"a lighthouse on cliff number {i} at dusk, oil painting" for i in range(CHUNK_TEXTS * 2 + 5)]
    texts.insert(7, "ein sehr langer Satz über einen Leuchtturm am Meer " * 30)  # longer than a whole chunk
    texts.insert(30, "十二歳の少女")
    batch = encoder.embed(texts)
    alone = np.stack([encoder.embed([t])[0] for t in texts])
    assert batch.shape == (len(texts), 384)
    assert np.array_equal(batch, alone)
