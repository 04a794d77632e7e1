"""Pictures from outside are opened defensively: clear sentences for everything that is not a sane picture."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from safety.image_input import BadImage, open_untrusted


def png_bytes(size: tuple[int, int] = (32, 32), mode: str = "RGB", fmt: str = "PNG", **kw: object) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, 1 if mode == "1" else (10, 20, 30)).save(buf, format=fmt, **kw)
    return buf.getvalue()


def test_a_good_picture_opens_as_rgb_without_exif(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # camera maker
    path = tmp_path / "photo.jpg"
    path.write_bytes(png_bytes(fmt="JPEG", exif=exif))
    image = open_untrusted(path)
    assert image.mode == "RGB" and image.size == (32, 32)
    assert not image.getexif() and "exif" not in image.info


@pytest.mark.parametrize(("data", "says"), [
    (b"hello, not a picture", "not a picture"),
    (png_bytes()[:60], "damaged or truncated"),
    (png_bytes(fmt="GIF"), "send PNG, JPEG or WebP"),
    (png_bytes((20_000, 20_000), mode="1"), "decompression bomb"),
])
def test_bad_inputs_get_one_sentence(data: bytes, says: str) -> None:
    with pytest.raises(BadImage, match=says):
        open_untrusted(data)


def test_size_limit() -> None:
    with pytest.raises(BadImage, match="limit"):
        open_untrusted(png_bytes(), max_bytes=10)
