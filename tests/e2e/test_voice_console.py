"""`/imagine --voice PATH` at the console: the words of an audio file become the prompt, shown first."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from tests.e2e.test_console import console, png_lines
from tests.speech import spoken_wav


def test_imagine_with_a_voice_file(tmp_path: Path) -> None:
    clip = tmp_path / "prompt.wav"
    clip.write_bytes(spoken_wav("a lighthouse on a cliff at sunset"))
    out = console(tmp_path, "/accept", f"/imagine --voice {clip} --seed 3", f"/imagine --voice {tmp_path}/none.wav",
                  "/imagine --voice /dev/zero")
    heard = next(line for line in out if line.startswith("I heard: "))
    assert "lighthouse" in heard.lower().replace(" ", ""), heard  # espeak-ng 1.51 is heard as "light house"
    (picture,) = png_lines(out)
    with Image.open(picture) as im:
        assert im.text["Prompt"] == heard.removeprefix("I heard: ")  # type: ignore[attr-defined]
        assert im.text["Seed"] == "3"  # type: ignore[attr-defined]
    refusals = out[out.index(picture) + 1:]
    assert any("none.wav" in line for line in refusals), refusals  # a missing file: one sentence
    assert any("not a regular file" in line or "/dev/zero" in line for line in refusals), refusals
