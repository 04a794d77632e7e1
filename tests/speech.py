"""Spoken test clips, synthesised on the spot with espeak-ng (installed by .ci/run): no recording ships in the
repository."""

from __future__ import annotations

import io
import subprocess
import wave

import numpy as np


def spoken_wav(text: str) -> bytes:
    """``text`` read aloud by espeak-ng, as WAV bytes."""
    return subprocess.run(["espeak-ng", "-s", "140", "--stdout", text], capture_output=True, check=True,
                          timeout=60).stdout


def as_voice_note(wav: bytes) -> bytes:
    """WAV bytes re-encoded the way Telegram voice notes come: Opus in Ogg, 48 kHz mono."""
    import av

    out = io.BytesIO()
    with av.open(io.BytesIO(wav)) as source, av.open(out, mode="w", format="ogg") as target:
        stream = target.add_stream("libopus", rate=48000, layout="mono")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
        for frame in source.decode(source.streams.audio[0]):
            for converted in resampler.resample(frame):
                target.mux(stream.encode(converted))
        for converted in resampler.resample(None):
            target.mux(stream.encode(converted))
        target.mux(stream.encode(None))
    return out.getvalue()


def silence_wav(seconds: float, rate: int = 16_000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.zeros(int(seconds * rate), dtype=np.int16).tobytes())
    return buf.getvalue()
