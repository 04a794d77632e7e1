"""`muralist safety …`: the safety layer from a terminal or a script (JSON lines in, JSON lines out)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

safety_cli = typer.Typer(no_args_is_help=True, help="Check prompts and pictures; evaluate the prompt filter.")

BATCH = 256


def _prompt_filter(rules_only: bool):  # type: ignore[no-untyped-def]
    from safety.encoder import EmbeddingUnavailable
    from safety.prompt_filter import PromptFilter

    try:
        return PromptFilter(semantic=not rules_only)
    except EmbeddingUnavailable as exc:
        typer.secho(f"The semantic stage is unavailable ({exc}); use --rules-only to run without it.", err=True,
                    fg=typer.colors.RED)
        raise typer.Exit(2) from None


def _verdict_json(case_id: Any, verdict: Any) -> dict[str, Any]:
    return {"id": case_id, "decision": verdict.decision.value, "categories": list(verdict.categories),
            "evidence": list(verdict.evidence), "scores": verdict.scores, "checker": verdict.checker,
            "checker_version": verdict.checker_version}


@safety_cli.command("check-prompts")
def check_prompts(
    nsfw: Annotated[bool, typer.Option(help="Judge as in a context marked NSFW.")] = False,
    rules_only: Annotated[bool, typer.Option(help="Skip the semantic stage.")] = False,
) -> None:
    """JSON lines {"id", "prompt", "negative_prompt"} on stdin → {"id", "decision", "categories", …} on stdout,
    in input order. A malformed line gets {"id", "error"} and the rest go on."""
    from safety.prompt_filter import Policy

    prompt_filter = _prompt_filter(rules_only)
    policy = Policy(nsfw_allowed=nsfw)
    pending: list[tuple[int, Any, str, str]] = []
    errors: dict[int, dict[str, Any]] = {}

    def flush() -> None:
        verdicts = iter(prompt_filter.check_many([(p, n) for _, _, p, n in pending], policy))
        lines = {n: _verdict_json(cid, next(verdicts)) for n, cid, _, _ in pending}
        lines.update(errors)
        for n in sorted(lines):
            text = json.dumps(lines[n], ensure_ascii=False)
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate in an echoed id: escape rather than die mid-batch
                text = json.dumps(lines[n])
            print(text, flush=True)
        pending.clear()
        errors.clear()

    # Bytes, decoded leniently: one line of invalid UTF-8 must not end the whole batch.
    for n, raw in enumerate(sys.stdin.buffer):
        line = raw.decode("utf-8", "replace")
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("prompt"), str):
                raise ValueError("each line needs a string 'prompt'")
            negative = item.get("negative_prompt") or ""
            if not isinstance(negative, str):
                raise ValueError("'negative_prompt' must be a string")
            pending.append((n, item.get("id"), item["prompt"], negative))
        except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested 100,000 deep
            errors[n] = {"id": None, "line": n + 1, "error": f"not a valid request line: {str(exc)[:200]}"}
        if len(pending) + len(errors) >= BATCH:
            flush()
    flush()


@safety_cli.command("check-image")
def check_image(paths: Annotated[list[Path], typer.Argument(help="PNG/JPEG/WebP/GIF files")],
                nsfw: Annotated[bool, typer.Option(help="Grade with the NSFW context's thresholds.")] = False) -> None:
    """Score pictures with the bundled NSFW classifier: one JSON line per path, with the decision and scores (every
    frame of an animation; transparent pictures on light and dark backgrounds) or a one-sentence error. Exits 1 if
    any path could not be checked."""
    from core.config import Settings
    from safety.image_check import ImageCheckUnavailable, Thresholds, load_image_checker
    from safety.image_input import CHECKABLE_FORMATS, BadImage, open_untrusted_picture

    settings = Settings()
    try:
        checker = load_image_checker(
            Thresholds(settings.image_review_threshold, settings.image_block_threshold),
            model_path=settings.image_model_path,
            by_context={"nsfw": Thresholds(settings.image_review_threshold_nsfw, settings.image_block_threshold_nsfw)})
    except ImageCheckUnavailable as exc:
        typer.secho(f"The image check is unavailable: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(2) from None
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
            line.update({"decision": None, "error": f"{path.name or path} could not be checked "
                                                    f"({type(exc).__name__}: {exc})."})
        failed = failed or "error" in line
        print(json.dumps(line, ensure_ascii=False), flush=True)
    if failed:
        raise typer.Exit(1)


@safety_cli.command("eval")
def evaluate_file(
    files: Annotated[list[Path], typer.Argument(help="JSON lines with prompt, negative_prompt, expect (allow|block), "
                                                     "category, lang, technique")],
    rules_only: Annotated[bool, typer.Option(help="Skip the meaning stage.")] = False,
    cases: Annotated[bool, typer.Option(help="List every miss and false flag.")] = True,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the numbers as JSON.")] = None,
) -> None:
    """Recall (block or review counts as caught), false flags, minors/real person × sexual blocked in every context,
    by category and by language, as a table."""
    from safety.evaluation import evaluate, load_cases

    loaded = []
    for file in files:
        try:
            loaded += load_cases(file)
        except (OSError, ValueError) as exc:
            typer.secho(f"Cannot read {file}: {exc}", err=True, fg=typer.colors.RED)
            raise typer.Exit(2) from None
    report = evaluate(_prompt_filter(rules_only), loaded)
    print(report.table(show_cases=cases))
    if json_out:
        json_out.write_text(json.dumps({
            **report.summary(), "misses": [m["id"] for m in report.misses],
            "false_flags": [f["id"] for f in report.false_flags]}, indent=2))


@safety_cli.command("train")
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
        typer.secho(f"The dev split is missing: {', '.join(missing)} (run this from a checkout).", err=True,
                    fg=typer.colors.RED)
        raise typer.Exit(2)
    try:
        meta = build(list(dev), out or HEADS_FILE)
    except EmbeddingUnavailable as exc:
        typer.secho(f"Cannot train: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(2) from None
    print(json.dumps({"written": str(out or HEADS_FILE), **meta}, indent=2))
