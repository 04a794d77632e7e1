"""Diffusers pipelines for the worker. torch and diffusers are imported here only, and lazily, so bot processes
start fast and never touch CUDA.

The default model is a *miniature* Stable Diffusion: the real StableDiffusionPipeline with a tiny UNet, VAE, CLIP text
encoder and a byte-level tokenizer, built from small configs with seeded random weights and cached on disk. Every
stage of the real pipeline runs; the pictures are noise.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from core.params import ResolvedParams

log = logging.getLogger(__name__)

# transformers warns at import about optional image backends we do not use; keep operators' terminals clean.
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

MINIATURE_VERSION = "miniature-v2"
MINIATURE_SEED = 20221022


class ModelLoadError(RuntimeError):
    pass


# The pipeline takes exactly the validated parameters (core.params.check_params's output).
TextToImageInput = ResolvedParams


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


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte → printable-character table, which CLIP's BPE tokenizer is built on."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return dict(zip(printable, map(chr, chars), strict=True))


def _write_tokenizer_files(folder: Path) -> tuple[Path, Path, dict[str, int]]:
    """A byte-level CLIP tokenizer with no merges: every character is a token, so any text (emoji, CJK) encodes."""
    vocab: dict[str, int] = {}
    for ch in _bytes_to_unicode().values():
        vocab[ch] = len(vocab)
    for ch in _bytes_to_unicode().values():
        vocab[ch + "</w>"] = len(vocab)
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    return folder / "vocab.json", folder / "merges.txt", vocab


def build_miniature(dest: Path, variant: str = "txt2img") -> Path:
    """Build the miniature SD into ``dest`` (atomically) unless it is already there. Returns ``dest``.

    ``variant``: "txt2img" (the default model), "inpaint" (a 9-channel inpainting UNet, like SD's inpainting
    checkpoints) or "upscale" (a ×4 upscaler shaped like stable-diffusion-x4-upscaler)."""
    if (dest / "model_index.json").is_file():
        return dest
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=dest.parent))
    try:
        vocab_file, _merges_file, vocab = _write_tokenizer_files(tmp / "_tok")
        # from_pretrained on the folder works with both the file-based (transformers 4) and the tokenizers-backed
        # (transformers 5) CLIPTokenizer, whose constructors differ.
        tokenizer = CLIPTokenizer.from_pretrained(str(vocab_file.parent), model_max_length=77)
        if len(set(tokenizer("a red fox").input_ids)) < 5:
            raise ModelLoadError("the miniature tokenizer maps text to unknown tokens; transformers changed format")
        torch.manual_seed(MINIATURE_SEED)
        text_encoder = CLIPTextModel(CLIPTextConfig(
            vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_attention_heads=4, num_hidden_layers=2,
            max_position_embeddings=77, projection_dim=32, bos_token_id=vocab["<|startoftext|>"],
            eos_token_id=vocab["<|endoftext|>"], pad_token_id=vocab["<|endoftext|>"]))
        in_channels = {"txt2img": 4, "inpaint": 9, "upscale": 7}[variant]
        unet = UNet2DConditionModel(
            sample_size=16, in_channels=in_channels, out_channels=4, layers_per_block=1, block_out_channels=(32, 64),
            num_class_embeds=1000 if variant == "upscale" else None,  # the upscaler is told its noise level
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
            cross_attention_dim=32, norm_num_groups=8, attention_head_dim=8)
        # Four blocks, like SD's VAE, so latents are 1/8 of the picture and sizes follow SD's multiple-of-8 rule.
        blocks = 3 if variant == "upscale" else 4  # the ×4 upscaler's VAE has three blocks: latents are 1/4
        vae = AutoencoderKL(
            in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(8, 16, 16, 16)[:blocks],
            layers_per_block=1, down_block_types=("DownEncoderBlock2D",) * blocks,
            up_block_types=("UpDecoderBlock2D",) * blocks, norm_num_groups=8, sample_size=128)
        scheduler = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                           num_train_timesteps=1000, steps_offset=1)
        pipe: Any
        if variant == "upscale":
            from diffusers import DDPMScheduler, StableDiffusionUpscalePipeline

            pipe = StableDiffusionUpscalePipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                                  low_res_scheduler=DDPMScheduler(), scheduler=scheduler,
                                                  max_noise_level=350)
        else:
            from diffusers import StableDiffusionInpaintPipeline

            cls = StableDiffusionInpaintPipeline if variant == "inpaint" else StableDiffusionPipeline
            pipe = cls(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler,
                       safety_checker=None, feature_extractor=None, requires_safety_checker=False)
        shutil.rmtree(tmp / "_tok")
        pipe.save_pretrained(tmp)
        (tmp / "MINIATURE.txt").write_text(f"{MINIATURE_VERSION}: random weights, pictures are noise\n")
        try:
            tmp.rename(dest)
        except OSError:  # another process finished first; theirs is identical
            if not (dest / "model_index.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def build_sd15_random() -> Any:
    """The full-size Stable Diffusion 1.5 architecture (UNet 860M, VAE, CLIP ViT-L/14 text encoder) from its published
    configuration with random weights: GPU speed can be measured without downloading a checkpoint. Pictures are
    noise. Built in memory (about 4 GB in fp32), never saved."""
    import torch
    from diffusers import AutoencoderKL, PNDMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    with tempfile.TemporaryDirectory() as folder:
        _write_tokenizer_files(Path(folder))
        tokenizer = CLIPTokenizer.from_pretrained(folder, model_max_length=77)
    torch.manual_seed(MINIATURE_SEED)
    text_encoder = CLIPTextModel(CLIPTextConfig(vocab_size=49408, hidden_size=768, intermediate_size=3072,
                                                num_hidden_layers=12, num_attention_heads=12,
                                                max_position_embeddings=77, hidden_act="quick_gelu"))
    unet = UNet2DConditionModel(sample_size=64, in_channels=4, out_channels=4, layers_per_block=2,
                                block_out_channels=(320, 640, 1280, 1280), cross_attention_dim=768,
                                attention_head_dim=8)
    vae = AutoencoderKL(in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(128, 256, 512, 512),
                        layers_per_block=2, down_block_types=("DownEncoderBlock2D",) * 4,
                        up_block_types=("UpDecoderBlock2D",) * 4, sample_size=512)
    scheduler = PNDMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                              num_train_timesteps=1000, skip_prk_steps=True, steps_offset=1)
    return StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                   scheduler=scheduler, safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)


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

    def __call__(self, spec: TextToImageInput, progress: ProgressCallback | None = None) -> TextToImageOutput:
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

    def _diffusion_upscale(self, picture: Image.Image, spec: TextToImageInput, seeds: list[int]) -> TextToImageOutput:
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

    def run_batch(self, specs: list[TextToImageInput],
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
