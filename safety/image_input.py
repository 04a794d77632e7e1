"""Opening pictures we did not make (files to check, later img2img inputs) without trusting them.

Refuses with one clear sentence (:class:`BadImage`): anything that is not a regular file (folders, pipes, devices
such as ``/dev/zero``), files over the size limit (counted in bytes actually read, never trusting ``stat``), formats
outside the allow-list, pictures whose header claims more pixels than the limits (decompression bombs: refused before
a single row is decoded), animations with more frames than the limit, and truncated or corrupt files. Returns fresh
pixel copies, so EXIF and other metadata are gone.
"""

from __future__ import annotations

import errno
import io
import os
import stat
import struct
import unicodedata
import warnings
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = frozenset({"PNG", "JPEG", "WEBP"})
# The operator's check-image also scores GIFs (chat platforms are full of them); inputs for generation stay stricter.
CHECKABLE_FORMATS = ALLOWED_FORMATS | {"GIF"}
MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000  # ~6300x6300; far above any model's size, far below what a bomb decodes to
MAX_SIDE = 8192  # a 1 x 39,000,000 strip is under MAX_PIXELS yet decodes for seconds into gigabytes
MAX_FRAMES = 64
# Frames x canvas pixels over a whole animation, so 64 frames of a 40 MP canvas cannot cost minutes: 64 frames of
# ~1580x1580, or 4 frames at MAX_PIXELS.
MAX_DECODED_PIXELS = 160_000_000
# Frames to judge are kept this small: the classifier looks at 256x256, and 64 full-size frames would not fit.
FRAME_SIDE = 512
READ_CHUNK = 1024 * 1024
MAX_NAME_CHARS = 80  # of a file name quoted in a sentence

