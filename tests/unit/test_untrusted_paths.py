"""Paths to pictures we did not make: special files are refused at once without reading a byte, reads stop at the
limit whatever the file claims or becomes, and any path gets one short sentence."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from safety.image_input import UnreadableFile, open_untrusted, open_untrusted_picture, read_untrusted_file

MiB = 1024 * 1024


def special_paths(tmp_path: Path) -> dict[str, Path]:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)  # no writer: opening it for reading the ordinary way waits forever
    folder = tmp_path / "folder.png"
    folder.mkdir()
    zero_link = tmp_path / "zero.png"
    zero_link.symlink_to("/dev/zero")
    fifo_link = tmp_path / "pipe-link.png"
    fifo_link.symlink_to(fifo)
    return {"/dev/zero": Path("/dev/zero"), "a FIFO": fifo, "a folder": folder, "a link to /dev/zero": zero_link,
            "a link to a FIFO": fifo_link}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", ["/dev/zero", "a FIFO", "a folder", "a link to /dev/zero", "a link to a FIFO"])
def test_special_files_are_refused_at_once_without_reading(tmp_path: Path, bytes_read: list[int], kind: str) -> None:
    path = special_paths(tmp_path)[kind]
    for opener in (open_untrusted, open_untrusted_picture):
        started = time.monotonic()
        with pytest.raises(UnreadableFile) as caught:
            opener(path)
        assert time.monotonic() - started < 2.0
        assert "folder" in str(caught.value) or "not a regular file" in str(caught.value)
    assert bytes_read == []


def run_briefly(call: Callable[[], object], seconds: float = 5.0) -> BaseException | None:
    """Runs ``call`` in a thread and returns what it raised; fails the test if it is still running after
    ``seconds`` (a hang), instead of hanging the suite."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            call()
            outcome.append(None)
        except BaseException as exc:  # handed to the test thread
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        return TimeoutError(f"still running after {seconds} s")
    return outcome[0]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("swapped_in", ["a FIFO", "/dev/zero"])
def test_a_special_file_swapped_in_after_the_check_is_refused_without_waiting_or_reading(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bytes_read: list[int], swapped_in: str) -> None:
    """stat says "a regular file", then the path is replaced: the open must not wait for a FIFO's writer, and what
    was opened is checked again before a byte is read."""
    target = special_paths(tmp_path)[swapped_in]
    decoy = tmp_path / "decoy.png"
    decoy.write_bytes(b"x")
    real_stat = os.stat

    def racing_stat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        return real_stat(decoy) if Path(str(path)) == target else real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", racing_stat)
    try:
        raised = run_briefly(lambda: read_untrusted_file(target))
    finally:
        if swapped_in == "a FIFO":  # a reader stuck in open() is released by a writer arriving
            with contextlib.suppress(OSError):  # ENXIO: nobody was waiting, the open did not block
                os.close(os.open(target, os.O_WRONLY | os.O_NONBLOCK))
    assert isinstance(raised, UnreadableFile) and "not a regular file" in str(raised), raised
    assert bytes_read == []


@pytest.mark.timeout(30)
def test_a_file_that_grows_as_it_is_read_stops_one_byte_past_the_limit(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A file someone keeps appending to (a log, a download in progress): as long as each read finds more, an
    opener that reads to the end never stops."""
    growing = tmp_path / "growing.png"
    growing.write_bytes(b"\x89PNG\r\n\x1a\n")
    seen: list[int] = []
    real_read = os.read

    def read_while_it_grows(fd: int, n: int) -> bytes:
        with growing.open("ab") as writer:
            writer.write(b"\0" * MiB)
        chunk = real_read(fd, n)
        seen.append(len(chunk))
        return chunk

    monkeypatch.setattr(os, "read", read_while_it_grows)
    with pytest.raises(UnreadableFile, match="larger than the 4 MiB limit"):
        read_untrusted_file(growing, max_bytes=4 * MiB)
    assert sum(seen) == 4 * MiB + 1


@pytest.mark.parametrize("name", ["a\x00b.png", "\ud800.png", "two\nlines.png", "x" * 100_000])
def test_any_path_a_chat_message_can_hold_gets_one_short_sentence(name: str) -> None:
    with pytest.raises(UnreadableFile) as caught:
        open_untrusted(Path(name))
    message = str(caught.value)
    assert message.endswith(".") and "\n" not in message and len(message) < 200
    message.encode("utf-8")  # printable anywhere: no lone surrogate in it
