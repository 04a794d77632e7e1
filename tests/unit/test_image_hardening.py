"""Pictures built to slip past the check or to exhaust the machine: every frame, every background, bombs refused from
the header, and untrusted paths read only as bounded regular files."""

from __future__ import annotations

import io
import os
import struct
import time
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from safety.image_check import ImageChecker, Thresholds, load_image_checker
from safety.image_input import (
    CHECKABLE_FORMATS,
    MAX_FRAMES,
    BadImage,
    UnreadableFile,
    open_untrusted,
    open_untrusted_picture,
    read_untrusted_file,
)
from safety.verdict import Decision

# A 6x6 colour grid found by hill-climbing open_nsfw's score: no content at all, yet the real classifier scores it
# ~0.97, so the tests can show a real "block" without shipping an explicit picture.
BAIT_HEX = ("c09994c59e72cb5c81e28b87d28d9fe83a64b88a71cda5b0711f3ce39390d1876cdc6bbeb67174c28383e199a8c58c91cc5f79bc99"
            "51d87433c47672cb79909a8a3ed07544ff9886baad56d16f4ad66c6cc566c1e36b75ad9a33ffae75965c509a784eef85da8983d8ac"
            "7d8b")
MiB = 1024 * 1024


def bait(size: int = 224) -> Image.Image:
    return Image.frombytes("RGB", (6, 6), bytes.fromhex(BAIT_HEX)).resize((size, size), Image.Resampling.BICUBIC)


def hidden_bait() -> Image.Image:
    """RGBA whose raw colours the classifier finds harmless but which shows the bait on a white background."""
    shown = np.asarray(bait()).astype(float)
    alpha = 1 - shown.min(axis=2, keepdims=True) / 255  # the least alpha that can still reach every colour
    raw = ((shown - (1 - alpha) * 255) / alpha).clip(0, 255)
    return Image.fromarray(np.concatenate([raw, alpha * 255], axis=2).round().astype(np.uint8), "RGBA")


def flat(colour: tuple[int, int, int], size: int = 224) -> Image.Image:
    return Image.new("RGB", (size, size), colour)


