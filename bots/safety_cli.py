"""`muralist safety …`: the safety layer from a terminal or a script (JSON lines in, JSON lines out).

Bad input never ends in a traceback. In a batch, a bad line gets an error line with one sentence and the lines after
it are still judged; a command that cannot run at all says why in one sentence on stderr and exits 2. An internal
error (a bug, not bad input) is told in one sentence too, and its traceback goes to the log file under the data dir.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import math
import os
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO, ParamSpec, TypeVar

import click
import typer

if TYPE_CHECKING:
    from core.config import Settings
    from safety.prompt_filter import PromptFilter

safety_cli = typer.Typer(no_args_is_help=True, help="Check prompts and pictures; evaluate the prompt filter.")

BATCH = 256
# A prompt is at most 20,000 characters (safety.prompt_filter.MAX_CHARS); even with both prompts escaped as \uXXXX a
# request line stays far below this.
MAX_LINE_BYTES = 1024 * 1024
# Skipping an overlong line stops here: stdin from /dev/zero (or any stream without line breaks) is not JSON lines.
MAX_UNBROKEN_BYTES = 64 * MAX_LINE_BYTES
MAX_EVAL_BYTES = 256 * 1024 * 1024  # a labelled split; the shipped ones are a few hundred KiB
READ_CHUNK = 1024 * 1024

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


class InputError(Exception):
    """The command cannot go on; ``str(exc)`` is one sentence for the operator."""


def _one_line(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _log_traceback(command: str, exc: BaseException) -> Path | None:
    """The traceback of an internal error, to the log file (the terminal gets one sentence); where it went, if it
    could be written."""
    try:
        from core.config import Settings
        from core.logs import LOG_FILE, file_handler

        settings = Settings()
        handler = file_handler(settings)
    except Exception:  # settings that do not parse, a read-only data dir: the sentence has to do
        return None
    try:
        log.addHandler(handler)
        log.error("muralist safety %s failed", command, exc_info=exc)
    finally:
        log.removeHandler(handler)
        handler.close()
    return settings.data_dir / LOG_FILE


def _no_traceback(command: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Whatever happens in ``command``, the operator reads one sentence on stderr, never a traceback."""

    def wrap(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return func(*args, **kwargs)
            except (typer.Exit, typer.Abort, click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
                raise  # typer's own exits and usage errors already speak for themselves
            except InputError as exc:
                raise _fail(str(exc)) from None
            except BrokenPipeError:
                raise  # the reader went away (`… | head`): click exits 1 quietly, as a pipeline expects
            except KeyboardInterrupt:
                raise _fail("Interrupted.", code=130) from None
            except Exception as exc:
                where = _log_traceback(command, exc)
                raise _fail(f"muralist safety {command} stopped on an internal error ({type(exc).__name__}: "
                            f"{_one_line(exc)})" + (f"; the traceback is in {where}." if where else ".")) from None

        return run

    return wrap


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def _prompt_filter(rules_only: bool) -> PromptFilter:
    from safety.encoder import EmbeddingUnavailable
    from safety.prompt_filter import PromptFilter

    try:
        return PromptFilter(semantic=not rules_only)
    except EmbeddingUnavailable as exc:
        raise InputError(f"The semantic stage is unavailable ({exc}); use --rules-only to run without it.") from None


def _verdict_json(case_id: Any, verdict: Any) -> dict[str, Any]:
    return {"id": case_id, "decision": verdict.decision.value, "categories": list(verdict.categories),
            "evidence": list(verdict.evidence), "scores": verdict.scores, "checker": verdict.checker,
            "checker_version": verdict.checker_version}


def _request_lines(stream: BinaryIO) -> Iterator[bytes | None]:
    """Each line of ``stream``, or None for one longer than MAX_LINE_BYTES (read no further than its end). Never
    holds more than MAX_LINE_BYTES of one line, whatever the stream is."""
    while True:
        line = stream.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        if line.endswith(b"\n") or len(line) <= MAX_LINE_BYTES:
            yield line
            continue
        skipped = len(line)
        while not line.endswith(b"\n"):
            line = stream.readline(READ_CHUNK)
            skipped += len(line)
            if not line:
                break
            if skipped > MAX_UNBROKEN_BYTES:
                raise InputError(f"The input has more than {MAX_UNBROKEN_BYTES // (1024 * 1024)} MiB without a line "
                                 "break; check-prompts reads JSON lines, one request per line.")
        yield None


class BadRequest(ValueError):
    """A request line that cannot be judged; ``str(exc)`` says why, ``case_id`` is its id if it had a usable one."""

    def __init__(self, why: str, case_id: Any = None) -> None:
        super().__init__(why)
        self.case_id = case_id


def _request(line: str, max_chars: int) -> tuple[Any, str, str]:
    """(id, prompt, negative prompt) from one JSON line, or :class:`BadRequest`."""
    try:
        item = json.loads(line)
    except RecursionError:  # json.loads recurses once per nesting level: 100,000 "[" is a RecursionError
        raise BadRequest("the JSON is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"not valid JSON ({exc.msg}, column {exc.colno})") from None
    except ValueError as exc:  # Python's limit on the digits of an integer (4,300)
        why = "a number with too many digits" if "digits" in str(exc) else _one_line(exc, 100)
        raise BadRequest(f"not valid JSON ({why})") from None
    if not isinstance(item, dict):
        raise BadRequest("each line must be a JSON object with a string 'prompt'")
    case_id = item.get("id")
    # Echoed back as it came: only values that print as one short JSON value (not a nested structure, not NaN).
    if not (case_id is None or isinstance(case_id, str | int)
            or (isinstance(case_id, float) and math.isfinite(case_id))):
        raise BadRequest("'id' must be a string, a number or null")
    if not isinstance(item.get("prompt"), str):
        raise BadRequest("each line must be a JSON object with a string 'prompt'", case_id)
    negative = item.get("negative_prompt") or ""
    if not isinstance(negative, str):
        raise BadRequest("'negative_prompt' must be a string", case_id)
    if max(len(item["prompt"]), len(negative)) > max_chars:
        # The filter reads at most this much; a verdict on the first part of a longer prompt would be a guess.
        raise BadRequest(f"the prompt is longer than {max_chars} characters and was not checked", case_id)
    return case_id, item["prompt"], negative


def _print_json(line: dict[str, Any]) -> None:
    text = json.dumps(line, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in an echoed id: escape rather than die mid-batch
        text = json.dumps(line)
    print(text, flush=True)


def _settings() -> Settings:
    from pydantic import ValidationError

    from core.config import Settings

    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "MURALIST_" + "__".join(str(part) for part in first["loc"]).upper()
        raise InputError(f"The setting {name} is invalid: {first['msg']}.") from None


def _read_input_file(path: Path, limit: int) -> bytes:
    """A regular file's bytes, at most ``limit``; a device, a pipe or a folder is refused before it is read."""
    from safety.image_input import display_name, read_at_most

    name = display_name(path)
    try:
        # Looked at before opening (opening a device can itself do something), and again after: the path may change.
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"{name} is {'a folder' if stat.S_ISDIR(mode) else 'not a regular file'}; give a JSON "
                             "lines file.")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(f"Cannot read {name}: {exc.strerror or exc}.") from None
    except ValueError:  # a NUL byte in the path
        raise InputError(f"Cannot read {name}: there is no such file.") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputError(f"{name} is not a regular file; give a JSON lines file.")
        data = read_at_most(fd, limit)
    except OSError as exc:
        raise InputError(f"Cannot read {name}: {exc.strerror or exc}.") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise InputError(f"{name} is larger than {limit // (1024 * 1024)} MiB.")
    return data


def _read_cases(path: Path) -> list[dict[str, Any]]:
    """The labelled cases of one split (see safety.evaluation), or InputError naming the first bad line."""
    from safety.image_input import display_name

    name = display_name(path)
    try:
        text = _read_input_file(path, MAX_EVAL_BYTES).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name} is not UTF-8 text (byte {exc.start}).") from None
    cases = []
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
        except RecursionError:
            raise InputError(f"{name}, line {n}: the JSON is nested too deeply.") from None
        except ValueError as exc:
            raise InputError(f"{name}, line {n}: not valid JSON ({_one_line(exc, 100)}).") from None
        if not isinstance(case, dict) or not isinstance(case.get("prompt"), str) \
                or case.get("expect") not in ("allow", "block"):
            raise InputError(f"{name}, line {n}: each line needs a string 'prompt' and 'expect' (allow or block).")
        if not isinstance(case.get("negative_prompt", ""), str):
            raise InputError(f"{name}, line {n}: 'negative_prompt' must be a string.")
        for key in ("id", "category", "lang", "technique"):  # printed in the table and counted by value
            if not isinstance(case.get(key, ""), str | int | float) or isinstance(case.get(key), bool):
                raise InputError(f"{name}, line {n}: '{key}' must be a string.")
        # As text: the table sorts categories and languages, and 5 and "5" would not sort together.
        cases.append({**case, **{k: str(case[k]) for k in ("category", "lang", "technique") if k in case},
                      "id": str(case.get("id", f"{name}:{n}"))})
    return cases


@safety_cli.command("check-prompts")
@_no_traceback("check-prompts")
def check_prompts(
    nsfw: Annotated[bool, typer.Option(help="Judge as in a context marked NSFW.")] = False,
    rules_only: Annotated[bool, typer.Option(help="Skip the semantic stage.")] = False,
) -> None:
    """JSON lines {"id", "prompt", "negative_prompt"} on stdin → {"id", "decision", "categories", …} on stdout,
    in input order. A malformed line gets {"id", "line", "error"} with one sentence and the rest go on."""
    from safety.prompt_filter import MAX_CHARS, Policy

    prompt_filter = _prompt_filter(rules_only)
    policy = Policy(nsfw_allowed=nsfw)
    pending: list[tuple[int, Any, str, str]] = []
    errors: dict[int, dict[str, Any]] = {}

    def judged(batch: list[tuple[int, Any, str, str]]) -> dict[int, dict[str, Any]]:
        try:
            verdicts = prompt_filter.check_many([(p, n) for _, _, p, n in batch], policy)
            return {n: _verdict_json(cid, v) for (n, cid, _, _), v in zip(batch, verdicts, strict=True)}
        except Exception as exc:  # a bug, not bad input: judge one by one, so only the prompt that trips it is lost
            if len(batch) == 1:
                where = _log_traceback("check-prompts", exc)
                n, cid = batch[0][:2]
                return {n: {"id": cid, "line": n + 1, "error": f"this prompt could not be checked: internal error "
                            f"({type(exc).__name__})" + (f"; the traceback is in {where}." if where else ".")}}
            return {k: v for item in batch for k, v in judged([item]).items()}

    def flush() -> None:
        lines = judged(pending) if pending else {}
        lines.update(errors)
        for n in sorted(lines):
            _print_json(lines[n])
        pending.clear()
        errors.clear()

    try:
        for n, raw in enumerate(_request_lines(sys.stdin.buffer)):
            if raw is None:
                errors[n] = {"id": None, "line": n + 1, "error": f"line {n + 1} is longer than "
                             f"{MAX_LINE_BYTES // (1024 * 1024)} MiB and was not read."}
            else:
                # Invalid UTF-8 becomes lone surrogates, which the filter drops: "n\xffude" is read as "nude", where
                # a replacement character would hide the word.
                line = raw.decode("utf-8", "surrogateescape")
                if not line.strip():
                    continue
                try:
                    pending.append((n, *_request(line, MAX_CHARS)))
                except BadRequest as exc:
                    errors[n] = {"id": exc.case_id, "line": n + 1, "error": f"line {n + 1}: {exc}."}
            if len(pending) + len(errors) >= BATCH:
                flush()
    except BrokenPipeError:  # stdout, not stdin: nobody is reading the verdicts any more
        raise
    except OSError as exc:  # stdin itself failed (EIO, a vanished mount): what was read still gets its verdicts
        flush()
        raise InputError(f"Cannot read the input: {exc.strerror or exc}.") from None
    except InputError:
        flush()
        raise
    flush()


@safety_cli.command("check-image")
@_no_traceback("check-image")
def check_image(paths: Annotated[list[Path], typer.Argument(help="PNG/JPEG/WebP/GIF files")],
                nsfw: Annotated[bool, typer.Option(help="Grade with the NSFW context's thresholds.")] = False) -> None:
    """Score pictures with the bundled NSFW classifier: one JSON line per path, with the decision and scores (every
    frame of an animation; transparent pictures on light and dark backgrounds) or a one-sentence error. Exits 1 if
    any path could not be checked."""
    from safety.image_check import ImageCheckUnavailable, Thresholds, load_image_checker
    from safety.image_input import CHECKABLE_FORMATS, BadImage, display_name, open_untrusted_picture

    settings = _settings()
    try:
        checker = load_image_checker(
            Thresholds(settings.image_review_threshold, settings.image_block_threshold),
            model_path=settings.image_model_path,
            by_context={"nsfw": Thresholds(settings.image_review_threshold_nsfw, settings.image_block_threshold_nsfw)})
    except ImageCheckUnavailable as exc:
        raise InputError(f"The image check is unavailable: {exc}") from None
    # A file name that is not valid UTF-8 must still print as one line, not end the run with an encoding error.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="backslashreplace")
    failed = False
    for path in paths:
        line: dict[str, Any] = {"path": str(path)}
        try:
            picture = open_untrusted_picture(path, formats=CHECKABLE_FORMATS)
            verdict = checker.check_frames(picture.frames, "nsfw" if nsfw else "default")
            line.update({"decision": verdict.decision.value, "scores": verdict.scores, "evidence": list(
                verdict.evidence), "width": picture.width, "height": picture.height, "frames": len(picture.frames),
                "checker": verdict.checker, "checker_version": verdict.checker_version})
        except BadImage as exc:
            line.update({"decision": None, "error": str(exc)})
        except Exception as exc:  # one odd file must not hide the verdicts on the paths after it
            where = _log_traceback("check-image", exc)
            line.update({"decision": None, "error": f"{display_name(path)} could not be checked (internal error: "
                         f"{type(exc).__name__}: {_one_line(exc)})" + (f"; the traceback is in {where}." if where
                                                                      else ".")})
        failed = failed or "error" in line
        print(json.dumps(line, ensure_ascii=False), flush=True)
    if failed:
        raise typer.Exit(1)


@safety_cli.command("eval")
@_no_traceback("eval")
def evaluate_file(
    files: Annotated[list[Path], typer.Argument(help="JSON lines with prompt, negative_prompt, expect (allow|block), "
                                                     "category, lang, technique")],
    rules_only: Annotated[bool, typer.Option(help="Skip the meaning stage.")] = False,
    cases: Annotated[bool, typer.Option(help="List every miss and false flag.")] = True,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the numbers as JSON.")] = None,
) -> None:
    """Recall (block or review counts as caught), false flags, minors/real person × sexual blocked in every context,
    by category and by language, as a table."""
    from safety.evaluation import evaluate

    # A bad line fails the whole run (naming the line) rather than being skipped: a skipped case would change the
    # figures without anyone noticing.
    loaded = [case for file in files for case in _read_cases(file)]
    report = evaluate(_prompt_filter(rules_only), loaded)
    print(report.table(show_cases=cases))
    if json_out:
        try:
            json_out.write_text(json.dumps({
                **report.summary(), "misses": [m["id"] for m in report.misses],
                "false_flags": [f["id"] for f in report.false_flags]}, indent=2))
        except OSError as exc:
            raise InputError(f"Cannot write {json_out}: {exc.strerror or exc}.") from None


@safety_cli.command("train")
@_no_traceback("train")
def train(
    dev: Annotated[list[Path] | None, typer.Option(help="The dev split(s): thresholds are chosen here, never on the "
                                                        "test split (default: tests/data's dev files).")] = None,
    out: Annotated[Path | None, typer.Option(help="Where to write the heads (default: the shipped file).")] = None,
) -> None:
    """Rebuild the meaning stage's heads from the corpus in safety/training/corpus, bit for bit."""
    from safety.encoder import EmbeddingUnavailable
    from safety.training.build import DEV_SPLIT, HEADS_FILE, build

    dev = dev or list(DEV_SPLIT)
    missing = [str(p) for p in dev if not p.is_file()]
    if missing:
        raise InputError(f"The dev split is missing: {', '.join(missing)} (run this from a checkout).")
    try:
        meta = build(list(dev), out or HEADS_FILE)
    except EmbeddingUnavailable as exc:
        raise InputError(f"Cannot train: {exc}") from None
    except OSError as exc:  # an unwritable --out, a dev file that vanished
        raise InputError(f"Cannot train: {exc.strerror or exc}: {exc.filename}.") from None
    print(json.dumps({"written": str(out or HEADS_FILE), **meta}, indent=2))
