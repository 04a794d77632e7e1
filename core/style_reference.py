"""Style from a reference picture: IP-Adapter weights loaded into a model's UNet with diffusers' ``load_ip_adapter``,
switched on only for the calls that carry a reference. Worker-side: torch and diffusers are imported lazily.

Why switch rather than leave it loaded: the UNet is shared by every task of the model (text-to-image,
image-to-image, inpainting without a checkpoint), and a UNet with IP-Adapter attention expects image embeddings on
every call (diffusers raises without them), so a plain job would need a dummy reference and pay for the image
encoder. Instead the adapter's attention processors and image projection are put in for a styled call and the
plain ones put back after it. Every call of a model runs on its one generation thread (core.pipelines), so no
other call ever sees the UNet half-switched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.model_builders import (
    IP_ADAPTER_ENCODER,
    IP_ADAPTER_SUBFOLDER,
    IP_ADAPTER_WEIGHTS,
    MINIATURE_VERSION,
    build_miniature,
    build_miniature_ip_adapter,
)

MINIATURE = "miniature"


class StyleAdapterUnavailable(Exception):
    """The configured IP-Adapter could not be loaded into the model; said to the operator at start-up."""


class StyleAdapter:
    """One model's IP-Adapter: its attention processors and image projection, kept aside between styled calls."""

    def __init__(self, pipe: Any, plain: tuple[dict[str, Any], Any, Any]) -> None:
        self.pipe = pipe
        self.unet = pipe.unet
        self._plain = plain  # (attention processors, encoder_hid_proj, encoder_hid_dim_type) without the adapter
        self._styled = (dict(self.unet.attn_processors), self.unet.encoder_hid_proj,
                        self.unet.config.encoder_hid_dim_type)
        self._install(self._plain)

    @classmethod
    def load(cls, pipe: Any, source: str, models_dir: Path, reoffload: bool = False) -> StyleAdapter:
        """Load ``source`` — a folder in IP-Adapter's layout, "miniature" (built for the miniature model under
        ``models_dir``) or a hub id — into ``pipe``. Call it before other pipelines are made from ``pipe`` with
        ``from_pipe``: they then share its image encoder too. ``reoffload``: the pipe uses model CPU offload, which
        must be set up again to include the image encoder."""
        unet = pipe.unet
        plain = (dict(unet.attn_processors), unet.encoder_hid_proj, unet.config.encoder_hid_dim_type)
        folder: str | Path = source
        if source == MINIATURE:
            model = build_miniature(models_dir / MINIATURE_VERSION)
            folder = build_miniature_ip_adapter(models_dir / f"{MINIATURE_VERSION}-ip-adapter",
                                                model / "unet" / "config.json")
        local = source == MINIATURE or Path(source).exists()
        try:
            pipe.load_ip_adapter(str(folder), subfolder=IP_ADAPTER_SUBFOLDER, weight_name=IP_ADAPTER_WEIGHTS,
                                 image_encoder_folder=IP_ADAPTER_ENCODER, local_files_only=local)
        except Exception as exc:  # missing files, or weights shaped for another UNet (SD 1.5 vs SDXL)
            raise StyleAdapterUnavailable(f"{source}: {exc}") from None
        if reoffload:
            pipe.enable_model_cpu_offload()
        return cls(pipe, plain)

    def _install(self, state: tuple[dict[str, Any], Any, Any]) -> None:
        processors, projection, hid_type = state
        self.unet.set_attn_processor(dict(processors))  # set_attn_processor consumes the dict it is given
        self.unet.encoder_hid_proj = projection
        self.unet.config.encoder_hid_dim_type = hid_type  # diffusers' own unload_ip_adapter writes it the same way

    @contextmanager
    def active(self, pipe: Any, scale: float) -> Iterator[None]:
        """The adapter switched on at ``scale`` for one call of ``pipe`` (a pipeline on this model's UNet)."""
        if pipe.unet is not self.unet:
            raise RuntimeError("a style reference needs the model's own UNet (not a separate checkpoint)")
        self._install(self._styled)
        try:
            self.pipe.set_ip_adapter_scale(scale)
            yield
        finally:
            self._install(self._plain)


def reference_picture(path: str) -> Any:
    """The stored reference as RGB (the pipeline's CLIP image processor resizes and crops it)."""
    from PIL import Image

    with Image.open(path) as picture:
        return picture.convert("RGB")