def encode(frames: Sequence[Image.Image], fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    extra = {"lossless": True} if fmt == "WEBP" else {}
    frames[0].save(buf, format=fmt, save_all=True, append_images=list(frames[1:]), duration=100, loop=0, **extra)
    return buf.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bomb_png(width: int = 1, height: int = 39_000_000) -> bytes:
    """A grey PNG whose rows are all zero: ~80 KB on disk per 39 million rows, gigabytes once decoded."""
    packer = zlib.compressobj(9)
    row_block = b"\0" * (width + 1) * 100_000  # filter byte + one byte a pixel, 100,000 rows at a time
    idat = b"".join(packer.compress(row_block) for _ in range(height // 100_000))
    idat += packer.compress(b"\0" * (width + 1) * (height % 100_000)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def claim_frames(apng: bytes, claimed: int) -> bytes:
    """The same APNG with its acTL chunk claiming another number of frames."""
    at = apng.index(b"acTL") - 4
    plays = apng[at + 12:at + 16]
    end = at + 20  # length, type, 8 bytes of body, CRC
    return apng[:at] + png_chunk(b"acTL", struct.pack(">I", claimed) + plays) + apng[end:]


class StructureClassifier:
    """Scores a picture by how much is drawn on it: flat is 0, half black and half white is 1. Enough to tell what
    the checker looked at."""

    name, version = "structure", "1"

    def nsfw_scores(self, images: Sequence[Image.Image]) -> list[float]:
        return [min(1.0, float(np.asarray(im.convert("L"), dtype=float).std()) / 100) for im in images]


@pytest.fixture(scope="module")
def real_checker() -> ImageChecker:
    checker = load_image_checker(Thresholds())
    assert isinstance(checker, ImageChecker)
    return checker


# --- every frame ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_the_worst_frame_of_an_animation_decides(fmt: str, real_checker: ImageChecker) -> None:
    frames = [flat((40, 90, 200)), flat((30, 160, 60)), bait(), flat((120, 120, 120))]
    data = encode(frames, fmt)
    assert real_checker.check([open_untrusted(data)])[0].decision is Decision.ALLOW  # the first frame alone passes
    picture = open_untrusted_picture(data)
    verdict = real_checker.check_frames(picture.frames)
    assert len(picture.frames) == 4
    assert verdict.decision is Decision.BLOCK and verdict.scores["nsfw"] >= 0.8
    assert "frame 3 of 4" in verdict.evidence


def test_every_gif_frame_is_judged() -> None:
    half = Image.new("L", (64, 64), 0)
    half.paste(255, (0, 0, 32, 64))
    frames = [Image.new("RGB", (64, 64), (g, g, g)) for g in (40, 80)] + [half.convert("RGB")]
    picture = open_untrusted_picture(encode(frames, "GIF"), formats={"PNG", "GIF"})
    verdict = ImageChecker(StructureClassifier(), Thresholds()).check_frames(picture.frames)
    assert verdict.decision is Decision.BLOCK and "frame 3 of 3" in verdict.evidence


def test_gif_stays_refused_as_a_generation_input() -> None:
    with pytest.raises(BadImage, match="is GIF; send PNG, JPEG or WebP"):
        open_untrusted_picture(encode([flat((1, 2, 3), 16)], "GIF"))


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "GIF"])
def test_an_animation_over_the_frame_limit_is_refused_and_one_at_it_is_checked(fmt: str) -> None:
    frames = [flat((i * 3, 255 - i * 3, 0), 16) for i in range(MAX_FRAMES + 1)]
    with pytest.raises(BadImage, match=f"more than {MAX_FRAMES} frames; longer animations are not checked"):
        open_untrusted_picture(encode(frames, fmt), formats=CHECKABLE_FORMATS)
    at_limit = open_untrusted_picture(encode(frames[:MAX_FRAMES], fmt), formats=CHECKABLE_FORMATS)
    assert len(at_limit.frames) == MAX_FRAMES


@pytest.mark.parametrize("claimed", [1, 2, 1000])
def test_an_animation_must_hold_the_frames_its_header_claims(claimed: int) -> None:
    # A decoder that trusts a claim of fewer frames never shows the rest to the check, while a lenient viewer may.
    apng = encode([flat((40, 90, 200)), flat((30, 160, 60)), bait()])
    assert len(open_untrusted_picture(apng).frames) == 3
    for opener in (open_untrusted, open_untrusted_picture):
        with pytest.raises(BadImage, match=f"claims {claimed} animation frame.s. but holds 3; refused as damaged"):
            opener(claim_frames(apng, claimed))


def test_an_animation_with_too_many_pixels_in_all_is_refused() -> None:
    frames = [flat((i * 40, 0, 0), 64) for i in range(5)]
    with pytest.raises(BadImage, match="animation too large to check"):
        open_untrusted_picture(encode(frames), max_decoded_pixels=64 * 64 * 4)


# --- every background -------------------------------------------------------------------------------------------

def test_content_hidden_behind_transparency_is_judged_as_it_is_shown(real_checker: ImageChecker) -> None:
    buf = io.BytesIO()
    hidden_bait().save(buf, format="PNG")
    assert real_checker.check([open_untrusted(buf.getvalue())])[0].decision is Decision.ALLOW  # raw colours pass
    picture = open_untrusted_picture(buf.getvalue())
    verdict = real_checker.check_frames(picture.frames)
    assert verdict.decision is Decision.BLOCK and "on a white background" in verdict.evidence


@pytest.mark.parametrize("frames", [1, 2])
def test_colours_under_clear_pixels_are_judged_too(frames: int, real_checker: ImageChecker) -> None:
    # Invisible on any background, yet any editor that drops the alpha channel shows it. 600 px: animation frames
    # are shrunk, which must not blank the colours of clear pixels.
    clear = bait(600).convert("RGBA")
    clear.putalpha(0)
    data = encode([flat((40, 90, 200), 600).convert("RGBA")] * (frames - 1) + [clear])
    verdict = real_checker.check_frames(open_untrusted_picture(data).frames)
    assert verdict.decision is Decision.BLOCK and "with its transparency removed" in verdict.evidence


def _alpha_pictures(ink: int) -> list[Image.Image]:
    """Flat ``ink`` colour everywhere; only the alpha channel draws (left half opaque, right half clear)."""
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (0, 0, 32, 64))
    rgba = Image.new("RGBA", (64, 64), (ink, ink, ink, 255))
    rgba.putalpha(mask)
    la = Image.new("LA", (64, 64), (ink, 255))
    la.putalpha(mask)
    palette = Image.new("P", (64, 64), 1)
    palette.putpalette([ink, ink, ink] * 2)
    palette.paste(0, (0, 0, 32, 64))
    palette.info["transparency"] = 1
    return [rgba, la, palette]


@pytest.mark.parametrize(("ink", "shown_on"), [(0, "white"), (255, "black")])
@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_both_backgrounds_are_judged(ink: int, shown_on: str, mode: str) -> None:
    (image,) = [im for im in _alpha_pictures(ink) if im.mode == mode]
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    checker = ImageChecker(StructureClassifier(), Thresholds())
    assert checker.check([open_untrusted(buf.getvalue())])[0].decision is Decision.ALLOW  # flat without the alpha
    verdict = checker.check_frames(open_untrusted_picture(buf.getvalue()).frames)
    assert verdict.decision is Decision.BLOCK
    assert verdict.evidence == (f"on a {shown_on} background",)


# --- bombs ------------------------------------------------------------------------------------------------------

def test_a_strip_bomb_is_refused_from_its_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "strip.png"
    path.write_bytes(bomb_png())
    assert path.stat().st_size < 200_000

    def no_decoding(self: ImageFile.ImageFile) -> None:
        raise AssertionError("the bomb was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    started = time.perf_counter()
    for opener in (open_untrusted, open_untrusted_picture):
        with pytest.raises(BadImage, match=r"strip.png claims to be 1x39000000 pixels.*8192 pixels a side"):
            opener(path)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(("width", "height"), [(9000, 2), (7000, 7000)])
def test_side_and_pixel_limits_come_from_the_header(width: int, height: int) -> None:
    header_only = (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                   + png_chunk(b"IEND", b""))
    with pytest.raises(BadImage, match=f"{width}x{height} pixels, over the limit of 8192 pixels a side and 40 mega"):
        open_untrusted(header_only)


def test_a_picture_at_the_side_limit_opens() -> None:
    buf = io.BytesIO()
    Image.new("L", (8192, 2), 128).save(buf, format="PNG")
    assert open_untrusted(buf.getvalue()).size == (8192, 2)


# --- untrusted paths --------------------------------------------------------------------------------------------

def _paths(tmp_path: Path) -> dict[str, Path]:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.png"
    folder.mkdir()
    paths = {"zero": Path("/dev/zero"), "fifo": fifo, "folder": folder, "missing": tmp_path / "missing.png"}
    for kind, target in list(paths.items()):
        link = tmp_path / f"link-to-{kind}.png"
        link.symlink_to(target)
        paths[f"link-{kind}"] = link
    return paths


@pytest.mark.timeout(20)
@pytest.mark.parametrize(("kind", "says"), [
    ("zero", "not a regular file"), ("fifo", "not a regular file"), ("folder", "is a folder"),
    ("missing", "there is no such file"), ("link-zero", "not a regular file"), ("link-fifo", "not a regular file"),
    ("link-folder", "is a folder"), ("link-missing", "there is no such file"),
])
def test_only_regular_files_are_read(tmp_path: Path, kind: str, says: str) -> None:
    path = _paths(tmp_path)[kind]
    for opener in (open_untrusted, open_untrusted_picture):
        with pytest.raises(UnreadableFile, match=says) as caught:
            opener(path)
        message = str(caught.value)
        assert isinstance(caught.value, ValueError) and message.startswith(path.name)
        assert message.endswith(".") and "\n" not in message


def test_the_size_limit_counts_bytes_read_not_what_stat_says() -> None:
    maps = Path("/proc/self/maps")  # a regular file whose stat size is 0 however much it holds
    if not maps.is_file() or maps.stat().st_size != 0:
        pytest.skip("needs Linux /proc")
    with pytest.raises(UnreadableFile, match="larger than the 16 bytes limit"):
        open_untrusted(maps, max_bytes=16)


def test_at_most_one_byte_past_the_limit_is_read(tmp_path: Path, bytes_read: list[int]) -> None:
    big = tmp_path / "big.png"
    with big.open("wb") as handle:
        handle.truncate(8 * MiB)  # sparse: nothing big is written to disk
    with pytest.raises(UnreadableFile):
        read_untrusted_file(big, max_bytes=MiB)
    assert sum(bytes_read) == MiB + 1


def test_the_size_message_names_the_limit_in_its_unit(tmp_path: Path) -> None:
    big = tmp_path / "huge.png"
    with big.open("wb") as handle:
        handle.truncate(20 * MiB + 1)
    with pytest.raises(UnreadableFile) as caught:
        open_untrusted(big)
    assert str(caught.value) == "huge.png is larger than the 20 MiB limit for pictures."
    with pytest.raises(UnreadableFile, match="larger than the 20 MiB limit"):
        open_untrusted(b"\0" * (20 * MiB + 1))
