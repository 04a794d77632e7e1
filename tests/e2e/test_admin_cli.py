"""A moderator's day at the terminal: ban, review, decide, export, stats — against the console's database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

MURALIST = Path(sys.executable).with_name("muralist")


def muralist(data: Path, *args: str, stdin: str = "", user: str | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [str(MURALIST), *args] if user is None else [str(MURALIST), *args, "--user", user]
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=240,
                          env={**os.environ, "MURALIST_DATA_DIR": str(data)})


def test_ban_review_export_and_stats(tmp_path: Path) -> None:
    first = muralist(tmp_path, "console", stdin="/accept\n/imagine a lighthouse at dusk\n", user="ada")
    assert first.returncode == 0, first.stderr
    job_id = next(line.split()[1] for line in first.stdout.splitlines() if line.startswith("Job "))

    # A member reports the picture; it waits in the review queue.
    report = muralist(tmp_path, "console", stdin=f"/accept\n/report {job_id} 1 looks wrong\n", user="bob")
    assert "reported" in report.stdout
    queue = muralist(tmp_path, "admin", "review")
    assert queue.returncode == 0 and f"job {job_id} picture 1" in queue.stdout
    ref = queue.stdout.split()[0]

    # The requester cannot judge their own case; another moderator can.
    own = muralist(tmp_path, "admin", "review", ref, "approve", "--as", "console:ada")
    assert own.returncode == 2 and "own case" in own.stderr and "Traceback" not in own.stderr
    decided = muralist(tmp_path, "admin", "review", ref, "remove", "--note", "off-topic", "--as", "console:bob")
    assert decided.returncode == 0 and "removed" in decided.stdout

    ban = muralist(tmp_path, "admin", "ban", "console:ada", "--for", "7d", "--reason", "repeated off-topic posts")
    assert ban.returncode == 0 and "banned until" in ban.stdout
    refused = muralist(tmp_path, "console", stdin="/imagine a fox\n", user="ada")
    assert "repeated off-topic posts" in refused.stdout and "until" in refused.stdout

    bad = muralist(tmp_path, "admin", "ban", "discord:nobody", "--for", "7d", "--reason", "x")
    assert bad.returncode == 2 and "No user" in bad.stderr
    negative = muralist(tmp_path, "admin", "grant", "console:ada", "--pictures", "-5")
    assert negative.returncode == 2 and "positive" in negative.stderr

    export = muralist(tmp_path, "admin", "export", str(tmp_path / "export"))
    assert export.returncode == 0, export.stderr
    (case,) = [json.loads(line) for line in (tmp_path / "export" / "cases.jsonl").read_text().splitlines()]
    assert case["label"] == "unsafe" and case["prompt"] == "a lighthouse at dusk" and case["note"] == "off-topic"
    assert (tmp_path / "export" / case["picture"]).is_file()

    stats = muralist(tmp_path, "admin", "stats", "--png", str(tmp_path / "stats.png"))
    assert stats.returncode == 0 and "jobs: done 1" in stats.stdout and (tmp_path / "stats.png").is_file()
    history = muralist(tmp_path, "admin", "history", "console:ada")
    assert "ban" in history.stdout and "repeated off-topic posts" in history.stdout
