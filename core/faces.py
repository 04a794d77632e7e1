"""Face restoration with an operator-supplied GFPGAN-style ONNX model (worker side: OpenCV and onnxruntime, no
torch).

No package ships restoration weights (gfpgan, codeformer and their forks download them at run time), so the
operator names a model file with ``MURALIST_FACE_RESTORER``: one 1×3×512×512 float input in [-1, 1] (RGB), the
same out. Faces are found with OpenCV's Haar cascade, whose XML ships inside ``opencv-python-headless`` 4.x (no
download; ``face-detection-tflite`` would pull in all of TensorFlow, and OpenCV 5 dropped the cascades). Each face
is mapped onto the 512×512 template by a similarity transform (scale and shift from the detected box: the cascade
gives no landmarks, so no rotation), restored, and pasted back through a feathered mask — every pixel outside a
face's crop is left exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

TEMPLATE = 512  # GFPGAN's face template: a 512×512 crop
FACE_SHARE = 0.62  # how much of the template's width the detected box covers (GFPGAN's crops show some hair and chin)
MAX_FACES = 8  # a crowd photo costs at most this many model runs (2.7 s each for GFPGAN v1.4 on this CPU)
MIN_FACE = 48  # pixels: smaller faces have too little to restore
FEATHER = 24  # template pixels over which a restored face fades into the picture


class RestorerUnavailable(Exception):
    """The configured model file is missing or is not a 512×512 face model; said to the operator at start-up."""


@dataclass(frozen=True)
class Restored:
    image: Image.Image
    faces: int


def find_faces(rgb: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Face boxes (x, y, w, h), largest first, at most :data:`MAX_FACES`."""
    import cv2

    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")  # type: ignore[attr-defined]
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    found = cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(MIN_FACE, MIN_FACE))
    boxes = [(int(x), int(y), int(w), int(h)) for x, y, w, h in (found if len(found) else [])]
    return sorted(boxes, key=lambda b: -b[2] * b[3])[:MAX_FACES]


def _to_template(box: tuple[int, int, int, int]) -> np.ndarray:
    """The 2×3 affine matrix taking picture coordinates to the 512 template: the box's centre to the template's,
    its width to :data:`FACE_SHARE` of the template."""
    x, y, w, h = box
    scale = TEMPLATE * FACE_SHARE / max(w, h)
    cx, cy = x + w / 2, y + h / 2
    return np.array([[scale, 0.0, TEMPLATE / 2 - scale * cx], [0.0, scale, TEMPLATE / 2 - scale * cy]])


def _feathered_mask() -> np.ndarray:
    import cv2

    mask = np.zeros((TEMPLATE, TEMPLATE), np.float32)
    mask[FEATHER:-FEATHER, FEATHER:-FEATHER] = 1.0
    return cv2.GaussianBlur(mask, (0, 0), FEATHER / 2.5)


class FaceRestorer:
    def __init__(self, model_path: Path, threads: int | None = None) -> None:
        import onnxruntime as ort

        if not model_path.is_file():
            raise RestorerUnavailable(f"{model_path} is not a file")
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        try:
            self.session: Any = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own types for a damaged or foreign file
            raise RestorerUnavailable(f"{model_path} is not an ONNX model onnxruntime can run ({exc})") from None
        (inp,), out = self.session.get_inputs(), self.session.get_outputs()
        if len(inp.shape) != 4 or any(isinstance(s, int) and s != want for s, want in
                                      zip(inp.shape[1:], (3, TEMPLATE, TEMPLATE), strict=True)):
            raise RestorerUnavailable(f"{model_path} takes {inp.shape}, not a 1×3×512×512 face")
        self.input_name, self.output_name = inp.name, out[0].name
        self.mask = _feathered_mask()

    def restore_face(self, face: np.ndarray) -> np.ndarray:
        """One 512×512 RGB uint8 face → the model's 512×512 RGB uint8 face."""
        x = (face.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)[None]
        (y,) = self.session.run([self.output_name], {self.input_name: x})
        y = np.clip((np.asarray(y, np.float32)[0].transpose(1, 2, 0) + 1.0) * 127.5, 0, 255)
        return np.rint(y).astype(np.uint8)

    def __call__(self, picture: Image.Image) -> Restored:
        import cv2

        rgb = np.asarray(picture.convert("RGB")).copy()
        height, width = rgb.shape[:2]
        boxes = find_faces(rgb)
        out = rgb.astype(np.float32)
        for box in boxes:
            forward = _to_template(box)
            face = cv2.warpAffine(rgb, forward, (TEMPLATE, TEMPLATE), flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REFLECT101)
            restored = self.restore_face(face).astype(np.float32)
            back = cv2.invertAffineTransform(forward)
            pasted = cv2.warpAffine(restored, back, (width, height), flags=cv2.INTER_LINEAR)
            weight = cv2.warpAffine(self.mask, back, (width, height), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)[..., None]
            out = np.where(weight > 0, weight * pasted + (1.0 - weight) * out, out)
        result = np.where(out == rgb, rgb, np.clip(np.rint(out), 0, 255)).astype(np.uint8)
        return Restored(Image.fromarray(result), len(boxes))
