"""`muralist safety check-prompts`, `check-image` and `eval` on hostile input, through the real command as an operator
runs it: never a traceback, never a hang, one answer per request line or path, and exit codes from a small known set.

The hypothesis tests run few examples (each one starts the command, a few seconds), but each example is a whole batch
of odd lines or files, so one run covers many kinds of input at once."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from bots.safety_cli import MAX_LINE_BYTES

MURALIST = Path(sys.executable).with_name("muralist")
# Loading the filter takes a few seconds; a batch that takes much longer than this is a hang, not a slow machine.
PER_RUN_S = 60
FUZZ = settings(max_examples=4, deadline=None, database=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])


pytestmark = pytest.mark.usefixtures("in_a_scratch_folder")


def muralist(*args: str, stdin: bytes | int = b"") -> tuple[int, str, str, float]:
    started = time.monotonic()
    proc = subprocess.run([str(MURALIST), *args], input=stdin if isinstance(stdin, bytes) else None,
                          stdin=stdin if isinstance(stdin, int) else None, capture_output=True, timeout=PER_RUN_S,
                          env=os.environ.copy())
    out, err = (proc.stdout.decode("utf-8", "backslashreplace"), proc.stderr.decode("utf-8", "backslashreplace"))
    assert "Traceback" not in out + err, err
    return proc.returncode, out, err, time.monotonic() - started


def one_sentence(text: str) -> bool:
    return text.strip().endswith(".") and "\n" not in text.strip()


# --- check-prompts ---------------------------------------------------------------------------------------------

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                       max_size=3), max_leaves=8)
any_text = st.text(max_size=200)  # lone surrogates included: json.dumps writes them as \ud800 escapes
request = st.fixed_dictionaries({"id": json_values, "prompt": any_text},
                                optional={"negative_prompt": any_text | json_values, "extra": json_values})
lines = st.one_of(
    request.map(lambda r: json.dumps(r).encode()),  # valid JSON, odd values
    request.map(lambda r: json.dumps(r, ensure_ascii=False).encode("utf-8", "surrogatepass")),  # raw surrogates
    st.builds(lambda p, junk: json.dumps({"id": "raw", "prompt": p}).encode().replace(b"PLACE", junk),
              st.just("a PLACE fox"), st.binary(min_size=1, max_size=8)),  # invalid UTF-8 inside the prompt
    json_values.map(lambda v: json.dumps(v).encode()),  # JSON, but not a request
    st.binary(max_size=300),  # anything at all, NUL bytes included
    st.integers(1, 200_000).map(lambda d: b"[" * d + b"]" * d),  # nested far past Python's recursion limit
    st.sampled_from([b"", b" ", b"\r", b"\x00", b"{", b'{"prompt": "' + b"y" * 25_000 + b'"}',
                     b"x" * (MAX_LINE_BYTES + 7), b"9" * 5000]),
).map(lambda line: line.replace(b"\n", b" "))


def expected_answers(data: bytes) -> int:
    """Lines the command must answer: all but blank ones (as it reads them: undecodable bytes are not blank)."""
    return sum(1 for line in data.split(b"\n")
               if len(line) > MAX_LINE_BYTES or line.decode("utf-8", "surrogateescape").strip())


@pytest.mark.timeout(300)
@FUZZ
@given(st.lists(lines, min_size=1, max_size=25), st.booleans())
def test_check_prompts_answers_every_line_of_any_input(batch: list[bytes], rules_only: bool) -> None:
    data = b"\n".join([*batch, json.dumps({"id": "last", "prompt": "a red fox"}).encode()])
    code, out, err, took = muralist("safety", "check-prompts", *(["--rules-only"] if rules_only else []), stdin=data)
    assert code == 0 and err == "" and took < PER_RUN_S
    answers = [json.loads(line) for line in out.split("\n") if line]
    assert len(answers) == expected_answers(data)  # one per line, in order; a bad line never ends the batch
    for answer in answers:
        assert answer.get("decision") in ("allow", "review", "block") or one_sentence(answer["error"]), answer
    assert answers[-1]["id"] == "last" and answers[-1]["decision"] == "allow"


def test_the_bad_input_from_the_issue_gets_one_sentence_each_and_the_batch_goes_on() -> None:
    bad = [b'{"id": "surrogate", "prompt": "a fox \\ud800 in the snow"}',
           b'{"id": "utf8", "prompt": "n\xffude woman"}',  # the invalid byte must not hide the word
           b"[" * 100_000 + b"]" * 100_000,
           b'{"id": "nul", "prompt": "a\\u0000fox"}', b"\x00\x00\x00",
           b'{"id": "long", "prompt": "' + b"y" * 30_000 + b'"}', b"z" * (2 * MAX_LINE_BYTES),
           b'{"id": "fine", "prompt": "a lighthouse"}']
    code, out, err, _ = muralist("safety", "check-prompts", stdin=b"\n".join(bad) + b"\n")
    assert code == 0 and err == ""
    answers = [json.loads(line) for line in out.split("\n") if line]
    assert [a.get("decision") for a in answers] == ["allow", "block", None, "allow", None, None, None, "allow"]
    assert "nested too deeply" in answers[2]["error"] and "longer than 20000 characters" in answers[5]["error"]
    assert answers[5]["id"] == "long" and "longer than 1 MiB" in answers[6]["error"]


def test_an_endless_input_stops_with_one_sentence(tmp_path: Path) -> None:
    with open("/dev/zero", "rb") as zero:  # no line break, ever
        code, out, err, took = muralist("safety", "check-prompts", "--rules-only", stdin=zero.fileno())
    assert code == 2 and out == "" and one_sentence(err) and "without a line break" in err
    assert took < 30


def test_stdout_closed_early_is_not_a_traceback() -> None:
    """`muralist safety check-prompts < big.jsonl | head -1`."""
    proc = subprocess.Popen([str(MURALIST), "safety", "check-prompts", "--rules-only"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(b'{"prompt": "a fox"}\n' * 2000)
    proc.stdin.close()
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=PER_RUN_S) == 1 and "Traceback" not in err and "Exception ignored" not in err


# --- eval --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("content", "says"), [
    ("folder", "is a folder"), ("/dev/zero", "not a regular file"), ("fifo", "not a regular file"),
    ("missing", "No such file"), (b'{"prompt": "\xff", "expect": "allow"}\n', "not UTF-8"),
    (b"[" * 100_000 + b"]" * 100_000, "line 1: the JSON is nested too deeply"),
    (b'{"prompt": "a"}\n[1]\n', "line 1: each line needs"),
    (b'{"prompt": "a", "expect": "allow", "category": null}\n', "'category' must be a string"),
])
def test_eval_refuses_a_bad_split_with_one_sentence(tmp_path: Path, content: str | bytes, says: str) -> None:
    split = tmp_path / "split.jsonl"
    if content == "folder":
        split.mkdir()
    elif content == "fifo":
        os.mkfifo(split)  # no writer: reading it the ordinary way would wait forever
    elif content == "/dev/zero":
        split = Path("/dev/zero")
    elif isinstance(content, bytes):
        split.write_bytes(content)
    code, out, err, took = muralist("safety", "eval", "--rules-only", str(split))
    assert code == 2 and out == "" and one_sentence(err) and says in err and took < 30, err


# --- check-image -------------------------------------------------------------------------------------------------

def _encoded(fmt: str, frames: int = 1) -> bytes:
    pictures = [Image.new("RGB", (24, 16), (40 * i, 90, 200)) for i in range(frames)]
    buf = io.BytesIO()
    pictures[0].save(buf, format=fmt, save_all=frames > 1, append_images=pictures[1:])
    return buf.getvalue()


VALID = {fmt: _encoded(fmt) for fmt in ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")} | {"APNG": _encoded("PNG", 3)}


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """A real picture with bytes changed, cut short or grown: what reaches the decoders."""
    data = bytearray(VALID[draw(st.sampled_from(sorted(VALID)))])
    for _ in range(draw(st.integers(0, 6))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    cut = draw(st.integers(1, len(data)))
    return bytes(data[:cut]) + draw(st.binary(max_size=40))


entry = st.one_of(damaged(), st.binary(max_size=2000),
                  st.sampled_from(["folder", "fifo", "/dev/zero", "link to /dev/zero", "missing", "good"]))
names = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="/\x00"), min_size=1,
                max_size=40).filter(lambda n: n not in (".", "..") and len(n.encode()) < 200)


@pytest.mark.timeout(300)
@settings(FUZZ, max_examples=12)  # under a second each: the classifier loads fast
@given(st.lists(st.tuples(names, entry), min_size=1, max_size=8, unique_by=lambda t: t[0]))
def test_check_image_answers_every_path(files: list[tuple[str, bytes | str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, what in files:
            path = Path(tmp) / name
            if what == "folder":
                path.mkdir()
            elif what == "fifo":
                os.mkfifo(path)
            elif what == "/dev/zero":
                path = Path("/dev/zero")
            elif what == "link to /dev/zero":
                path.symlink_to("/dev/zero")
            elif what == "good":
                path.write_bytes(VALID["PNG"])
            elif isinstance(what, bytes):
                path.write_bytes(what)
            paths.append(path)  # "missing": never created
        code, out, err, took = muralist("safety", "check-image", *map(str, paths))
    assert took < PER_RUN_S and err == ""
    answers = [json.loads(line) for line in out.split("\n") if line]
    assert [a["path"] for a in answers] == [str(p) for p in paths]  # one line per path, in order
    for answer in answers:
        assert answer["decision"] in ("allow", "review", "block") or (
            answer["decision"] is None and one_sentence(answer["error"])), answer
    assert code == (1 if any("error" in a for a in answers) else 0)


# --- internal errors ---------------------------------------------------------------------------------------------

def test_an_internal_error_on_one_prompt_costs_that_prompt_only_and_its_traceback_goes_to_the_log(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from bots.safety_cli import safety_cli
    from safety.prompt_filter import PromptFilter

    real = PromptFilter.rule_signals

    def buggy(self: PromptFilter, prompt: str, negative: str) -> dict[str, set[str]]:
        if "trips a bug" in prompt:
            raise TypeError("a bug in the filter")
        return real(self, prompt, negative)

    monkeypatch.setattr(PromptFilter, "rule_signals", buggy)
    stdin = "".join(json.dumps({"id": i, "prompt": p}) + "\n" for i, p in enumerate(["a fox", "this trips a bug",
                                                                                      "a nude woman"]))
    result = CliRunner().invoke(safety_cli, ["check-prompts", "--rules-only"], input=stdin,
                                env={"MURALIST_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 0 and "Traceback" not in result.output
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a.get("decision") for a in answers] == ["allow", None, "block"]
    assert answers[1]["id"] == 1 and one_sentence(answers[1]["error"]) and "internal error (TypeError)" in \
        answers[1]["error"] and str(tmp_path / "muralist.log") in answers[1]["error"]
    logged = (tmp_path / "muralist.log").read_text()
    assert "Traceback (most recent call last)" in logged and "TypeError: a bug in the filter" in logged


def test_an_internal_error_that_stops_a_command_is_one_sentence_and_a_logged_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    import bots.safety_cli
    from bots.safety_cli import safety_cli

    def broken(rules_only: bool) -> None:
        raise RuntimeError("the rules folder is unreadable")

    monkeypatch.setattr(bots.safety_cli, "_prompt_filter", broken)
    result = CliRunner().invoke(safety_cli, ["check-prompts"], input="{}\n", env={"MURALIST_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2 and result.stdout == "" and one_sentence(result.stderr)
    assert "internal error (RuntimeError: the rules folder is unreadable); the traceback is in" in result.stderr
    assert "RuntimeError: the rules folder is unreadable" in (tmp_path / "muralist.log").read_text()
