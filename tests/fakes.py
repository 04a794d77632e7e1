"""The test doubles, each written once. Storage is never faked: tests run the real repositories on a SQLite file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from PIL import Image

from core.domain import Decision, Verdict
from core.pipelines import TextToImageOutput
from core.spec import JobSpec


@dataclass
class FakeClock:
    current: datetime = field(default_factory=lambda: datetime(2026, 1, 1, 12, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)


@dataclass
class FakeDispatcher:
    sent: list[tuple[str, str]] = field(default_factory=list)
    fail_with: Exception | None = None

    def enqueue(self, job_id: str, queue: str) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append((job_id, queue))


@dataclass
class FakePipeline:
    """Solid-colour pictures whose colour comes from the seed; counts calls so tests can see redelivery effects."""

    calls: int = 0
    fail_with: Exception | None = None

    def __call__(self, spec: JobSpec,
                 progress: Callable[[int, int], None] | None = None) -> TextToImageOutput:
        self.calls += 1
        if self.fail_with is not None:
            raise self.fail_with
        seeds = [spec.seed + i for i in range(spec.count)]
        images = [Image.new("RGB", (spec.width, spec.height), (s % 256, (s // 256) % 256, 90)) for s in seeds]
        for step in range(1, spec.steps + 1):
            if progress:
                progress(step, spec.steps)
        return TextToImageOutput(images, seeds, "fake")


_SCORES = {Decision.BLOCK: 0.9, Decision.REVIEW: 0.5}


class ScriptedChecker:
    """Stands in for the picture classifier: the pictures of each call get ``decisions`` in turn (allow past the
    end). ``block_first_call`` blocks the first call only — the input picture of image-to-image, which is checked
    before anything is generated; ``fail`` makes every call crash. The context of every call is recorded."""

    def __init__(self, decisions: list[Decision] | None = None, *, fail: bool = False,
                 block_first_call: bool = False) -> None:
        self.decisions = decisions or []
        self.fail = fail
        self.block_first_call = block_first_call
        self.contexts: list[str] = []

    def check(self, images: list[Image.Image], context: str = "default") -> list[Verdict]:
        self.contexts.append(context)
        if self.fail:
            raise RuntimeError("classifier crashed")
        blocked = self.block_first_call and len(self.contexts) == 1
        decisions = [Decision.BLOCK if blocked else self.decisions[i] if i < len(self.decisions) else Decision.ALLOW
                     for i in range(len(images))]
        return [Verdict(d, scores={"nsfw": _SCORES.get(d, 0.01)}, checker="scripted", checker_version="1")
                for d in decisions]


def natural_picture(size: int = 512, seed: int = 0) -> Image.Image:
    """A photo-like test picture (a colour gradient, blurred shapes, sensor-like noise): what a real model makes looks
    like this more than like the miniature model's noise or a solid colour, and the provenance mark needs texture."""
    import numpy as np
    from PIL import ImageDraw, ImageFilter

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    corners = rng.uniform(0, 255, (3, 3))
    gradient = np.stack([c[0] + (c[1] - c[0]) * x + (c[2] - c[0]) * y * 0.5 for c in corners], -1)
    picture = Image.fromarray(np.clip(gradient, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(picture)
    for _ in range(12):
        cx, cy = (int(v) for v in rng.integers(0, size, 2))
        r = int(rng.integers(size // 20, size // 4))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
        else:
            draw.rectangle([cx - r, cy - r // 2, cx + r, cy + r // 2], fill=colour)
    blurred = np.asarray(picture.filter(ImageFilter.GaussianBlur(1.5)), dtype=np.float64)
    noisy = blurred + rng.normal(0, 6, blurred.shape)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


@dataclass
class NaturalPipeline:
    """Photo-like pictures (:func:`natural_picture`), one per seed."""

    def __call__(self, spec: JobSpec,
                 progress: Callable[[int, int], None] | None = None) -> TextToImageOutput:
        seeds = [spec.seed + i for i in range(spec.count)]
        return TextToImageOutput([natural_picture(spec.width, s) for s in seeds], seeds, "fake")
