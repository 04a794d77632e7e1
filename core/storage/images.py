"""Pictures on local disk, addressed by content hash, with PNG text metadata saying what made them."""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Callable
from pathlib import Path

from PIL import Image, PngImagePlugin

UPLOAD_PREFIX = "upload:"
_DIGEST = re.compile(r"[0-9a-f]{64}")


class LocalImageStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def save(self, image: Image.Image, metadata: dict[str, str],
             seal: Callable[[bytes], bytes] | None = None) -> tuple[str, str]:
        info = PngImagePlugin.PngInfo()
        for key, value in metadata.items():
            info.add_itxt(key, value)  # iTXt: UTF-8, so prompts in any language survive
        buf = io.BytesIO()
        image.save(buf, format="PNG", pnginfo=info)
        data = buf.getvalue() if seal is None else seal(buf.getvalue())
        digest = hashlib.sha256(data).hexdigest()
        path = self.root / digest[:2] / f"{digest}.png"
        if not path.exists():  # same content, same file: a redelivered job writes nothing new
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return str(path), digest


class LocalInputStore:
    """Input pictures (image-to-image, inpainting, upscaling), opened defensively and kept as EXIF-free PNGs."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def store(self, source: str | bytes) -> tuple[str, tuple[int, int]]:
        """A file path or uploaded bytes. Raises :class:`safety.image_input.BadImage` with a sentence for anything
        that is not a sane picture."""
        from safety.image_input import open_untrusted

        picture = open_untrusted(source if isinstance(source, bytes) else Path(source).expanduser())
        buf = io.BytesIO()
        picture.save(buf, format="PNG")
        digest = hashlib.sha256(buf.getvalue()).hexdigest()
        path = self.root / f"{digest}.png"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(buf.getvalue())
        return str(path), picture.size

    def store_upload(self, data: bytes) -> str:
        """Uploaded bytes, checked and kept; returns the upload id a chat adapter hands to core (never a path)."""
        path, _size = self.store(data)
        return UPLOAD_PREFIX + Path(path).stem

    def open_upload(self, upload_id: str) -> tuple[str, tuple[int, int]]:
        """The stored file and size of an upload id; ``KeyError`` when there is no such upload."""
        digest = upload_id.removeprefix(UPLOAD_PREFIX)
        if not _DIGEST.fullmatch(digest):
            raise KeyError(upload_id)
        path = self.root / f"{digest}.png"
        if not path.is_file():
            raise KeyError(upload_id)
        with Image.open(path) as picture:
            return str(path), picture.size
