"""/verify at the console and `muralist verify PATH…` for operators: a picture made here names its job; anything else
is "no mark from this service found"; both are recorded for the moderators."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from core.config import Settings
from core.storage.db import build_engine, session_factory
from core.storage.moderation_repo import SqlModerationRepository
from tests.e2e.test_console import MURALIST, console, png_lines
from tests.fakes import natural_picture


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """(data dir, job id, picture path): one picture made at the console by ada."""
    data_dir = tmp_path_factory.mktemp("verify")
    out = console(data_dir, "/accept", "/imagine a lighthouse at dusk --seed 3")
    (picture,) = png_lines(out)
    return data_dir, next(line.split()[1] for line in out if line.startswith("Job ")), picture


def test_console_verify_names_the_job_of_a_picture_made_here(made: tuple[Path, str, str], tmp_path: Path) -> None:
    data_dir, job_id, picture = made
    stranger = tmp_path / "photo.png"
    natural_picture(256, 7).save(stranger)

    out = console(data_dir, f"/verify {picture}", f"/verify {stranger}", "/verify", "/verify /etc/passwd")
    assert out[0].startswith(f"Made here: job {job_id}, picture 1, ") and out[0].endswith(", by ada.")
    assert out[1] == "No mark from this service found in this picture."
    assert out[2] == "Say which picture: /verify PATH."
    assert "cannot be opened" in out[3] or "not a picture" in out[3] or "PNG, JPEG" in out[3], out[3]


def test_operator_cli_verifies_files_and_the_checks_are_recorded(made: tuple[Path, str, str],
                                                                tmp_path: Path) -> None:
    data_dir, job_id, picture = made
    unmarked = tmp_path / "flat.png"
    Image.new("RGB", (256, 256), "white").save(unmarked)

    proc = subprocess.run([str(MURALIST), "verify", picture, str(unmarked), "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=240, env=dict(os.environ))
    lines = proc.stdout.splitlines()
    assert proc.returncode == 1, proc.stderr  # one of the files was not made here
    assert lines[0].startswith(f"{picture}: Made here: job {job_id}, picture 1, ") and "by ada." in lines[0]
    assert "user #" in lines[0] and "mark " in lines[0]  # the operator sees who, beyond the member's name
    assert lines[1] == f"{unmarked}: No mark from this service found in this picture."

    ok = subprocess.run([str(MURALIST), "verify", picture, "--data-dir", str(data_dir)],
                        capture_output=True, text=True, timeout=240, env=dict(os.environ))
    assert ok.returncode == 0, ok.stderr

    engine = build_engine(Settings(data_dir=data_dir))
    try:
        checks = SqlModerationRepository(session_factory(engine)).all_events(("verify",))
    finally:
        engine.dispose()
    by_operator = [(e.target_job_id, e.details["made_here"]) for e in checks if e.actor == "operator:cli"]
    assert by_operator == [(job_id, True), (None, False), (job_id, True)]
