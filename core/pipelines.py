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
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from core.model_builders import MINIATURE_VERSION, build_miniature, build_sd15_random
from core.params import DEFAULT_STYLE_STRENGTH
from core.progress import PreviewSource, ProgressCallback
from core.spec import JobSpec, Kind
from core.style_reference import StyleAdapter, StyleAdapterUnavailable, reference_picture

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


def gpu_memory() -> dict[tuple[str, str], float]:
    """CUDA memory of each visible GPU, {(device, kind): bytes} for the metrics; empty without CUDA (a CPU, or a
    torch that was never initialised on a GPU here: asking must not initialise it)."""
    import torch

    if not torch.cuda.is_available() or not torch.cuda.is_initialized():
        return {}
    sample: dict[tuple[str, str], float] = {}
    for index in range(torch.cuda.device_count()):
        device = f"cuda:{index}"
        sample[(device, "allocated")] = float(torch.cuda.memory_allocated(index))
        sample[(device, "peak")] = float(torch.cuda.max_memory_allocated(index))
        sample[(device, "reserved")] = float(torch.cuda.memory_reserved(index))
    return sample


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


Result = TextToImageOutput | Exception  # per job: its pictures, or why it has none (JobCancelled)


def _set_torch_threads(count: int | None) -> None:
    if count:
        import torch

        torch.set_num_threads(count)


def _seeds(spec: JobSpec) -> list[int]:
    return [(spec.seed + i) % 2**32 for i in range(spec.count)]


def _input_picture(spec: JobSpec) -> Image.Image:
    with Image.open(spec.image or "") as source:
        return source.convert("RGB").resize((spec.width, spec.height), Image.Resampling.LANCZOS)


def _preview_source(latents: Any, start: int, count: int) -> PreviewSource | None:
    """The preview of one job's pictures at this step, made only if the progress throttle asks for it."""
    if latents is None:
        return None

    def make() -> bytes | None:
        from core.preview import preview_jpeg

        return preview_jpeg(latents[start:start + count].detach().float().cpu().numpy())

    return make


class _Generation:
    """What the tasks of one loaded model share: one generation thread and the samplers.

    Why one thread: diffusers schedulers keep per-call state, so calls must not interleave; and torch's CPU thread
    pool is per calling thread, so alternating callers each spin up a pool that fights the other for the cores (we
    measured 2.5x slower). Worker threads hand the call to this thread and do their own post-processing (image
    check, PNG, database) while the next job generates.
    """

    def __init__(self, default_scheduler: Any, cpu_threads: int | None, style: StyleAdapter | None = None) -> None:
        self._default_scheduler = default_scheduler
        self.style = style  # the model's IP-Adapter (MURALIST_IP_ADAPTER), switched on for styled calls only
        self._schedulers: dict[str, Any] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="muralist-pipeline",
                                            initializer=_set_torch_threads, initargs=(cpu_threads,))

    def run(self, call: Callable[[], Any]) -> Any:
        return self._executor.submit(call).result()

    def styled(self, spec: JobSpec, pipe: Any) -> AbstractContextManager[Any]:
        """The IP-Adapter switched on for a job with a style reference (on the generation thread, around the call)."""
        if spec.style_image is None:
            return nullcontext()
        if self.style is None:
            raise RuntimeError("no IP-Adapter is configured for style references (MURALIST_IP_ADAPTER)")
        return self.style.active(pipe, spec.style_strength or DEFAULT_STYLE_STRENGTH)

    def scheduler(self, name: str) -> Any:
        """The sampler's scheduler, built once from the model's own scheduler config (whatever pipeline runs it)."""
        if name == "default":
            return self._default_scheduler
        if name not in self._schedulers:
            import diffusers

            self._schedulers[name] = getattr(diffusers, SCHEDULERS[name]).from_config(self._default_scheduler.config)
        return self._schedulers[name]


