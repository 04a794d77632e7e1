"""Parameter checks in the spirit of diffusers' ``check_inputs``: precise errors, raised before anything is written."""

from __future__ import annotations

import secrets

from core.catalogue import MESSAGES, text
from core.domain import GenerationParams
from core.models_registry import ModelSpec
from core.spec import JobSpec, Kind

MAX_SEED = 2**32 - 1
MAX_COUNT = 4
MIN_CFG, MAX_CFG = 0.0, 30.0
MIN_SIDE = 64
MAX_PROMPT_CHARS = 1000  # each of prompt and negative prompt; MURALIST_MAX_PROMPT_CHARS overrides it


class InvalidParams(ValueError):
    """A user-caused problem with the request, said by a catalogue code and its values (``render(exc, lang)``: the
    member's language); ``str(exc)`` is the English sentence, for logs and the operator's tools. An English sentence
    instead of a code is still accepted (said as it is, in every language) but the catalogue test flags it."""

    def __init__(self, code: str, **values: object) -> None:
        if code not in MESSAGES:
            code, values = "params", {"detail": code}
        self.code = code
        self.values = values
        super().__init__(text(code, "en", **values))

    def said(self) -> dict[str, object]:
        """The values of a ``Rejected`` that says this sentence (its ``message`` picks the catalogue entry)."""
        return {"message": self.code, **self.values}


SAMPLERS = ("default", "euler", "euler_a", "ddim", "dpm++", "pndm", "unipc")
UPSCALE_FACTORS = (2, 4)
# The IP-Adapter scale when none is asked for: the reference's look, with the prompt still deciding what is shown
# (at 1.0 the reference's content starts to take over).
DEFAULT_STYLE_STRENGTH = 0.6
MIN_STYLE_STRENGTH, MAX_STYLE_STRENGTH = 0.05, 1.0
MAX_UPSCALED_SIDE = 2048
# C0 controls break storage (PostgreSQL refuses NUL in text) and mean nothing to a model; tabs and line breaks
# are ordinary typing.
_CONTROL = frozenset(map(chr, range(32))) - set("\t\n\r")


