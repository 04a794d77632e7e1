"""A job's spec ⇄ its row's columns: the one place that knows how the jobs table spells a spec."""

from __future__ import annotations

from typing import Any, cast

from core.spec import Box, JobSpec, Kind
from core.storage.models import JobRow


def spec_columns(spec: JobSpec) -> dict[str, Any]:
    return {
        "prompt": spec.prompt, "negative_prompt": spec.negative_prompt, "seed": spec.seed, "steps": spec.steps,
        "width": spec.width, "height": spec.height, "cfg": spec.cfg, "count": spec.count, "kind": spec.kind,
        "sampler": spec.sampler, "style": spec.style, "input_path": spec.image, "strength": spec.strength,
        "mask_box": ",".join(map(str, spec.box)) if spec.box else None, "upscale_factor": spec.upscale,
        "mask_path": spec.mask, "style_image_path": spec.style_image, "style_strength": spec.style_strength,
    }


def _box(text: str | None) -> Box | None:
    if not text:
        return None
    x, y, w, h = map(int, text.split(","))
    return x, y, w, h


def spec_from_row(row: JobRow) -> JobSpec:
    return JobSpec(
        prompt=row.prompt, negative_prompt=row.negative_prompt, seed=row.seed, steps=row.steps, width=row.width,
        height=row.height, cfg=row.cfg, count=row.count,
        kind=cast(Kind, row.kind),  # JobSpec refuses a kind it does not know
        sampler=row.sampler, style=row.style, image=row.input_path, strength=row.strength, box=_box(row.mask_box),
        upscale=row.upscale_factor, mask=row.mask_path, style_image=row.style_image_path,
        style_strength=row.style_strength)
