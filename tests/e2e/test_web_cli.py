"""`muralist web` and `muralist admin web-login` as an operator runs them (README, "Moderation web console"): a
link from one command signs a browser into the other, once; the sign-in token never reaches the log."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

MURALIST = Path(sys.executable).with_name("muralist")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sign_in_through_the_commands(data: Path, extra_env: dict[str, str] | None = None) -> None:
    """The README's commands on the database the environment names; asserts what an operator would see."""
    port = _free_port()
    env = {**os.environ, "MURALIST_DATA_DIR": str(data), "MURALIST_WEB_BASE_URL": f"http://127.0.0.1:{port}",
           **(extra_env or {})}
    issued = subprocess.run([str(MURALIST), "admin", "web-login", "console:mo", "--admin"], capture_output=True,
                            text=True, timeout=240, env=env)
    assert issued.returncode == 0, issued.stderr
    link = issued.stdout.split()[-1]
    token = link.rsplit("/", 1)[1]
    refused = subprocess.run([str(MURALIST), "admin", "web-login", "console:mo"], capture_output=True, text=True,
                             timeout=240, env=env)
    assert refused.returncode == 2 and "--chat platform:chat_id" in refused.stderr

    server = subprocess.Popen([str(MURALIST), "web", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "muralist web did not start"
                time.sleep(0.5)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as browser:
            assert browser.get("/").status_code == 401
            assert "Sign in" in browser.get(link).text  # looking at the link does not use it
            signed_in = browser.post("/login", data={"token": token}, follow_redirects=True)
            assert signed_in.status_code == 200 and "Review queue" in signed_in.text
            assert browser.get("/audit").status_code == 200
            chart = browser.get("/charts/jobs.svg")
            assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as other:
            assert other.post("/login", data={"token": token}).status_code == 400  # once only
            # The probes every process answers, here beside the pages (no sign-in: a load balancer asks them).
            assert other.get("/healthz").status_code == 200
            ready = other.get("/readyz")
            assert ready.status_code == 200 and ready.json()["failing"] == [], ready.text
            assert "muralist_jobs_submitted_total" in other.get("/metrics").text
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    log = (data / "muralist.log").read_text(encoding="utf-8") if (data / "muralist.log").exists() else ""
    assert "GET /login/…" in log and token not in log


def test_web_login_and_web_on_the_embedded_default(tmp_path: Path) -> None:
    sign_in_through_the_commands(tmp_path)