def _grid(side: int, spec: ModelSpec) -> int:
    """An input picture's side, snapped to the model's grid (multiple of 8) and limits."""
    return max(MIN_SIDE, min(spec.max_side, side // 8 * 8))


def _aspect_size(aspect: tuple[int, int], spec: ModelSpec) -> tuple[int, int]:
    """The model's default picture area in the shape W:H, each side a multiple of 8 within the model's limits."""
    w, h = aspect
    if not (0 < w <= 32 and 0 < h <= 32) or max(w, h) / min(w, h) > 4:
        raise InvalidParams("params_ar_shape")
    area = spec.default_size**2
    width = (area * w / h) ** 0.5
    return (max(MIN_SIDE, min(spec.max_side, int(width) // 8 * 8)),
            max(MIN_SIDE, min(spec.max_side, int(area / width) // 8 * 8)))


def parse_box(text: str, width: int, height: int) -> tuple[int, int, int, int]:
    parts = text.replace(" ", "").split(",")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        raise InvalidParams("params_box_format", box=text)
    x, y, w, h = map(int, parts)
    if w == 0 or h == 0 or x + w > width or y + h > height:
        raise InvalidParams("params_box_outside", box=text, width=width, height=height)
    return x, y, w, h


def check_params(params: GenerationParams, spec: ModelSpec, *, max_prompt_chars: int = MAX_PROMPT_CHARS,
                 input_size: tuple[int, int] | None = None) -> JobSpec:
    """Fill defaults and validate. Raises :class:`InvalidParams` with the first problem found.

    ``input_size`` is the size of the (already stored) input picture for image-to-image, inpainting or upscaling."""
    from core.styles import load_styles

    for name, typed in (("prompt", params.prompt), ("negative", params.negative_prompt)):
        if not _CONTROL.isdisjoint(typed):
            raise InvalidParams(f"params_{name}_control")
        if any("\ud800" <= ch <= "\udfff" for ch in typed):  # a lone surrogate: no database can store it
            raise InvalidParams(f"params_{name}_broken")
    if params.upscale is not None:
        return _check_upscale(params, spec, input_size)
    if params.restore:
        return _check_restore(params, input_size)
    style = None
    if params.style is not None:
        styles = load_styles()
        if params.style not in styles:
            raise InvalidParams("params_style_unknown", style=params.style, styles=", ".join(styles))
        style = styles[params.style]
    prompt = params.prompt.strip()
    if not prompt:
        raise InvalidParams("params_prompt_empty")
    if len(prompt) > max_prompt_chars:
        raise InvalidParams("params_prompt_long", length=len(prompt), limit=max_prompt_chars)
    negative = params.negative_prompt.strip()
    if len(negative) > max_prompt_chars:
        raise InvalidParams("params_negative_long", length=len(negative), limit=max_prompt_chars)

    if params.sampler is not None and params.sampler not in SAMPLERS:
        raise InvalidParams("params_sampler_unknown", sampler=params.sampler, samplers=", ".join(SAMPLERS))
    if params.image is not None and input_size is None:
        raise InvalidParams("params_input_unreadable")
    if (params.box is not None or params.mask is not None) and params.image is None:
        raise InvalidParams("params_box_needs_image")
    if params.box is not None and params.mask is not None:
        raise InvalidParams("params_box_or_mask")
    if params.strength is not None and (params.image is None or not 0.05 <= params.strength <= 1.0):
        raise InvalidParams("params_strength")
    if params.aspect is not None and (params.width is not None or params.height is not None):
        raise InvalidParams("params_ar_or_size")
    style_strength = _style_strength(params)
    default_w, default_h = (_grid(input_size[0], spec), _grid(input_size[1], spec)) if input_size else (
        _aspect_size(params.aspect, spec) if params.aspect else (spec.default_size, spec.default_size))
    width = params.width if params.width is not None else default_w
    height = params.height if params.height is not None else default_h
    for side_name, side in (("width", width), ("height", height)):
        if side % 8:
            raise InvalidParams(f"params_{side_name}_grid", side=side, suggestion=max(MIN_SIDE, side // 8 * 8))
        if side < MIN_SIDE or side > spec.max_side:
            raise InvalidParams(f"params_{side_name}_range", low=MIN_SIDE, high=spec.max_side)
    if width * height > spec.max_pixels:
        raise InvalidParams("params_too_many_pixels", width=width, height=height, limit=spec.max_pixels,
                            side=int(spec.max_pixels**0.5))

    steps = params.steps if params.steps is not None else (style.steps if style and style.steps else
                                                          spec.default_steps)
    if not 1 <= steps <= spec.max_steps:
        raise InvalidParams("params_steps_range", limit=spec.max_steps)
    cfg = params.cfg if params.cfg is not None else (style.cfg if style and style.cfg else spec.default_cfg)
    if not MIN_CFG <= cfg <= MAX_CFG or cfg != cfg:  # cfg != cfg catches NaN
        raise InvalidParams("params_cfg_range", low=f"{MIN_CFG:g}", high=f"{MAX_CFG:g}")
    if not 1 <= params.count <= MAX_COUNT:
        raise InvalidParams("params_count_range", limit=MAX_COUNT)
    seed = params.seed if params.seed is not None else secrets.randbelow(MAX_SEED + 1)
    if not 0 <= seed <= MAX_SEED:
        raise InvalidParams("params_seed_range", limit=MAX_SEED)
    if style is not None:
        prompt, negative = style.apply(prompt, negative)
    box = parse_box(params.box, width, height) if params.box is not None else None
    kind: Kind = "inpaint" if box or params.mask else "img2img" if params.image else "txt2img"
    strength = params.strength if params.strength is not None else (
        None if kind == "txt2img" else 0.75 if kind == "inpaint" else 0.6)
    if strength is not None and int(steps * strength) < 1:
        raise InvalidParams("params_no_denoising", strength=f"{strength:g}", steps=steps)
    return JobSpec(prompt=prompt, negative_prompt=negative, seed=seed, steps=steps, width=width, height=height,
                   cfg=float(cfg), count=params.count, kind=kind, sampler=params.sampler or "default",
                   style=params.style, image=params.image, strength=strength, box=box, mask=params.mask,
                   style_image=params.style_image, style_strength=style_strength)


def _style_strength(params: GenerationParams) -> float | None:
    """The IP-Adapter scale of a style reference, or None without one."""
    if params.style_image is None:
        if params.style_strength is not None:
            raise InvalidParams("params_style_strength_alone")
        return None
    if params.box is not None or params.mask is not None:
        raise InvalidParams("params_style_image_repaint")
    strength = DEFAULT_STYLE_STRENGTH if params.style_strength is None else params.style_strength
    if not MIN_STYLE_STRENGTH <= strength <= MAX_STYLE_STRENGTH:  # also false for NaN
        raise InvalidParams("params_style_strength_range", low=f"{MIN_STYLE_STRENGTH:g}",
                            high=f"{MAX_STYLE_STRENGTH:g}")
    return strength


def _check_upscale(params: GenerationParams, spec: ModelSpec, input_size: tuple[int, int] | None) -> JobSpec:
    if params.upscale not in UPSCALE_FACTORS:
        raise InvalidParams("params_upscale_factor")
    if params.image is None or input_size is None:
        raise InvalidParams("params_upscale_which")
    width, height = input_size[0] * params.upscale, input_size[1] * params.upscale
    if max(width, height) > MAX_UPSCALED_SIDE:
        raise InvalidParams("params_upscale_too_large", width_in=input_size[0], height_in=input_size[1],
                            factor=params.upscale, width=width, height=height, limit=MAX_UPSCALED_SIDE)
    return JobSpec(prompt=params.prompt.strip() or "(upscale)", negative_prompt="", seed=params.seed or 0, steps=1,
                   width=width, height=height, cfg=0.0, count=1, kind="upscale", image=params.image,
                   upscale=params.upscale)


def _check_restore(params: GenerationParams, input_size: tuple[int, int] | None) -> JobSpec:
    """Face restoration keeps the picture's size; the face model's cost is bounded by core.faces.MAX_FACES."""
    if params.image is None or input_size is None:
        raise InvalidParams("params_restore_which")
    return JobSpec(prompt=params.prompt.strip() or "(restore faces)", negative_prompt="", seed=params.seed or 0,
                   steps=1, width=input_size[0], height=input_size[1], cfg=0.0, count=1, kind="restore",
                   image=params.image)
