"""What each model accepts and where its jobs queue. One queue per model lets a worker serve only what it loaded."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.config import MINIATURE, Settings


@dataclass(frozen=True)
class ModelSpec:
    name: str
    source: str  # "miniature", a hub id or a local path
    licence_id: str
    default_size: int
    max_side: int
    max_pixels: int
    default_steps: int
    max_steps: int
    default_cfg: float

    @property
    def queue(self) -> str:
        return "muralist." + re.sub(r"[^a-z0-9_.-]+", "-", self.name.lower()).strip("-")


def model_spec(settings: Settings) -> ModelSpec:
    """The model this deployment serves. The miniature is small and fast; real checkpoints get SD 1.x limits."""
    if settings.model == MINIATURE:
        return ModelSpec(
            name=MINIATURE,
            source=MINIATURE,
            licence_id=settings.model_licence,
            default_size=128,
            max_side=512,
            max_pixels=512 * 512,
            default_steps=8,
            max_steps=50,
            default_cfg=7.5,
        )
    if settings.model == "sd15-random":  # the benchmark's full-size architecture with random weights
        return ModelSpec(name="sd15-random", source="sd15-random", licence_id=settings.model_licence,
                         default_size=512, max_side=768, max_pixels=768 * 768, default_steps=20, max_steps=100,
                         default_cfg=7.5)
    name = settings.model.rstrip("/").split("/")[-1] or settings.model
    return ModelSpec(
        name=name,
        source=settings.model,
        licence_id=settings.model_licence,
        default_size=512,
        max_side=1024,
        max_pixels=768 * 768,
        default_steps=25,
        max_steps=100,
        default_cfg=7.5,
    )


def model_specs(settings: Settings) -> dict[str, ModelSpec]:
    """Every configured model by name; the first is the default. ``MURALIST_MODELS`` (JSON list of objects with
    name, source, licence, default_size, max_side, default_steps, max_steps, default_cfg) adds models beside
    ``MURALIST_MODEL``."""
    default = model_spec(settings)
    specs = {default.name: default}
    for entry in settings.models:
        base = model_spec(settings.model_copy(update={"model": entry.get("source", entry.get("name", ""))}))
        spec = ModelSpec(
            name=str(entry.get("name", base.name)), source=str(entry.get("source", base.source)),
            licence_id=str(entry.get("licence", base.licence_id)),
            default_size=int(entry.get("default_size", base.default_size)),
            max_side=int(entry.get("max_side", base.max_side)),
            max_pixels=int(entry.get("max_side", base.max_side)) ** 2 if "max_side" in entry else base.max_pixels,
            default_steps=int(entry.get("default_steps", base.default_steps)),
            max_steps=int(entry.get("max_steps", base.max_steps)),
            default_cfg=float(entry.get("default_cfg", base.default_cfg)))
        specs[spec.name] = spec
    return specs
