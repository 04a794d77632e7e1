"""One job's parameters in two steps: :class:`GenerationParams`, the unchecked request an adapter parses from a
member's options, and :class:`JobSpec`, what :func:`core.params.check_params` returns, what a job stores and what a
pipeline runs. Stdlib only, so bot processes can read jobs without loading torch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Kind = Literal["txt2img", "img2img", "inpaint", "upscale", "restore"]
Box = tuple[int, int, int, int]  # x, y, width, height in pixels
# The kinds a style reference applies to: the pipelines that run on the model's own UNet, where the IP-Adapter is.
STYLED_KINDS: tuple[Kind, ...] = ("txt2img", "img2img")


@dataclass(frozen=True)
class GenerationParams:
    prompt: str
    negative_prompt: str = ""
    seed: int | None = None
    steps: int | None = None
    width: int | None = None
    height: int | None = None
    cfg: float | None = None
    count: int = 1
    sampler: str | None = None
    style: str | None = None
    image: str | None = None  # an input picture (path) for image-to-image, inpainting or upscaling
    strength: float | None = None  # how far from the input picture to go (0..1)
    box: str | None = None  # "x,y,w,h": the rectangle to repaint (inpainting)
    mask: str | None = None  # or a mask picture (path or JOB[:N]): white is repainted
    upscale: int | None = None  # 2 or 4: enlarge the input picture instead of generating
    aspect: tuple[int, int] | None = None  # --ar W:H: the model's default area in this shape (no explicit size)
    restore: bool = False  # restore the faces of the input picture (the operator's face model) instead of generating
    # A picture whose style the result takes (IP-Adapter): path, upload id or JOB[:N]; "" means "the picture the
    # member attached", which the adapter fills in (a bare --style-image on a photo's caption or a reply).
    style_image: str | None = None
    style_strength: float | None = None  # how much of the reference's style (the IP-Adapter scale, 0.05..1)


@dataclass(frozen=True)
class JobSpec:
    prompt: str
    negative_prompt: str
    seed: int
    steps: int
    width: int
    height: int
    cfg: float
    count: int
    kind: Kind = "txt2img"
    sampler: str = "default"
    style: str | None = None  # the style's name, kept for the record: its words are already in the prompts
    image: str | None = None  # the stored (EXIF-free) input picture
    strength: float | None = None
    box: Box | None = None  # the rectangle inpainting repaints …
    upscale: int | None = None
    mask: str | None = None  # … or a stored mask picture: white is repainted
    style_image: str | None = None  # the stored (EXIF-free) style reference picture (IP-Adapter)
    style_strength: float | None = None  # its IP-Adapter scale

    def __post_init__(self) -> None:
        # check_params gives users the sentences; these catch a spec assembled by hand (a row, a test) that no
        # pipeline could run.
        if self.kind not in get_args(Kind):
            raise ValueError(f"unknown job kind {self.kind!r}")
        if self.kind != "txt2img" and self.image is None:
            raise ValueError(f"a {self.kind} job needs an input picture")
        if self.box is not None and len(self.box) != 4:
            raise ValueError(f"a box is x, y, width, height, not {self.box!r}")
        if (self.style_image is None) != (self.style_strength is None):
            raise ValueError("a style reference needs its strength, and a strength its reference")
        if self.style_image is not None and self.kind not in STYLED_KINDS:
            raise ValueError(f"a {self.kind} job cannot take a style reference")

    def as_request(self, seed: int | None = None) -> GenerationParams:
        """The request that asks for this job again; ``seed=None`` lets the checks draw a new seed (a reroll)."""
        return GenerationParams(
            prompt=self.prompt, negative_prompt=self.negative_prompt, seed=seed, steps=self.steps, width=self.width,
            height=self.height, cfg=self.cfg, count=self.count,
            sampler=None if self.sampler == "default" else self.sampler,
            # No style: its words are already in the prompts, and naming it would add them a second time.
            image=self.image, strength=self.strength, box=",".join(map(str, self.box)) if self.box else None,
            mask=self.mask, upscale=self.upscale, restore=self.kind == "restore", style_image=self.style_image,
            style_strength=self.style_strength)


@dataclass(frozen=True)
class ChatLimits:
    """What a chat's admins allow a job in their chat (``/settings max_steps 10``): None is the service's own limit.
    Checked against the :class:`JobSpec` by :func:`core.chat_policy.hold_to_limits`."""

    max_steps: int | None = None
    max_count: int | None = None
    max_size: int | None = None  # the longest side, in pixels
