"""Dynamic batching: compatible text-to-image jobs that arrive together run in one pipeline call.

Worker threads each hand their job to :class:`BatchingPipeline`; a collector thread takes the first waiting job,
waits up to ``max_wait`` for compatible ones (same size, steps, guidance and sampler; at most ``max_batch``), runs
them as one batch and gives each job its own pictures. Other kinds (image-to-image, inpainting, upscale) and jobs
with a style reference run alone.
Batching changes floating-point order, so a seed's picture can differ by a few pixel levels from an unbatched run.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from core.pipelines import TextToImage, TextToImageOutput
from core.progress import ProgressCallback
from core.spec import JobSpec

log = logging.getLogger(__name__)


@dataclass
class _Request:
    spec: JobSpec
    progress: ProgressCallback | None
    future: Future[TextToImageOutput] = field(default_factory=Future)

    @property
    def key(self) -> tuple[Any, ...] | None:
        s = self.spec
        # A style reference switches the IP-Adapter on for the whole call: such a job runs alone.
        return None if s.kind != "txt2img" or s.style_image is not None else (s.width, s.height, s.steps, s.cfg,
                                                                                s.sampler)


class BatchingPipeline:
    def __init__(self, inner: TextToImage, max_batch: int = 4, max_wait: float = 0.05) -> None:
        self.inner = inner
        self.max_batch = max_batch
        self.max_wait = max_wait
        self._queue: queue.Queue[_Request] = queue.Queue()
        self._held: list[_Request] = []  # taken from the queue but incompatible with the batch being built
        self.batches: list[int] = []  # sizes of the batches run, for the benchmark and tests
        threading.Thread(target=self._collect, name="muralist-batcher", daemon=True).start()

    @property
    def device(self) -> str:
        return self.inner.device

    def __call__(self, spec: JobSpec,
                 progress: ProgressCallback | None = None) -> TextToImageOutput:
        request = _Request(spec, progress)
        self._queue.put(request)
        return request.future.result()

    def _next(self, timeout: float | None) -> _Request | None:
        if self._held:
            return self._held.pop(0)
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def _collect(self) -> None:
        while True:
            first = self._next(None)
            if first is None:
                continue
            batch = [first]
            if first.key is not None:
                deadline = time.monotonic() + self.max_wait
                pictures = first.spec.count
                while len(batch) < self.max_batch and (left := deadline - time.monotonic()) > 0:
                    candidate = self._next(left)
                    if candidate is None:
                        break
                    if candidate.key == first.key and pictures + candidate.spec.count <= self.max_batch:
                        batch.append(candidate)
                        pictures += candidate.spec.count
                    else:
                        self._held.append(candidate)
                        break
            self._run(batch)

    def _run(self, batch: list[_Request]) -> None:
        self.batches.append(len(batch))
        try:
            if len(batch) == 1:
                batch[0].future.set_result(self.inner(batch[0].spec, batch[0].progress))
                return
            results = self.inner.run_batch([r.spec for r in batch], [r.progress for r in batch])
            for request, result in zip(batch, results, strict=True):
                if isinstance(result, Exception):
                    request.future.set_exception(result)
                else:
                    request.future.set_result(result)
        except Exception as exc:  # the whole call failed: every job in it fails (and is refunded by the runner)
            for request in batch:
                if not request.future.done():
                    request.future.set_exception(exc)
