"""An operator who supplies a signing certificate gets C2PA content credentials on every picture made at the console;
`/verify` and `muralist verify` report them and notice a picture changed after signing; a self-signed certificate
stops the console at start-up with one sentence that names the setting."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from PIL import Image

from tests.certificates import SIGNER_CN, write_signing_files
from tests.e2e.test_console import MURALIST, console, png_lines
from tests.unit.test_content_credentials import change_pixels


def signing_env(tmp_path: Path, kind: str = "good") -> dict[str, str]:
    files = write_signing_files(tmp_path / "pki", kind)
    return {"MURALIST_C2PA_CERT": str(files.cert), "MURALIST_C2PA_KEY": str(files.key)}


def test_pictures_made_at_the_console_carry_credentials_that_verify_reports(tmp_path: Path) -> None:
    env = signing_env(tmp_path)
    data_dir = tmp_path / "data"
    out = console(data_dir, "/accept", "/imagine a lighthouse at dusk --seed 3", env=env)
    (picture,) = png_lines(out)
    job_id = next(line.split()[1] for line in out if line.startswith("Job "))
    with Image.open(picture) as opened:
        assert opened.text["JobId"] == job_id  # type: ignore[attr-defined]  # the PNG text chunks stay
    changed = tmp_path / "changed.png"
    changed.write_bytes(change_pixels(Path(picture).read_bytes()))

    said = console(data_dir, f"/verify {picture}", f"/verify {changed}", env=env)
    assert said[0].startswith(f"Made here: job {job_id}, picture 1, ")
    assert said[0].endswith(f"by ada. Content credentials: signed by CN={SIGNER_CN}, made by muralist, job {job_id}.")
    assert said[1].endswith("no longer match it: the picture was changed after signing."), said[1]

    # The operator's command reads them too — with no certificate configured in its own environment.
    proc = subprocess.run([str(MURALIST), "verify", picture, str(changed), "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=240, env=dict(os.environ))
    lines = proc.stdout.splitlines()
    assert f"Content credentials: signed by CN={SIGNER_CN}, made by muralist, job {job_id}." in lines[0], proc.stderr
    assert "the picture was changed after signing" in lines[1]


def test_a_self_signed_certificate_stops_the_console_before_any_picture(tmp_path: Path) -> None:
    proc = subprocess.run([str(MURALIST), "console", "--data-dir", str(tmp_path / "data"), "--user", "ada"],
                          input="/accept\n/imagine a red fox\n", capture_output=True, text=True, timeout=240,
                          env={**os.environ, **signing_env(tmp_path, "self-signed")})
    assert proc.returncode != 0
    assert "The certificate in MURALIST_C2PA_CERT is self-signed" in proc.stderr
    assert "Traceback" not in proc.stderr and png_lines(proc.stdout.splitlines()) == []
