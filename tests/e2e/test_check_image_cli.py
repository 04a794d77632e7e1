"""`muralist safety check-image` on whatever an operator may point it at: one line per path, never a hang or a
traceback, a non-zero exit when any path could not be checked."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from PIL import Image

from tests.unit.test_image_hardening import bait, bomb_png, encode, flat, hidden_bait

ROOT = Path(__file__).resolve().parents[2]


def check_image(*paths: Path) -> subprocess.CompletedProcess[str]:
    # 60 s: a pipe or /dev/zero must be refused at once, not waited on; loading the classifier takes a few seconds.
    return subprocess.run([sys.executable, "-m", "bots.cli", "safety", "check-image", *map(str, paths)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, env=os.environ.copy())


def lines_of(proc: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_every_kind_of_path_gets_one_line(tmp_path: Path) -> None:
    good = tmp_path / "sky.png"
    Image.new("RGB", (512, 512), (90, 140, 220)).save(good)
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.png"
    folder.mkdir()
    notes = tmp_path / "notes.png"
    notes.write_text("not a picture")
    bomb = tmp_path / "strip.png"
    bomb.write_bytes(bomb_png())
    link = tmp_path / "zero-link.png"
    link.symlink_to("/dev/zero")
    paths = [folder, fifo, Path("/dev/zero"), tmp_path / "missing.png", notes, bomb, link, good]
    expected_errors = ["is a folder", "not a regular file", "not a regular file", "there is no such file",
                       "not a picture", "claims to be 1x39000000 pixels", "not a regular file"]

    proc = check_image(*paths)

    lines = lines_of(proc)
    assert [line["path"] for line in lines] == [str(p) for p in paths]
    for line, says in zip(lines, expected_errors, strict=False):
        error = str(line["error"])
        assert line["decision"] is None and says in error and error.endswith(".")
    sky = lines[-1]
    assert sky["decision"] == "allow" and 0 <= sky["scores"]["nsfw"] < 0.4 and sky["frames"] == 1
    assert proc.returncode == 1  # some paths could not be checked


def test_all_good_pictures_exit_zero(tmp_path: Path) -> None:
    good = tmp_path / "sky.png"
    Image.new("RGB", (256, 256), (90, 140, 220)).save(good)
    proc = check_image(good)
    assert proc.returncode == 0, proc.stderr
    (line,) = lines_of(proc)
    assert line["decision"] == "allow" and line["frames"] == 1


def test_the_worst_frame_and_the_worse_background_decide(tmp_path: Path) -> None:
    animation = tmp_path / "cartoon.png"
    animation.write_bytes(encode([flat((40, 90, 200)), flat((30, 160, 60)), bait(), flat((120, 120, 120))]))
    webp = tmp_path / "cartoon.webp"
    webp.write_bytes(encode([flat((40, 90, 200)), bait()], "WEBP"))
    hidden = tmp_path / "sticker.png"
    buf = io.BytesIO()
    hidden_bait().save(buf, format="PNG")
    hidden.write_bytes(buf.getvalue())

    proc = check_image(animation, webp, hidden)

    assert proc.returncode == 0, proc.stderr  # all checked; a block is a verdict, not a failure
    apng_line, webp_line, hidden_line = lines_of(proc)
    assert apng_line["decision"] == "block" and apng_line["frames"] == 4
    assert "frame 3 of 4" in apng_line["evidence"]
    assert webp_line["decision"] == "block" and "frame 2 of 2" in webp_line["evidence"]
    assert hidden_line["decision"] == "block" and "on a white background" in hidden_line["evidence"]
