"""Diffusers pipelines for the worker. torch and diffusers are imported here only, and lazily, so bot processes
start fast and never touch CUDA.

The default model is a *miniature* Stable Diffusion: the real StableDiffusionPipeline with a tiny UNet, VAE, CLIP text
encoder and a byte-level tokenizer, built from small configs with seeded random weights and cached on disk. Every
stage of the real pipeline runs; the pictures are noise.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from core.model_builders import MINIATURE_VERSION, build_miniature, build_sd15_random
from core.spec import JobSpec

log = logging.getLogger(__name__)

# transformers warns at import about optional image backends we do not use; keep operators' terminals clean.
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


class ModelLoadError(RuntimeError):
    pass


@dataclass(frozen=True)
class TextToImageOutput:
    images: list[Image.Image]
    seeds: list[int]
    device: str
    method: str = "diffusion"  # what ran, said to the member (e.g. "Lanczos resampling" for a fallback upscale)


SCHEDULERS = {"euler": "EulerDiscreteScheduler", "euler_a": "EulerAncestralDiscreteScheduler",
              "ddim": "DDIMScheduler", "dpm++": "DPMSolverMultistepScheduler", "pndm": "PNDMScheduler",
              "unipc": "UniPCMultistepScheduler"}


class JobCancelled(Exception):
    """Raised from the step callback to stop a running job between steps."""


def box_mask(width: int, height: int, box: tuple[int, int, int, int]) -> Image.Image:
    """White where the picture is repainted, black where it is kept (diffusers' convention)."""
    from PIL import ImageDraw

    mask = Image.new("L", (width, height), 0)
    x, y, w, h = box
    ImageDraw.Draw(mask).rectangle((x, y, x + w - 1, y + h - 1), fill=255)
    return mask


def resample_upscale(image: Image.Image, factor: int) -> Image.Image:
    """The fallback upscaler: Lanczos resampling plus a light unsharp mask (no new detail is invented)."""
    from PIL import ImageFilter

    bigger = image.resize((image.width * factor, image.height * factor), Image.Resampling.LANCZOS)
    return bigger.filter(ImageFilter.UnsharpMask(radius=1.2, percent=60, threshold=2))


def pick_device(preference: str = "auto") -> str:
    import torch

    if preference != "auto":
        return preference
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def load_helper(kind: str, source: str, models_dir: Path, device: str = "auto") -> Any:
    """An optional second pipeline: "inpaint" (an inpainting checkpoint) or "upscale" (a ×4 upscaler), from
    "miniature", a local folder or a hub id."""
    import torch
    from diffusers import StableDiffusionInpaintPipeline, StableDiffusionUpscalePipeline

    dev = pick_device(device)
    cls: Any = StableDiffusionInpaintPipeline if kind == "inpaint" else StableDiffusionUpscalePipeline
    path: str | Path = build_miniature(models_dir / f"{MINIATURE_VERSION}-{kind}", kind) \
        if source == "miniature" else source
    try:
        extra = {"safety_checker": None, "requires_safety_checker": False} if kind == "inpaint" else {}
        pipe = cls.from_pretrained(path, dtype=torch.float16 if dev == "cuda" else torch.float32,
                                   local_files_only=source == "miniature" or Path(source).exists(), **extra)
    except Exception as exc:
        raise ModelLoadError(f"Could not load the {kind} model {source!r}: {exc}") from exc
    pipe = pipe.to(dev)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def load_pipeline(source: str, models_dir: Path, device: str = "auto", low_memory: bool = False) -> Any:
    """Load a StableDiffusionPipeline once: 'miniature', a local diffusers folder, or a hub id (operator's choice)."""
    import torch
    from diffusers import StableDiffusionPipeline
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    for lib in (diffusers_logging, transformers_logging):  # keep the chat console free of loader progress bars
        lib.disable_progress_bar()
        lib.set_verbosity_error()
    dev = pick_device(device)
    if source == "miniature" or Path(source).exists():
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing to fetch; never let a loader try
    dtype = torch.float16 if dev == "cuda" else torch.float32
    if source == "sd15-random":
        pipe = build_sd15_random().to(dev, dtype)
        pipe.set_progress_bar_config(disable=True)
        return pipe
    path: str | Path = build_miniature(models_dir / MINIATURE_VERSION) if source == "miniature" else source
    try:
        # Our own image check replaces diffusers' safety checker (it is graded, logged and fails closed).
        pipe = StableDiffusionPipeline.from_pretrained(
            path, dtype=dtype, safety_checker=None, requires_safety_checker=False,
            local_files_only=source == "miniature" or Path(source).exists())
    except Exception as exc:
        raise ModelLoadError(f"Could not load the model {source!r}: {exc}") from exc
    if low_memory and dev == "cuda":
        # GPUs under ~10 GB: compute attention in slices and keep idle sub-models in CPU memory.
        pipe.enable_attention_slicing()
        pipe.enable_model_cpu_offload()
    else:
        pipe = pipe.to(dev)
    pipe.set_progress_bar_config(disable=True)
    return pipe


ProgressCallback = Callable[[int, int], None]


def _set_torch_threads(count: int | None) -> None:
    if count:
        import torch

        torch.set_num_threads(count)


class TextToImage:
    """One loaded pipeline per worker process, run on one dedicated thread.

    Why one thread: diffusers schedulers keep per-call state, so calls must not interleave; and torch's CPU thread
    pool is per calling thread, so alternating callers each spin up a pool that fights the other for the cores (we
    measured 2.5x slower). Worker threads hand the call to this thread and do their own post-processing (image
    check, PNG, database) while the next job generates.
    """

    def __init__(self, pipe: Any, cpu_threads: int | None = None, inpainter: Any = None,
                 upscaler: Any = None) -> None:
        self.pipe = pipe
        self.inpainter = inpainter  # an inpainting checkpoint, when one is configured
        self.upscaler = upscaler  # a ×4 diffusion upscaler, when one is configured
        self._default_scheduler = pipe.scheduler
        self._schedulers: dict[str, Any] = {}
        self._variants: dict[str, Any] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="muralist-pipeline",
                                            initializer=_set_torch_threads, initargs=(cpu_threads,))

    @classmethod
    def load(cls, source: str, models_dir: Path, device: str = "auto", cpu_threads: int | None = None,
             low_memory: bool = False, inpaint_source: str | None = None,
             upscaler_source: str | None = None) -> TextToImage:
        return cls(load_pipeline(source, models_dir, device, low_memory), cpu_threads,
                   load_helper("inpaint", inpaint_source, models_dir, device) if inpaint_source else None,
                   load_helper("upscale", upscaler_source, models_dir, device) if upscaler_source else None)

    @property
    def device(self) -> str:
        return str(self.pipe.device)

    def _scheduler(self, name: str) -> Any:
        """The sampler's scheduler, built once from the model's own scheduler config."""
        if name == "default":
            return self._default_scheduler
        if name not in self._schedulers:
            import diffusers

            self._schedulers[name] = getattr(diffusers, SCHEDULERS[name]).from_config(self._default_scheduler.config)
        return self._schedulers[name]

    def _variant(self, kind: str) -> Any:
        """Image-to-image and inpainting pipelines share the loaded modules: no second copy in memory."""
        if kind == "txt2img":
            return self.pipe
        if kind not in self._variants:
            from diffusers import StableDiffusionImg2ImgPipeline, StableDiffusionInpaintPipeline

            cls = StableDiffusionImg2ImgPipeline if kind == "img2img" else StableDiffusionInpaintPipeline
            components = {k: v for k, v in self.pipe.components.items() if k != "requires_safety_checker"}
            variant: Any = cls(**components, requires_safety_checker=False)
            variant.set_progress_bar_config(disable=True)
            self._variants[kind] = variant
        return self._variants[kind]

    def __call__(self, spec: JobSpec, progress: ProgressCallback | None = None) -> TextToImageOutput:
        import torch

        seeds = [(spec.seed + i) % 2**32 for i in range(spec.count)]
        if spec.kind == "upscale":
            with Image.open(spec.image or "") as source:
                picture = source.convert("RGB")
            if self.upscaler is None:
                return TextToImageOutput([resample_upscale(picture, spec.upscale or 2)], seeds, "cpu",
                                         f"Lanczos resampling ×{spec.upscale} (no diffusion upscaler configured)")
            return self._diffusion_upscale(picture, spec, seeds)
        # CPU generators make a seed give the same picture on any device.
        generators = [torch.Generator("cpu").manual_seed(s) for s in seeds]

        def on_step_end(_pipe: Any, step: int, _t: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
            if progress is not None:
                progress(step + 1, spec.steps)  # may raise JobCancelled: the job stops between steps
            return kwargs

        extra: dict[str, Any] = {}
        if spec.kind in ("img2img", "inpaint"):
            with Image.open(spec.image or "") as source:
                init = source.convert("RGB").resize((spec.width, spec.height), Image.Resampling.LANCZOS)
            extra = {"image": [init] * spec.count, "strength": spec.strength or 0.6}
            if spec.kind == "inpaint":
                if spec.mask is not None:
                    with Image.open(spec.mask) as picture:
                        mask = picture.convert("L").resize((spec.width, spec.height), Image.Resampling.NEAREST)
                else:
                    mask = box_mask(spec.width, spec.height, spec.box or (0, 0, spec.width, spec.height))
                extra["mask_image"] = [mask] * spec.count
                extra["width"], extra["height"] = spec.width, spec.height
        else:
            extra = {"width": spec.width, "height": spec.height}

        use_checkpoint = spec.kind == "inpaint" and self.inpainter is not None

        def generate() -> Any:
            pipe = self.inpainter if use_checkpoint else self._variant(spec.kind)
            pipe.scheduler = self._scheduler(spec.sampler)
            with torch.inference_mode():
                return pipe(prompt=[spec.prompt] * spec.count, negative_prompt=[spec.negative_prompt] * spec.count,
                            num_inference_steps=spec.steps, guidance_scale=spec.cfg, generator=generators,
                            callback_on_step_end=on_step_end, **extra)

        out = self._executor.submit(generate).result()
        method = {"txt2img": "text-to-image", "img2img": "image-to-image",
                  "inpaint": "inpainting with the inpainting checkpoint" if use_checkpoint else
                  "inpainting (masked image-to-image on the standard model; no inpainting checkpoint configured)"
                  }[spec.kind]
        return TextToImageOutput(images=list(out.images), seeds=seeds, device=self.device, method=method)

    def _diffusion_upscale(self, picture: Image.Image, spec: JobSpec, seeds: list[int]) -> TextToImageOutput:
        """The configured ×4 upscaler; for ×2 its ×4 result is resampled down by half."""
        import torch

        def generate() -> Any:
            with torch.inference_mode():
                return self.upscaler(prompt=[spec.prompt or "high quality, detailed"], image=[picture],
                                     num_inference_steps=max(spec.steps, 10), guidance_scale=0.0,
                                     generator=[torch.Generator("cpu").manual_seed(seeds[0])])

        big = self._executor.submit(generate).result().images[0]
        target = (picture.width * (spec.upscale or 4), picture.height * (spec.upscale or 4))
        note = "diffusion upscaler ×4"
        if big.size != target:
            big = big.resize(target, Image.Resampling.LANCZOS)
            note += f", resampled to ×{spec.upscale}"
        return TextToImageOutput([big], seeds, self.device, note)

    def run_batch(self, specs: list[JobSpec],
                  progresses: list[ProgressCallback | None]) -> list[TextToImageOutput | Exception]:
        """Several compatible text-to-image jobs (same size, steps, guidance, sampler) in one pipeline call; each
        job gets its own pictures back, in order. A job cancelled mid-way gets :class:`JobCancelled`, the rest go on.
        """
        import torch

        first = specs[0]
        seeds = [[(s.seed + i) % 2**32 for i in range(s.count)] for s in specs]
        generators = [torch.Generator("cpu").manual_seed(seed) for group in seeds for seed in group]
        cancelled: set[int] = set()

        def on_step_end(_pipe: Any, step: int, _t: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
            for n, progress in enumerate(progresses):
                if progress is not None and n not in cancelled:
                    try:
                        progress(step + 1, first.steps)
                    except JobCancelled:
                        cancelled.add(n)
            return kwargs

        def generate() -> Any:
            self.pipe.scheduler = self._scheduler(first.sampler)
            with torch.inference_mode():
                return self.pipe(prompt=[s.prompt for s in specs for _ in range(s.count)],
                                 negative_prompt=[s.negative_prompt for s in specs for _ in range(s.count)],
                                 num_inference_steps=first.steps, guidance_scale=first.cfg, width=first.width,
                                 height=first.height, generator=generators, callback_on_step_end=on_step_end)

        images = list(self._executor.submit(generate).result().images)
        results: list[TextToImageOutput | Exception] = []
        for n, (spec, group) in enumerate(zip(specs, seeds, strict=True)):
            mine, images = images[:spec.count], images[spec.count:]
            results.append(JobCancelled() if n in cancelled else
                           TextToImageOutput(mine, group, self.device, f"text-to-image (batch of {len(specs)})"))
        return results
