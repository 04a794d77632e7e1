"""Face restoration with an operator's ONNX model: a tiny model with GFPGAN's signature (1×3×512×512 in [-1, 1],
the same out; this one negates, so what it touched is plain to see) and a drawn face the Haar cascade finds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.faces import FaceRestorer, RestorerUnavailable, find_faces


def build_negating_model(path: Path, side: int = 512) -> Path:
    """An ONNX model with a face restorer's signature that turns every colour to its opposite."""
    import onnx
    from onnx import TensorProto, helper

    shape = [1, 3, side, side]
    graph = helper.make_graph([helper.make_node("Neg", ["input"], ["output"])], "negate",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, shape)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # readable by older onnxruntime releases too
    onnx.save(model, str(path))
    return path


def drawn_face(r: int = 96, canvas: tuple[int, int] = (576, 384)) -> np.ndarray:
    """A flat-coloured face (oval, eyes, brows, nose, mouth) in the middle of a wide plain background, RGB."""
    import cv2

    w, h = canvas
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = (160, 120, 60)
    cx, cy = w // 2, h // 2
    cv2.ellipse(img, (cx, cy), (int(r * 0.8), r), 0, 0, 360, (225, 190, 170), -1)
    for dx in (-1, 1):
        ex, ey = cx + dx * int(r * 0.35), cy - int(r * 0.2)
        cv2.ellipse(img, (ex, ey), (int(r * 0.16), int(r * 0.08)), 0, 0, 360, (255, 255, 255), -1)
        cv2.circle(img, (ex, ey), int(r * 0.07), (20, 20, 30), -1)
        cv2.line(img, (ex - int(r * 0.18), ey - int(r * 0.2)), (ex + int(r * 0.18), ey - int(r * 0.22)),
                 (30, 30, 40), max(2, r // 20))
    cv2.line(img, (cx, cy - int(r * 0.05)), (cx - int(r * 0.06), cy + int(r * 0.22)), (170, 130, 120), max(2, r // 25))
    cv2.ellipse(img, (cx, cy + int(r * 0.45)), (int(r * 0.25), int(r * 0.08)), 0, 0, 360, (150, 60, 70), -1)
    return np.asarray(cv2.GaussianBlur(img, (0, 0), r / 60))


@pytest.fixture(scope="module")
def restorer(tmp_path_factory: pytest.TempPathFactory) -> FaceRestorer:
    return FaceRestorer(build_negating_model(tmp_path_factory.mktemp("faces") / "negate.onnx"))


def test_the_face_is_restored_and_the_rest_of_the_picture_is_untouched(restorer: FaceRestorer) -> None:
    before = drawn_face()
    (box,) = find_faces(before)
    result = restorer(Image.fromarray(before))
    after = np.asarray(result.image)
    assert result.faces == 1 and after.shape == before.shape
    x, y, w, h = box
    centre = (slice(y + h // 3, y + 2 * h // 3), slice(x + w // 3, x + 2 * w // 3))
    # The model negates: in the middle of the face every colour is now its opposite (up to the resampling there and
    # back, which softens sharp edges by a few levels).
    error = np.abs(after[centre].astype(int) - (255 - before[centre].astype(int)))
    assert np.median(error) <= 1 and error.max() <= 12
    # Outside the face's crop (the box and a margin around it) not one pixel changed.
    margin = int(max(w, h) / 0.62 / 2) + 2
    cx, cy = x + w // 2, y + h // 2
    outside = np.ones(before.shape[:2], bool)
    outside[max(0, cy - margin):cy + margin, max(0, cx - margin):cx + margin] = False
    assert outside.sum() > before.shape[0] * before.shape[1] // 3
    assert np.array_equal(after[outside], before[outside])
    # The seam is feathered: between the crop's edge and the face the picture changes gradually.
    ring = after[cy, cx - margin:cx - w // 2].astype(int)
    assert len({tuple(p) for p in ring}) > 5


def test_a_picture_without_a_face_comes_back_unchanged(restorer: FaceRestorer) -> None:
    plain = np.zeros((256, 256, 3), np.uint8)
    plain[:, 128:] = (40, 200, 90)
    result = restorer(Image.fromarray(plain))
    assert result.faces == 0 and np.array_equal(np.asarray(result.image), plain)


def test_a_model_of_the_wrong_shape_or_no_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RestorerUnavailable, match="not a 1×3×512×512 face"):
        FaceRestorer(build_negating_model(tmp_path / "small.onnx", side=256))
    with pytest.raises(RestorerUnavailable, match="is not a file"):
        FaceRestorer(tmp_path / "missing.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(RestorerUnavailable, match="not an ONNX model"):
        FaceRestorer(junk)


# --- /restore through the facade and the console, on the embedded stack ---------------------------------------------


def _png(rgb: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    return buf.getvalue()


def test_restore_is_a_job_that_changes_the_face_only(tmp_path: Path, models_dir: Path) -> None:
    from bots.console.bot import ConsoleBot
    from core.catalogue import render
    from core.config import Settings
    from core.domain import Accepted, JobStatus, Requester
    from core.runtime import build_runtime

    model = build_negating_model(tmp_path / "restorer.onnx")
    runtime = build_runtime(Settings(data_dir=tmp_path / "data", models_dir=models_dir, face_restorer=model))
    try:
        ada = Requester("telegram", "1", chat_id="100", display_name="ada")
        runtime.app.accept_licence(ada)
        before = drawn_face()
        upload = runtime.app.upload(_png(before))
        assert isinstance(upload, str)
        outcome = runtime.app.restore(ada, upload)
        assert isinstance(outcome, Accepted), outcome
        job = runtime.app.wait(outcome.job_id, 120)
        assert job is not None and job.status is JobStatus.DONE and job.spec.kind == "restore"
        delivered = runtime.app.deliveries("telegram", "test").claim(job.id)
        assert delivered is not None
        assert any(render(line) == "Made with face restorer (1 face)." for line in delivered.lines), delivered.lines
        after = np.asarray(Image.open(delivered.pictures[0].path).convert("RGB")).astype(int)
        (box,) = find_faces(before)
        x, y, w, h = box
        centre = (slice(y + h // 3, y + 2 * h // 3), slice(x + w // 3, x + 2 * w // 3))
        # The delivered picture also carries the invisible provenance mark: compare within a few levels.
        assert np.median(np.abs(after[centre] - (255 - before[centre].astype(int)))) <= 3
        corner = (slice(0, 60), slice(0, 60))
        assert np.median(np.abs(after[corner] - before[corner].astype(int))) <= 3
        console = ConsoleBot(runtime.app, Requester("console", "op", chat_id="console", local=True), job_timeout=120)
        console.handle("/accept")
        assert console.handle("/restore") == ["Use /restore PATH|JOB."]
        out = console.handle(f"/restore {job.id}")
        assert len([line for line in out if line.endswith(".png")]) == 1, out
    finally:
        runtime.close()


def test_without_a_face_model_restore_is_one_sentence_and_free(tmp_path: Path, models_dir: Path) -> None:
    from core.catalogue import render
    from core.config import Settings
    from core.domain import Rejected, Requester
    from core.runtime import build_runtime

    runtime = build_runtime(Settings(data_dir=tmp_path / "data", models_dir=models_dir))
    try:
        ada = Requester("telegram", "1", chat_id="100", display_name="ada")
        runtime.app.accept_licence(ada)
        upload = runtime.app.upload(_png(drawn_face()))
        assert isinstance(upload, str)
        refused = runtime.app.restore(ada, upload)
        assert isinstance(refused, Rejected)
        assert render(refused) == ("Face restoration is not available here: the operator has not configured a face "
                                   "model.")
        assert "人脸" in render(refused, "zh")
        assert runtime.app.history(ada) == [] and runtime.app.quota(ada).values["used"] == 0
    finally:
        runtime.close()
