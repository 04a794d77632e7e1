"""The console's sign-in and scope rules in core, on the real repositories over a SQLite file and a fake clock:
links last ten minutes and work once, sessions end, and a picture is served only from the data dir's own folders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from core.config import Settings
from core.runtime import build_web_console
from core.storage.db import build_engine, session_factory
from core.storage.models import ImageRow, JobRow
from core.web_console import Grant, ModerationConsole
from safety.moderation import ModerationError
from tests.fakes import FakeClock


@pytest.fixture
def console(tmp_path: Path) -> Iterator[tuple[ModerationConsole, FakeClock, Settings]]:
    settings = Settings(data_dir=tmp_path)
    built, close = build_web_console(settings)
    clock = FakeClock()
    built.clock = clock
    yield built, clock, settings
    close()


def test_a_link_works_once_and_only_for_ten_minutes(console: tuple[ModerationConsole, FakeClock, Settings]) -> None:
    web, clock, _ = console
    first = web.issue_link("discord:42", admin=False, chats=["discord:900"], issued_by="test")
    clock.advance(minutes=9, seconds=59)
    signed = web.sign_in(first)
    assert signed is not None
    session_id, grant = signed
    assert grant.account == "discord:42" and grant.chats == frozenset({"discord:900"}) and not grant.admin
    assert web.sign_in(first) is None  # used
    late = web.issue_link("discord:42", admin=False, chats=["discord:900"], issued_by="test")
    clock.advance(minutes=10)
    assert web.sign_in(late) is None  # expired
    assert web.sign_in("x" * 43) is None and web.sign_in("") is None  # unknown

    assert web.session(session_id) == grant
    web.sign_out(session_id)
    assert web.session(session_id) is None


def test_a_session_ends_after_its_hours(console: tuple[ModerationConsole, FakeClock, Settings]) -> None:
    web, clock, _ = console
    signed = web.sign_in(web.issue_link("telegram:7", admin=True, chats=[], issued_by="test"))
    assert signed is not None
    clock.advance(hours=web.session_hours, seconds=-1)
    assert web.session(signed[0]) is not None
    clock.advance(seconds=1)
    assert web.session(signed[0]) is None


@pytest.mark.parametrize(("member", "admin", "chats", "says"), [
    ("discord:42", False, [], "--chat platform:chat_id"),
    ("discord:42", True, ["discord:1"], "--chat platform:chat_id"),
    ("discord:42", False, ["/etc/passwd"], "is not a chat"),
    ("42", True, [], "use platform:id"),
    ("discord:" + "9" * 200, True, [], "use platform:id"),
])
def test_a_link_says_what_it_is_for(console: tuple[ModerationConsole, FakeClock, Settings], member: str,
                                    admin: bool, chats: list[str], says: str) -> None:
    with pytest.raises(ModerationError, match=says):
        console[0].issue_link(member, admin=admin, chats=chats, issued_by="test")


def test_a_picture_is_served_only_from_the_data_dirs_folders(console: tuple[ModerationConsole, FakeClock, Settings],
                                                             tmp_path_factory: pytest.TempPathFactory) -> None:
    web, clock, settings = console
    inside = settings.images_dir / "ab" / "inside.png"
    outside = tmp_path_factory.mktemp("elsewhere") / "outside.png"
    for path in (inside, outside):
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 8)).save(path)
    signed = web.sign_in(web.issue_link("telegram:7", admin=False, chats=["telegram:100"], issued_by="test"))
    assert signed is not None
    user = signed[1].user_id
    engine = build_engine(settings)
    with session_factory(engine).begin() as s:
        for job_id, chat, path in (("inside1", "100", inside), ("outside1", "100", outside),
                                   ("otherchat1", "200", inside)):
            s.add(JobRow(id=job_id, user_id=user, platform="telegram", chat_id=chat, requester_external_id="7",
                         status="done", model="miniature", queue="q", prompt="p", seed=1, steps=1, width=8,
                         height=8, cfg=1.0, count=1, created_at=clock.now()))
            s.add(ImageRow(job_id=job_id, idx=0, seed=1, width=8, height=8, sha256="0" * 64, path=str(path),
                           decision="review", nsfw_score=0.5, created_at=clock.now()))
    engine.dispose()
    grant = signed[1]
    assert web.picture(grant, "inside1", 0) == inside.resolve()
    assert web.picture(grant, "outside1", 0) is None  # a path the database holds, but not under the data dir
    assert web.picture(grant, "otherchat1", 0) is None  # not this moderator's chat
    assert web.picture(grant, "../etc", 0) is None and web.picture(grant, "inside1", 1) is None
    assert web.picture(Grant(user, "telegram", "7", True, frozenset()), "otherchat1", 0) == inside.resolve()
    assert [c.job_id for c in web.queue(grant)] == ["inside1", "outside1"]  # the other chat's case is not listed
