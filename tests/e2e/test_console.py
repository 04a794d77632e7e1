"""Drive `muralist console` through stdin, as a user (or a script) would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

MURALIST = Path(sys.executable).with_name("muralist")


def console(data_dir: Path, *lines: str, env: dict[str, str] | None = None, user: str = "ada") -> list[str]:
    proc = subprocess.run(
        [str(MURALIST), "console", "--data-dir", str(data_dir), "--user", user],
        input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=240,
        env={**os.environ, **(env or {})},
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc.stdout.splitlines()


def png_lines(out: list[str]) -> list[str]:
    return [line for line in out if line.endswith(".png")]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("console")


def test_first_session_licence_then_picture_then_quota(data_dir: Path) -> None:
    out = console(data_dir, "/imagine a red fox in the snow", "/license", "/accept",
                  "/imagine a red fox in the snow --seed 11", "/quota", "/history")
    assert "/license" in out[0] and "/accept" in out[0]  # refused before accepting
    assert any("CreativeML Open RAIL-M" in line for line in out)
    pictures = png_lines(out)
    assert len(pictures) == 1
    path = Path(pictures[0])
    assert path.is_absolute() and path.is_file()
    with Image.open(path) as im:
        assert im.size == (128, 128)
        assert im.text["Prompt"] == "a red fox in the snow" and im.text["Seed"] == "11"  # type: ignore[attr-defined]
        assert im.text["AI-Generated"] == "true"  # type: ignore[attr-defined]
    assert any(line.startswith("Used 1 of 25 pictures today; 24 left") for line in out)
    assert any("done" in line and "a red fox in the snow" in line for line in out)


def test_bad_input_gets_sentences_and_costs_nothing(data_dir: Path) -> None:
    out = console(data_dir, "/accept", "/imagine", "/imagine x --size 7x7", "/imagine x --steps 1000000",
                  "/imagine x --seed abc", "/imagine x --foo 1", "/imagine " + "y" * 1200, "/bogus", "hello",
                  "/imagine a naked woman", "/quota", user="bea")
    assert png_lines(out) == []
    for needle in ("empty", "multiple of 8", "Steps must be", "whole number", "Unknown option --foo",
                   "limit is 1000", "Unknown command /bogus", "slash", "blocked by the content rules"):
        assert any(needle in line for line in out), needle
    assert out[-1].startswith("Used 0 of 25 pictures today")


def test_daily_quota_gives_three_pictures_and_two_refusals(tmp_path: Path) -> None:
    out = console(tmp_path, "/accept", *["/imagine a lighthouse at dusk"] * 5,
                  env={"MURALIST_QUOTA_DAILY_IMAGES": "3"})
    assert len(png_lines(out)) == 3
    assert sum("daily quota" in line for line in out) == 2


def test_worker_refuses_to_start_without_the_image_check(tmp_path: Path) -> None:
    proc = subprocess.run([str(MURALIST), "console", "--data-dir", str(tmp_path)], input="/accept\n",
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "MURALIST_IMAGE_MODEL_PATH": str(tmp_path / "missing.onnx")})
    assert proc.returncode == 2
    assert "image safety check is unavailable" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_image_to_image_variations_and_upscale_from_the_console(tmp_path: Path) -> None:
    first = console(tmp_path, "/accept", "/imagine a lighthouse --seed 2")
    (picture,) = png_lines(first)
    job_id = next(line.split()[1] for line in first if line.startswith("Job "))
    out = console(tmp_path, f"/imagine a lighthouse at night --image {picture} --strength 0.7",
                  f"/upscale {job_id} --factor 2", f"/variations {job_id}", "/styles", "/upscale nowhere.png")
    made = png_lines(out)
    assert len(made) == 4  # one image-to-image, one upscale, two variations
    with Image.open(made[1]) as big:
        assert big.size == (256, 256)
    assert any("Lanczos resampling" in line for line in out)
    assert any(line.startswith("watercolor") for line in out)
    assert out[-1] == "nowhere.png: there is no such file."


def test_two_models_from_the_registry(tmp_path: Path) -> None:
    env = {"MURALIST_MODELS": '[{"name": "mini-b", "source": "miniature", "default_size": 64}]',
           "MURALIST_WORKER_MODELS": '["miniature", "mini-b"]'}
    out = console(tmp_path, "/accept", "/models", "/imagine a kite --model mini-b", "/imagine a kite --model nope",
                  env=env)
    (picture,) = png_lines(out)
    with Image.open(picture) as im:
        assert im.size == (64, 64) and im.text["Model"] == "mini-b"  # type: ignore[attr-defined]
    assert any(line.startswith("mini-b") for line in out)
    assert any("There is no model 'nope'" in line for line in out)
