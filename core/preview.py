"""Preview pictures of a job still generating, made from its latents without running the VAE.

Stable Diffusion's four latent channels map almost linearly to RGB: a fixed 4×3 projection (the approximation
factors ComfyUI and the A1111 web UI use for SD 1.x "latent previews") gives a blurry but recognisable picture for a
few microseconds of arithmetic, where a VAE decode would cost as much as a denoising step. The latents are 1/8 of the
picture, so a 512 px job gives a 64 px preview, enlarged to a thumbnail. numpy only: the pipeline hands over a
numpy copy of its latents, so this module stays free of torch.
"""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image

from core.progress import MAX_PREVIEW_BYTES

# Rows: latent channels 0-3; columns: R, G, B (SD 1.x VAE latent space, as scaled by the pipeline).
SD_LATENT_RGB = np.array([[0.3512, 0.2297, 0.3227],
                          [0.3250, 0.4974, 0.2350],
                          [-0.2829, 0.1762, 0.2721],
                          [-0.2120, -0.2616, -0.7177]], dtype=np.float32)
TILE_SIDE = 128  # each picture's preview fits in 128×128; a job of 2-4 pictures shows them 2 to a row


def latents_to_rgb(latents: np.ndarray) -> list[Image.Image]:
    """(pictures, 4, h, w) latents → one small RGB picture (w × h) per picture."""
    if latents.ndim != 4 or latents.shape[1] != SD_LATENT_RGB.shape[0]:
        raise ValueError(f"expected latents shaped (n, 4, h, w), got {latents.shape}")
    rgb = np.einsum("nchw,cr->nhwr", latents.astype(np.float32), SD_LATENT_RGB)
    pixels = np.clip((rgb + 1.0) * 127.5, 0, 255).astype(np.uint8)
    return [Image.fromarray(p, "RGB") for p in pixels]


def _tile(picture: Image.Image, side: int) -> Image.Image:
    scale = side / max(picture.width, picture.height)
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    return picture.resize(size, Image.Resampling.BILINEAR)


def preview_jpeg(latents: np.ndarray, side: int = TILE_SIDE, max_bytes: int = MAX_PREVIEW_BYTES) -> bytes | None:
    """A JPEG of every picture of one job, side by side (two to a row), each fitting in ``side`` px, at most
    ``max_bytes``; None for latents this projection does not know (not 4 channels)."""
    if latents.ndim != 4 or latents.shape[1] != SD_LATENT_RGB.shape[0] or latents.shape[0] == 0:
        return None
    tiles = [_tile(p, side) for p in latents_to_rgb(latents)]
    columns = min(2, len(tiles))
    rows = math.ceil(len(tiles) / columns)
    width, height = tiles[0].size
    sheet = Image.new("RGB", (width * columns, height * rows))
    for i, tile in enumerate(tiles):
        sheet.paste(tile, ((i % columns) * width, (i // columns) * height))
    quality = 80
    while True:
        buffer = io.BytesIO()
        sheet.save(buffer, format="JPEG", quality=quality)
        if buffer.tell() <= max_bytes:
            return buffer.getvalue()
        if quality > 30:
            quality -= 15
        else:  # still too big (only for absurd bounds): halve the picture rather than give up
            if sheet.width < 16:
                return None
            sheet = sheet.resize((sheet.width // 2, max(1, sheet.height // 2)), Image.Resampling.BILINEAR)
