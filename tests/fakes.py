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
