"""Dynamic batching: compatible jobs share one pipeline call, and each gets its own pictures back, in order."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from core.batching import BatchingPipeline
from core.pipelines import JobCancelled, TextToImage
from core.spec import JobSpec


def spec(prompt: str, seed: int, count: int = 1, **kw: object) -> JobSpec:
    base: dict[str, object] = {"prompt": prompt, "negative_prompt": "", "seed": seed, "steps": 4, "width": 64,
                               "height": 64, "cfg": 7.5, "count": count}
    return JobSpec(**{**base, **kw})  # type: ignore[arg-type]


def arr(image: object) -> np.ndarray:
    return np.asarray(image).astype(np.int16)


def test_jobs_arriving_together_run_as_one_batch_and_get_their_own_pictures(miniature: TextToImage) -> None:
    jobs = [spec("a red fox", 1), spec("a blue whale", 2, count=2), spec("a green frog", 3)]
    alone = [miniature(s) for s in jobs]
    batcher = BatchingPipeline(miniature, max_batch=4, max_wait=0.5)
    with ThreadPoolExecutor(max_workers=3) as pool:
        together = list(pool.map(batcher, jobs))
    assert batcher.batches == [3]
    for mine, reference, job in zip(together, alone, jobs, strict=True):
        assert len(mine.images) == job.count and mine.seeds == reference.seeds
        for got, want in zip(mine.images, reference.images, strict=True):
            own = np.abs(arr(got) - arr(want)).mean()
            others = min(np.abs(arr(got) - arr(r.images[0])).mean() for r in alone if r is not reference)
            assert own < 2 and own < others  # batching moves a few pixel levels at most, never swaps pictures


def test_incompatible_jobs_are_not_batched_together(miniature: TextToImage) -> None:
    batcher = BatchingPipeline(miniature, max_batch=4, max_wait=0.3)
    with ThreadPoolExecutor(max_workers=2) as pool:
        outs = list(pool.map(batcher, [spec("a fox", 1), spec("a fox", 1, width=128)]))
    assert sorted(batcher.batches) == [1, 1]
    assert outs[1].images[0].size == (128, 64)


def test_a_job_cancelled_inside_a_batch_stops_alone(miniature: TextToImage) -> None:
    def cancel(step: int, total: int, _preview: object = None) -> None:
        if step == 2:
            raise JobCancelled("gone")

    batcher = BatchingPipeline(miniature, max_batch=4, max_wait=0.5)
    with ThreadPoolExecutor(max_workers=2) as pool:
        kept = pool.submit(batcher, spec("a fox", 1))
        dropped = pool.submit(batcher, spec("a cat", 2), cancel)
        assert len(kept.result().images) == 1
        try:
            dropped.result()
            raise AssertionError("the cancelled job returned pictures")
        except JobCancelled:
            pass