class _DiffusionTask:
    """A task run by a diffusers pipeline: one or more compatible jobs in one call, each getting its own pictures
    back, in order. A job cancelled mid-way gets :class:`JobCancelled`, the rest go on; when every job in the call
    is cancelled the call stops between steps."""

    method = ""

    def __init__(self, pipe: Any, generation: _Generation) -> None:
        self.pipe = pipe
        self.generation = generation

    def inputs(self, spec: JobSpec) -> dict[str, Any]:
        """The pipeline arguments this task adds: lists hold one entry per picture, anything else is per call."""
        return {}

    def run(self, specs: list[JobSpec], progresses: list[ProgressCallback | None]) -> list[Result]:
        import torch

        first = specs[0]
        seeds = [_seeds(spec) for spec in specs]
        extra: dict[str, Any] = {}
        for spec in specs:
            for key, value in self.inputs(spec).items():
                extra[key] = [*extra.get(key, []), *value] if isinstance(value, list) else value
        if first.style_image is not None:  # styled jobs run alone (core.batching): one reference per call
            extra["ip_adapter_image"] = reference_picture(first.style_image)
        cancelled: dict[int, JobCancelled] = {}
        starts = [sum(s.count for s in specs[:n]) for n in range(len(specs))]  # each job's first picture

        def on_step_end(_pipe: Any, step: int, _t: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
            for n, progress in enumerate(progresses):
                if progress is not None and n not in cancelled:
                    try:
                        progress(step + 1, first.steps,
                                 _preview_source(kwargs.get("latents"), starts[n], specs[n].count))
                    except JobCancelled as exc:
                        cancelled[n] = exc
            if len(cancelled) == len(specs):
                raise JobCancelled()  # nobody is waiting for these pictures: stop between steps
            return kwargs

        def generate() -> Any:
            self.pipe.scheduler = self.generation.scheduler(first.sampler)
            # CPU generators make a seed give the same picture on any device.
            generators = [torch.Generator("cpu").manual_seed(seed) for group in seeds for seed in group]
            with torch.inference_mode(), self.generation.styled(first, self.pipe):
                return self.pipe(prompt=[s.prompt for s in specs for _ in range(s.count)],
                                 negative_prompt=[s.negative_prompt for s in specs for _ in range(s.count)],
                                 num_inference_steps=first.steps, guidance_scale=first.cfg, generator=generators,
                                 callback_on_step_end=on_step_end, **extra)

        try:
            images = list(self.generation.run(generate).images)
        except JobCancelled:
            return [cancelled[n] for n in range(len(specs))]
        method = self.method if len(specs) == 1 else f"{self.method} (batch of {len(specs)})"
        if first.style_image is not None:
            method += f" with a style reference picture (IP-Adapter, strength {first.style_strength:g})"
        results: list[Result] = []
        for n, (spec, group) in enumerate(zip(specs, seeds, strict=True)):
            mine, images = images[:spec.count], images[spec.count:]
            results.append(cancelled.get(n) or TextToImageOutput(mine, group, str(self.pipe.device), method))
        return results


class TextToImageTask(_DiffusionTask):
    method = "text-to-image"

    def inputs(self, spec: JobSpec) -> dict[str, Any]:
        return {"width": spec.width, "height": spec.height}


class ImageToImageTask(_DiffusionTask):
    method = "image-to-image"

    def inputs(self, spec: JobSpec) -> dict[str, Any]:
        return {"image": [_input_picture(spec)] * spec.count, "strength": spec.strength or 0.6}


class InpaintingTask(_DiffusionTask):
    def __init__(self, pipe: Any, generation: _Generation, checkpoint: bool) -> None:
        super().__init__(pipe, generation)
        self.method = "inpainting with the inpainting checkpoint" if checkpoint else \
            "inpainting (masked image-to-image on the standard model; no inpainting checkpoint configured)"

    def inputs(self, spec: JobSpec) -> dict[str, Any]:
        if spec.mask is not None:
            with Image.open(spec.mask) as picture:
                mask = picture.convert("L").resize((spec.width, spec.height), Image.Resampling.NEAREST)
        else:
            mask = box_mask(spec.width, spec.height, spec.box or (0, 0, spec.width, spec.height))
        return {"image": [_input_picture(spec)] * spec.count, "mask_image": [mask] * spec.count,
                "strength": spec.strength or 0.6, "width": spec.width, "height": spec.height}


class UpscalingTask:
    """The configured ×4 diffusion upscaler (for ×2 its result is resampled down by half), or, without one, Lanczos
    resampling."""

    def __init__(self, upscaler: Any, generation: _Generation) -> None:
        self.upscaler = upscaler
        self.generation = generation

    def run(self, specs: list[JobSpec], progresses: list[ProgressCallback | None]) -> list[Result]:
        return [self._one(spec) for spec in specs]

    def _one(self, spec: JobSpec) -> TextToImageOutput:
        import torch

        with Image.open(spec.image or "") as source:
            picture = source.convert("RGB")
        factor, seeds = spec.upscale or 2, _seeds(spec)
        if self.upscaler is None:
            return TextToImageOutput([resample_upscale(picture, factor)], seeds, "cpu",
                                     f"Lanczos resampling ×{spec.upscale} (no diffusion upscaler configured)")

        def generate() -> Any:
            with torch.inference_mode():
                return self.upscaler(prompt=[spec.prompt or "high quality, detailed"], image=[picture],
                                     num_inference_steps=max(spec.steps, 10), guidance_scale=0.0,
                                     generator=[torch.Generator("cpu").manual_seed(seeds[0])])

        big = self.generation.run(generate).images[0]
        target = (picture.width * factor, picture.height * factor)
        note = "diffusion upscaler ×4"
        if big.size != target:
            big = big.resize(target, Image.Resampling.LANCZOS)
            note += f", resampled to ×{spec.upscale}"
        return TextToImageOutput([big], seeds, str(self.upscaler.device), note)


class FaceRestoringTask:
    """The operator's face model (:mod:`core.faces`) over every face found in the input picture; the rest of the
    picture is returned untouched. Without a configured model the job fails with the reason (the front doors refuse
    /restore before that: :meth:`core.app.Muralist.restore`)."""

    def __init__(self, restorer: Any) -> None:
        self.restorer = restorer

    def run(self, specs: list[JobSpec], progresses: list[ProgressCallback | None]) -> list[Result]:
        return [self._one(spec) for spec in specs]

    def _one(self, spec: JobSpec) -> TextToImageOutput | Exception:
        if self.restorer is None:
            return RuntimeError("no face restorer is configured (MURALIST_FACE_RESTORER)")
        with Image.open(spec.image or "") as source:
            restored = self.restorer(source.convert("RGB"))
        faces = "no face found" if restored.faces == 0 else f"{restored.faces} face{'s' * (restored.faces > 1)}"
        return TextToImageOutput([restored.image], _seeds(spec), "cpu", f"face restorer ({faces})")


class TextToImage:
    """One loaded model per worker process and the four tasks it runs, sharing its modules and one generation
    thread: image-to-image (and inpainting without a checkpoint) are the same weights behind another diffusers
    pipeline, made with ``from_pipe``."""

    def __init__(self, pipe: Any, cpu_threads: int | None = None, inpainter: Any = None,
                 upscaler: Any = None, face_restorer: Any = None, style: StyleAdapter | None = None) -> None:
        from diffusers import StableDiffusionImg2ImgPipeline, StableDiffusionInpaintPipeline

        self.pipe = pipe
        generation = _Generation(pipe.scheduler, cpu_threads, style)

        def shared(cls: Any) -> Any:
            # from_pipe casts to the dtype it is given (float32 if none): the shared weights must keep theirs.
            variant = cls.from_pipe(pipe, dtype=pipe.dtype)
            variant.set_progress_bar_config(disable=True)
            return variant

        self.tasks: dict[Kind, TextToImageTask | ImageToImageTask | InpaintingTask | UpscalingTask
                         | FaceRestoringTask] = {
            "txt2img": TextToImageTask(pipe, generation),
            "img2img": ImageToImageTask(shared(StableDiffusionImg2ImgPipeline), generation),
            "inpaint": InpaintingTask(inpainter or shared(StableDiffusionInpaintPipeline), generation,
                                      checkpoint=inpainter is not None),
            "upscale": UpscalingTask(upscaler, generation),
            "restore": FaceRestoringTask(face_restorer),
        }

    @classmethod
    def load(cls, source: str, models_dir: Path, device: str = "auto", cpu_threads: int | None = None,
             low_memory: bool = False, inpaint_source: str | None = None,
             upscaler_source: str | None = None, face_restorer: Path | None = None,
             ip_adapter: str | None = None) -> TextToImage:
        from core.faces import FaceRestorer, RestorerUnavailable

        try:
            restorer = FaceRestorer(face_restorer, cpu_threads) if face_restorer else None
        except RestorerUnavailable as exc:
            raise ModelLoadError(f"the face restorer (MURALIST_FACE_RESTORER): {exc}") from None
        pipe = load_pipeline(source, models_dir, device, low_memory)
        try:  # before the pipelines made from this one (__init__): they then share its image encoder
            style = StyleAdapter.load(pipe, ip_adapter, models_dir, reoffload=low_memory and pick_device(device)
                                      == "cuda") if ip_adapter else None
        except StyleAdapterUnavailable as exc:
            raise ModelLoadError(f"the IP-Adapter (MURALIST_IP_ADAPTER) for the model {source!r}: {exc}") from None
        return cls(pipe, cpu_threads,
                   load_helper("inpaint", inpaint_source, models_dir, device) if inpaint_source else None,
                   load_helper("upscale", upscaler_source, models_dir, device) if upscaler_source else None,
                   restorer, style)

    @property
    def device(self) -> str:
        return str(self.pipe.device)

    def __call__(self, spec: JobSpec, progress: ProgressCallback | None = None) -> TextToImageOutput:
        (result,) = self.tasks[spec.kind].run([spec], [progress])
        if isinstance(result, Exception):
            raise result
        return result

    def run_batch(self, specs: list[JobSpec], progresses: list[ProgressCallback | None]) -> list[Result]:
        """Several compatible jobs of one kind (for text-to-image: same size, steps, guidance and sampler) in one
        call."""
        return self.tasks[specs[0].kind].run(specs, progresses)
