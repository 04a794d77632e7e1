"""Fixtures the bot tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import Settings
from core.runtime import build_runtime


@pytest.fixture
def fresh_runtime(tmp_path: Path, models_dir: Path):  # type: ignore[no-untyped-def]
    """A stack of its own, for a test that waits on its results: what the module's earlier tests queued on the
    shared runtime cannot delay it, and its members' quota is untouched."""
    rt = build_runtime(Settings(data_dir=tmp_path, models_dir=models_dir, rate_limit_jobs=1000,
                                max_queued_jobs_per_user=50))
    yield rt
    rt.close()


@pytest.fixture
def faces_runtime(tmp_path: Path, models_dir: Path):  # type: ignore[no-untyped-def]
    """A stack whose operator configured a face model: the tiny negating ONNX with a restorer's signature."""
    from tests.unit.test_faces import build_negating_model

    model = build_negating_model(tmp_path / "restorer.onnx")
    rt = build_runtime(Settings(data_dir=tmp_path / "data", models_dir=models_dir, face_restorer=model,
                                rate_limit_jobs=1000, max_queued_jobs_per_user=50))
    yield rt
    rt.close()
