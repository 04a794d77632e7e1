"""Building models offline, from configs with seeded random weights: the miniature Stable Diffusion (and its
inpainting and ×4 upscaler variants, and an IP-Adapter shaped for its UNet) that the embedded default and the tests
use, and the full-size SD 1.5 architecture the GPU benchmark measures. torch/diffusers/transformers are imported
lazily, as in core.pipelines."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

MINIATURE_VERSION = "miniature-v2"
MINIATURE_SEED = 20221022
# IP-Adapter's usual layout (h94/IP-Adapter): the adapter weights and the CLIP image encoder beside them.
IP_ADAPTER_SUBFOLDER, IP_ADAPTER_WEIGHTS, IP_ADAPTER_ENCODER = "models", "ip-adapter_sd15.safetensors", "image_encoder"


class ModelBuildError(RuntimeError):
    pass


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
            raise ModelBuildError("the miniature tokenizer maps text to unknown tokens; transformers changed format")
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


def build_miniature_ip_adapter(dest: Path, unet_config: Path) -> Path:
    """IP-Adapter weights for the UNet whose ``config.json`` is ``unet_config`` (the miniature's), built into ``dest``
    (atomically) unless already there, in the layout operators download: ``models/ip-adapter_sd15.safetensors``
    (``image_proj.*``: the image embedding to four extra context tokens; ``ip_adapter.N.to_k_ip/to_v_ip``: a key and
    value projection for every cross-attention layer, numbered as diffusers numbers them) and ``models/image_encoder``
    (a tiny CLIPVisionModelWithProjection). Random weights: a reference changes the picture, but not into its style.
    Returns ``dest``."""
    if (dest / IP_ADAPTER_SUBFOLDER / IP_ADAPTER_WEIGHTS).is_file():
        return dest
    import torch
    from diffusers import UNet2DConditionModel
    from safetensors.torch import save_file
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    unet = UNet2DConditionModel.from_config(json.loads(unet_config.read_text(encoding="utf-8")))
    channels, cross = list(unet.config.block_out_channels), int(unet.config.cross_attention_dim)
    torch.manual_seed(MINIATURE_SEED)
    encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(
        hidden_size=32, intermediate_size=64, projection_dim=32, num_hidden_layers=2, num_attention_heads=4,
        image_size=32, patch_size=8))
    embed = encoder.config.projection_dim
    weights = {"image_proj.proj.weight": torch.randn(cross * 4, embed) * 0.2,
               "image_proj.proj.bias": torch.zeros(cross * 4),
               "image_proj.norm.weight": torch.ones(cross), "image_proj.norm.bias": torch.zeros(cross)}
    key = 1  # diffusers counts every attention layer and keeps the odd ones: the cross-attention (attn2) layers
    for name in unet.attn_processors:
        if name.endswith("attn1.processor"):
            continue
        block = int(name.split(".")[1]) if not name.startswith("mid_block") else -1
        hidden = channels[-1] if block < 0 else (channels[::-1] if name.startswith("up_blocks") else channels)[block]
        weights[f"ip_adapter.{key}.to_k_ip.weight"] = torch.randn(hidden, cross) * 0.2
        weights[f"ip_adapter.{key}.to_v_ip.weight"] = torch.randn(hidden, cross) * 0.2
        key += 2
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=dest.parent))
    try:
        encoder.save_pretrained(tmp / IP_ADAPTER_SUBFOLDER / IP_ADAPTER_ENCODER)
        save_file({k: v.contiguous() for k, v in weights.items()}, str(tmp / IP_ADAPTER_SUBFOLDER / IP_ADAPTER_WEIGHTS))
        (tmp / "MINIATURE.txt").write_text(f"{MINIATURE_VERSION} IP-Adapter: random weights\n")
        try:
            tmp.rename(dest)
        except OSError:  # another process finished first; theirs is identical
            if not (dest / IP_ADAPTER_SUBFOLDER / IP_ADAPTER_WEIGHTS).is_file():
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
