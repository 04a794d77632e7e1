"""Opening pictures we did not make (files to check, later img2img inputs) without trusting them.

Refuses with one clear sentence: files that are not PNG/JPEG/WebP, truncated files, decompression bombs (a small file
that decodes to a gigantic picture), and files over the size limit. Returns a fresh RGB copy, so EXIF and other
metadata are gone.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = frozenset({"PNG", "JPEG", "WEBP"})
MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000  # ~6300x6300; far above any model's size, far below what a bomb decodes to


class BadImage(ValueError):
    """``str(exc)`` is a sentence safe to show the person who sent the file."""


def open_untrusted(source: Path | bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> Image.Image:
    if isinstance(source, Path):
        try:
            size = source.stat().st_size
        except OSError:
            raise BadImage(f"{source.name}: the file cannot be read.") from None
        if size > max_bytes:
            raise BadImage(f"{source.name}: the file is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB.")
        data = source.read_bytes()
        name = source.name
    else:
        data, name = source, "the picture"
        if len(data) > max_bytes:
            raise BadImage(f"{name} is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ALLOWED_FORMATS:
                    raise BadImage(f"{name} is {probe.format or 'an unknown format'}; send PNG, JPEG or WebP.")
                width, height = probe.size
                if width * height > max_pixels:
                    raise BadImage(f"{name} is {width}x{height} pixels, too large to process safely.")
                probe.load()
                upright = ImageOps.exif_transpose(probe)  # honour the camera's rotation before dropping EXIF
                rgb = upright.convert("RGB")
                # Rebuilt from pixels alone: no EXIF (location, camera), no ICC profile, no text chunks.
                return Image.frombytes("RGB", rgb.size, rgb.tobytes())
    except BadImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadImage(f"{name} decodes to an enormous picture (a decompression bomb); refused.") from None
    except UnidentifiedImageError:
        raise BadImage(f"{name} is not a picture (PNG, JPEG or WebP).") from None
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt data
        raise BadImage(f"{name} is damaged or truncated and cannot be opened ({exc}).") from None
