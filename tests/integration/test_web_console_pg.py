"""The moderation console on PostgreSQL: migrated with `muralist db upgrade`, signed into with a link from
`muralist admin web-login`, its pages (the audit log's and the dashboard's SQL included) served by `muralist web`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.test_web_cli import sign_in_through_the_commands

MURALIST = Path(sys.executable).with_name("muralist")


def test_web_console_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    env = {"MURALIST_DATABASE_URL": pg_url}
    migrated = subprocess.run([str(MURALIST), "db", "upgrade"], capture_output=True, text=True, timeout=240,
                              env={**os.environ, **env, "MURALIST_DATA_DIR": str(tmp_path)})
    assert migrated.returncode == 0, migrated.stderr
    sign_in_through_the_commands(tmp_path, env)
