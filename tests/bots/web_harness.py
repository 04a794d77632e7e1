"""The moderation console served for real (uvicorn on 127.0.0.1, the embedded SQLite database) with cases made by
the real job runner (a fake pipeline and a scripted picture check decide which pictures land in review)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from bots.web.app import create_app
from core.config import Settings
from core.domain import Accepted, Decision, GenerationParams, Requester
from core.generation import JobRunner
from core.runtime import Runtime, build_web
from core.service import SystemClock
from core.storage.db import session_factory
from core.storage.images import LocalImageStore
from core.web_console import ModerationConsole
from core.worker_registry import WorkerRegistry
from tests.fakes import FakePipeline, ScriptedChecker

SECRET = "test-cookie-secret-" + "x" * 32


@dataclass
class Console:
    runtime: Runtime
    console: ModerationConsole
    settings: Settings
    url: str
    server: uvicorn.Server
    thread: threading.Thread
    heartbeat: threading.Event
    seed: list[int] = field(default_factory=lambda: [1])

    def case(self, author: Requester, prompt: str, *decisions: Decision) -> str:
        """A finished job of ``author`` whose pictures got ``decisions`` (REVIEW: it waits in the queue)."""
        self.runtime.app.accept_licence(author)
        self.seed[0] += 1
        outcome = self.runtime.app.imagine(author, GenerationParams(prompt, seed=self.seed[0], count=len(decisions)))
        assert isinstance(outcome, Accepted), outcome
        JobRunner(self.runtime.repo, FakePipeline(), ScriptedChecker(list(decisions)),
                  LocalImageStore(self.settings.images_dir), self.runtime.bus, SystemClock()).run(outcome.job_id)
        return outcome.job_id

    def link(self, member: str, *, chats: tuple[str, ...] = (), admin: bool = False) -> str:
        token = self.console.issue_link(member, admin=admin, chats=list(chats), issued_by="test")
        return f"{self.url}/login/{token}"

    def close(self) -> None:
        self.heartbeat.set()
        self.server.should_exit = True
        self.thread.join(10)
        self.runtime.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_console(data_dir: Path) -> Console:
    settings = Settings(data_dir=data_dir, rate_limit_jobs=1000, max_queued_jobs_per_user=50,
                        prompt_semantic=False)
    runtime, console = build_web(settings)
    # The console makes nothing; the cases below are made by a job runner in this process, standing for a worker.
    heartbeat = WorkerRegistry(session_factory(runtime.engine)).start_heartbeat("test-worker", [runtime.spec.name], 5)
    app = create_app(runtime.app, console, SECRET)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False,
                                          lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the console did not start"
        time.sleep(0.05)
    return Console(runtime, console, settings, f"http://127.0.0.1:{port}", server, thread, heartbeat)