_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
# Only to name a refused format in the message; the bytes never reach those decoders.
_MAGIC = ((b"GIF87a", "GIF"), (b"GIF89a", "GIF"), (b"BM", "BMP"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"),
          (b"\x00\x00\x01\x00", "ICO"), (b"8BPS", "PSD"))


class BadImage(ValueError):
    """``str(exc)`` is a sentence safe to show the person who sent the file, in English (logs, the CLI); ``code`` and
    ``values`` name the same sentence in core's message catalogue (which this layer cannot import), so a chat says it
    in the member's language. Values ending in ``_code`` are themselves (code, values) of a catalogue part."""

    def __init__(self, sentence: str, code: str = "input", **values: object) -> None:
        super().__init__(sentence)
        self.code = code
        self.values: dict[str, object] = values if code != "input" else {"detail": sentence}

    def said(self) -> dict[str, object]:
        """The values of a catalogue ``Rejected("input", …)`` that says this sentence (``message`` picks the entry)."""
        return {"message": self.code, **self.values}


class UnreadableFile(BadImage):
    """The path is missing, not a regular file, unreadable, or over the size limit."""


@dataclass(frozen=True)
class UntrustedPicture:
    """Every frame of a picture (one for a still), RGB or RGBA where the picture has transparency, shrunk to at most
    :data:`FRAME_SIDE` a side for judging; ``width`` and ``height`` are the picture's own."""

    frames: tuple[Image.Image, ...]
    width: int
    height: int
    format: str


def format_size(n: int) -> str:
    """Binary units, whole where exact: 20 * 1024 * 1024 is "20 MiB", not "21 MB"."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n // scale} {unit}" if n % scale == 0 else f"{n / scale:.1f} {unit}"
    return "1 byte" if n == 1 else f"{n} bytes"


def read_untrusted_file(path: Path, *, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file, reading at most ``max_bytes + 1`` whatever ``stat`` claims; :class:`UnreadableFile`
    otherwise. Never blocks on a pipe and never reads a device."""
    name = display_name(path)
    try:
        # Looked at before opening: opening a device or a tape can itself do something.
        _require_regular(os.stat(path), name)
        # O_NONBLOCK: if a pipe was swapped in after the stat, opening it must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _unreadable(exc, name) from None
    except UnreadableFile:  # not a regular file (it is a ValueError too)
        raise
    except ValueError:  # a NUL byte or a lone surrogate in the path (a chat message can hold both): no file has it
        raise UnreadableFile(f"{name}: there is no such file.", "image_missing", name_code=_named(name)) from None
    try:
        _require_regular(os.fstat(fd), name)
        data = read_at_most(fd, max_bytes)
    except OSError as exc:
        raise _unreadable(exc, name) from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise _too_big(name, max_bytes)
    return data


def read_at_most(fd: int, limit: int) -> bytes:
    """Up to ``limit + 1`` bytes from an open file, in chunks: the bound is what is actually read, never what the
    file claims (one byte past the limit tells the caller it is too large)."""
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = os.read(fd, min(READ_CHUNK, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def display_name(path: Path) -> str:
    """A file's name as a sentence may quote it: control characters (a newline in a name would forge a second line),
    lone surrogates (an undecodable name) and line separators shown as "?", and at most MAX_NAME_CHARS long."""
    name = "".join("?" if unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") else c for c in path.name or str(path))
    return name if len(name) <= MAX_NAME_CHARS else name[:MAX_NAME_CHARS - 1] + "…"


UPLOAD_NAME = "the picture"  # how a sentence names uploaded bytes (a file is named by its name)


def _named(name: str) -> tuple[str, dict[str, object]]:
    """The catalogue part that names the picture in a sentence: "the picture" for an upload, else the file's name."""
    return ("image_upload", {}) if name == UPLOAD_NAME else ("image_file", {"name": name})


def _formats(formats: Collection[str]) -> tuple[str, dict[str, object]]:
    """The catalogue part listing the formats a sentence asks for ("PNG, JPEG or WebP")."""
    names = _format_list(formats).rsplit(" or ", 1)
    return ("image_formats_either", {"first": names[0], "last": names[1]}) if len(names) == 2 else (
        "image_formats_one", {"last": names[0]})


def _require_regular(info: os.stat_result, name: str) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise UnreadableFile(f"{name} is a folder, not a picture file.", "image_folder", name_code=_named(name))
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFile(f"{name} is not a regular file (a device, pipe or socket); only picture files are read.",
                             "image_not_regular", name_code=_named(name))


def _unreadable(exc: OSError, name: str) -> UnreadableFile:
    if exc.errno == errno.ENOENT:
        return UnreadableFile(f"{name}: there is no such file.", "image_missing", name_code=_named(name))
    if exc.errno in (errno.EACCES, errno.EPERM):
        return UnreadableFile(f"{name} cannot be read: permission denied.", "image_denied", name_code=_named(name))
    if exc.errno == errno.EISDIR:
        return UnreadableFile(f"{name} is a folder, not a picture file.", "image_folder", name_code=_named(name))
    reason = str(exc.strerror or exc)
    return UnreadableFile(f"{name} cannot be read ({reason}).", "image_unreadable", name_code=_named(name),
                          reason=reason)


def _too_big(name: str, max_bytes: int) -> UnreadableFile:
    size = format_size(max_bytes)
    return UnreadableFile(f"{name} is larger than the {size} limit for pictures.", "image_over_size",
                          name_code=_named(name), size=size)


def _load_source(source: Path | bytes, max_bytes: int) -> tuple[bytes, str]:
    if isinstance(source, Path):
        return read_untrusted_file(source, max_bytes=max_bytes), display_name(source)
    if len(source) > max_bytes:
        raise _too_big(UPLOAD_NAME, max_bytes)
    return source, UPLOAD_NAME


def _open_checked(data: bytes, name: str, formats: Collection[str], max_pixels: int,
                  max_side: int) -> ImageFile.ImageFile:
    """Parses the header only, with only the allowed decoders, and refuses oversized pictures before any decoding."""
    try:
        probe = Image.open(io.BytesIO(data), formats=sorted(formats))
    except UnidentifiedImageError:
        known = next((fmt for magic, fmt in _MAGIC if data.startswith(magic)), None)
        if known:
            raise BadImage(f"{name} is {known}; send {_format_list(formats)}.", "image_wrong_format",
                           name_code=_named(name), known=known, formats_code=_formats(formats)) from None
        raise BadImage(f"{name} is not a picture ({_format_list(formats)}).", "image_not_picture",
                       name_code=_named(name), formats_code=_formats(formats)) from None
    if probe.format not in formats:  # a JPEG factory may hand back a multi-picture MPO
        probe.close()
        known = probe.format or "an unknown format"
        raise BadImage(f"{name} is {known}; send {_format_list(formats)}.", "image_wrong_format",
                       name_code=_named(name), known=known, formats_code=_formats(formats))
    if probe.format == "PNG":
        claimed, present = _apng_frame_counts(data)
        if claimed is not None and present != claimed:
            probe.close()
            # Fewer claimed: decoders that trust the count stop early, so the frames past it would go unjudged while
            # a lenient viewer may show them. More claimed: the decoder fails past the last frame. Either is damage.
            raise BadImage(f"{name} claims {claimed} animation frame(s) but holds {present}; refused as damaged.",
                           "image_frames_mismatch", name_code=_named(name), claimed=claimed, present=present)
    width, height = probe.size
    if width > max_side or height > max_side or width * height > max_pixels:
        probe.close()
        megapixels = f"{max_pixels / 1e6:g}"
        raise BadImage(f"{name} claims to be {width}x{height} pixels, over the limit of {max_side} pixels a side and "
                       f"{megapixels} megapixels; refused without decoding (a possible decompression bomb).",
                       "image_too_many_pixels", name_code=_named(name), width=width, height=height,
                       max_side=max_side, megapixels=megapixels)
    return probe


def _apng_frame_counts(data: bytes) -> tuple[int | None, int]:
    """(frames the acTL chunk claims, fcTL frame headers present), from the chunk headers alone."""
    pos, claimed, present = 8, None, 0
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"acTL" and length >= 8 and claimed is None:
            claimed = int.from_bytes(data[pos + 8:pos + 12], "big")
        elif kind == b"fcTL":
            present += 1
        elif kind == b"IEND":
            break
        pos += 12 + length
    return claimed, present


def _format_list(formats: Collection[str]) -> str:
    order = {"PNG": 0, "JPEG": 1, "WEBP": 2, "GIF": 3}
    names = [{"WEBP": "WebP"}.get(f, f) for f in sorted(formats, key=lambda f: (order.get(f, 9), f))]
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


def _guarded(data: bytes, name: str, formats: Collection[str], max_pixels: int, max_side: int,
             read: Callable[[ImageFile.ImageFile, str], UntrustedPicture]) -> UntrustedPicture:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with _open_checked(data, name, formats, max_pixels, max_side) as probe:
                return read(probe, name)
    except BadImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadImage(f"{name} decodes to an enormous picture (a decompression bomb); refused.", "image_bomb",
                       name_code=_named(name)) from None
    except Exception as exc:  # any decoder failure on untrusted bytes means a damaged file, never a crash
        raise BadImage(f"{name} is damaged or truncated and cannot be opened ({exc}).", "image_damaged",
                       name_code=_named(name), reason=str(exc)) from None


def _first_frame(probe: ImageFile.ImageFile, name: str) -> UntrustedPicture:
    probe.load()
    return UntrustedPicture((_fresh(_upright(probe, "RGB")),), *probe.size, probe.format or "")


def _every_frame(probe: ImageFile.ImageFile, name: str, *, max_frames: int,
                 max_decoded_pixels: int) -> UntrustedPicture:
    width, height = probe.size
    frames: list[Image.Image] = []
    while True:
        if (len(frames) + 1) * width * height > max_decoded_pixels:
            megapixels = f"{max_decoded_pixels / 1e6:g}"
            raise BadImage(f"{name} is an animation too large to check (over {megapixels} megapixels across its "
                           "frames).", "image_animation_too_large", name_code=_named(name), megapixels=megapixels)
        probe.load()
        # Shrunk at once, so only one full-size frame is ever held however many follow.
        frames.append(_fresh(_shrunk(_upright(probe, _mode_for(probe)))))
        try:
            # Counted by frames that really decode: the header's frame count is only the sender's claim.
            probe.seek(len(frames))
        except EOFError:
            break
        if len(frames) >= max_frames:
            raise BadImage(f"{name} has more than {max_frames} frames; longer animations are not checked.",
                           "image_too_many_frames", name_code=_named(name), max_frames=max_frames)
    return UntrustedPicture(tuple(frames), width, height, probe.format or "")


def _upright(image: Image.Image, mode: str) -> Image.Image:
    converted = image.convert(mode)  # a copy, so turning it in place leaves the decoder's canvas alone
    ImageOps.exif_transpose(converted, in_place=True)  # honour the camera's rotation before dropping EXIF
    return converted


def _shrunk(frame: Image.Image) -> Image.Image:
    scale = FRAME_SIDE / max(frame.size)
    if scale >= 1:
        return frame
    size = (max(1, round(frame.width * scale)), max(1, round(frame.height * scale)))
    if frame.mode != "RGBA":
        return frame.resize(size, Image.Resampling.BOX)
    # Colour and alpha apart: Pillow's RGBA resize premultiplies, which would blank the colours of clear pixels,
    # and those are judged too.
    return Image.merge("RGBA", (*frame.convert("RGB").resize(size, Image.Resampling.BOX).split(),
                                frame.getchannel("A").resize(size, Image.Resampling.BOX)))


def _mode_for(image: Image.Image) -> str:
    transparent = image.mode in _ALPHA_MODES or "transparency" in image.info or (
        image.mode == "P" and image.palette is not None and image.palette.mode.endswith("A"))
    return "RGBA" if transparent else "RGB"


def _fresh(image: Image.Image) -> Image.Image:
    # Rebuilt from pixels alone: no EXIF (location, camera), no ICC profile, no text chunks.
    fresh = Image.new(image.mode, image.size)
    fresh.paste(image)
    return fresh


def open_untrusted(source: Path | bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS,
                   max_side: int = MAX_SIDE) -> Image.Image:
    """The first frame as a fresh RGB picture (what a generation input uses), or :class:`BadImage`."""
    data, name = _load_source(source, max_bytes)
    return _guarded(data, name, ALLOWED_FORMATS, max_pixels, max_side, _first_frame).frames[0]


def open_untrusted_picture(source: Path | bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS,
                           max_side: int = MAX_SIDE, max_frames: int = MAX_FRAMES,
                           max_decoded_pixels: int = MAX_DECODED_PIXELS,
                           formats: Collection[str] = ALLOWED_FORMATS) -> UntrustedPicture:
    """Every frame, transparency kept, for judging what a viewer may see; or :class:`BadImage`."""
    data, name = _load_source(source, max_bytes)
    read = partial(_every_frame, max_frames=max_frames, max_decoded_pixels=max_decoded_pixels)
    return _guarded(data, name, formats, max_pixels, max_side, read)
