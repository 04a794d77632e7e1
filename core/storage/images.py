"""Pictures on local disk, addressed by content hash, with PNG text metadata saying what made them."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

from PIL import Image, PngImagePlugin


class LocalImageStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def save(self, image: Image.Image, metadata: dict[str, str]) -> tuple[str, str]:
        info = PngImagePlugin.PngInfo()
        for key, value in metadata.items():
            info.add_itxt(key, value)  # iTXt: UTF-8, so prompts in any language survive
        buf = io.BytesIO()
        image.save(buf, format="PNG", pnginfo=info)
        data = buf.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        path = self.root / digest[:2] / f"{digest}.png"
        if not path.exists():  # same content, same file: a redelivered job writes nothing new
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return str(path), digest
