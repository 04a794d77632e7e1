"""`muralist admin …`: moderators and operators at a terminal, against SQLite or PostgreSQL."""

from __future__ import annotations

import getpass
import json
import shutil
from pathlib import Path
from typing import Annotated, Any

import typer

from core.config import Settings

admin_cli = typer.Typer(no_args_is_help=True, help="Bans, grants, the review queue, history, export and stats.")

As = Annotated[str | None, typer.Option("--as", help="Your own account (platform:id), so you cannot judge your "
                                                     "own case.")]
User = Annotated[str, typer.Argument(help="#ID or platform:id, e.g. console:ada or discord:1234")]


class _Admin:
    """The pieces an admin command needs, built once per command (no worker, no model)."""

    def __init__(self) -> None:
        from core.runtime import build_bus, build_moderation
        from core.storage.db import build_engine, ensure_schema, session_factory
        from core.storage.repositories import SqlJobRepository

        self.settings = Settings()
        self.engine = build_engine(self.settings)
        ensure_schema(self.engine, auto_migrate=self.engine.url.get_backend_name() == "sqlite")
        sessions = session_factory(self.engine)
        self.jobs = SqlJobRepository(sessions)
        self.mod = build_moderation(self.settings, sessions, self.jobs, build_bus(self.settings))

    def actor(self, as_account: str | None) -> tuple[str, int | None]:
        if as_account is None:
            return f"admin:{getpass.getuser()}", None
        return f"admin:{as_account}", self.mod.resolve_user(as_account)


def _run(action: Any) -> None:
    """Run an admin action; a refusal is one red sentence and exit code 2, never a traceback."""
    from core.storage.db import SchemaNotReady
    from safety.moderation import ModerationError

    try:
        result = action(_Admin())
    except (ModerationError, SchemaNotReady) as exc:
        typer.secho(str(exc), err=True, fg=typer.colors.RED)
        raise typer.Exit(2) from None
    if result:
        typer.echo(result)


@admin_cli.command()
def ban(user: User, duration: Annotated[str, typer.Option("--for", help="30m, 12h, 7d, 2w or permanent")],
        reason: Annotated[str, typer.Option(help="Shown to the member.")], as_account: As = None) -> None:
    """Ban a user on every platform until the end of the duration."""
    def act(a: _Admin) -> str:
        who, me = a.actor(as_account)
        return a.mod.ban(a.mod.resolve_user(user), who, duration, reason, me)
    _run(act)


@admin_cli.command()
def unban(user: User, reason: Annotated[str, typer.Option()] = "", as_account: As = None) -> None:
    """End a ban or a suspension now."""
    def act(a: _Admin) -> str:
        who, me = a.actor(as_account)
        return a.mod.unban(a.mod.resolve_user(user), who, reason, me)
    _run(act)


@admin_cli.command()
def grant(user: User,
          pictures: Annotated[int | None, typer.Option(help="Extra pictures for the current period.")] = None,
          tier: Annotated[str | None, typer.Option(help="A tier from MURALIST_QUOTA_TIERS.")] = None,
          duration: Annotated[str, typer.Option("--for", help="How long a tier lasts.")] = "permanent",
          reason: Annotated[str, typer.Option()] = "", as_account: As = None) -> None:
    """Give extra pictures, or a tier that raises the daily quota."""
    def act(a: _Admin) -> str:
        from safety.moderation import ModerationError

        who, me = a.actor(as_account)
        target = a.mod.resolve_user(user)
        if (pictures is None) == (tier is None):
            raise ModerationError("Grant either --pictures N or --tier NAME.")
        if pictures is not None:
            return a.mod.grant_pictures(target, pictures, who, reason, me)
        return a.mod.grant_tier(target, tier or "", who, duration, me)
    _run(act)


@admin_cli.command()
def review(
    ref: Annotated[str | None, typer.Argument(help="An item from the list (img:JOB:N or a report/appeal number).")]
    = None,
    decision: Annotated[str | None, typer.Argument(help="approve | remove (pictures, reports); uphold | deny "
                                                        "(appeals)")] = None,
    note: Annotated[str, typer.Option()] = "", as_account: As = None,
) -> None:
    """Without arguments: list what waits for a moderator. With REF DECISION: decide it."""
    def act(a: _Admin) -> str:
        from safety.moderation import ModerationError

        if ref is None:
            items = a.mod.review_queue()
            if not items:
                return "Nothing waits for review."
            return "\n".join(f"{i.ref:<22} {i.kind:<8} user #{i.user_id}  {i.summary}" for i in items)
        if decision is None:
            raise ModerationError("Say the decision: approve, remove, uphold or deny.")
        who, me = a.actor(as_account)
        return a.mod.decide(ref, decision, who, me, note)
    _run(act)


@admin_cli.command()
def history(user: User) -> None:
    """A user's accounts, jobs and every moderation event about them."""
    def act(a: _Admin) -> str:
        target = a.mod.resolve_user(user)
        lines = [f"user #{target}: " + ", ".join(f"{p}:{e}" for p, e in a.mod.repo.accounts_of(target))]
        status = a.mod.ban_status(target)
        lines.append(status.summary().capitalize() if status.banned else "Not banned.")
        lines += [f"{e.created_at:%Y-%m-%d %H:%M}  {e.action:<14} by {e.actor:<18} {e.reason or ''}"
                  + (f" (until {e.expires_at:%Y-%m-%d %H:%M})" if e.expires_at else "") for e in a.mod.history(target)]
        lines += [f"{j.created_at:%Y-%m-%d %H:%M}  job {j.id} {j.status.value:<7} {j.prompt[:50]!r}"
                  for j in a.jobs.history(target, 20)]
        return "\n".join(lines)
    _run(act)


@admin_cli.command()
def export(directory: Annotated[Path, typer.Argument(help="Where to write cases.jsonl and images/")]) -> None:
    """Decided cases (picture if kept, prompt, scores, moderator label) as JSONL + files, ready for training."""
    def act(a: _Admin) -> str:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "images").mkdir(exist_ok=True)
        count = 0
        with (directory / "cases.jsonl").open("w", encoding="utf-8") as out:
            for event in a.mod.repo.all_events(("approve", "remove", "appeal_upheld", "appeal_denied")):
                out.write(json.dumps(_case(a, event, directory), ensure_ascii=False) + "\n")
                count += 1
        return f"Wrote {count} decided cases to {directory / 'cases.jsonl'}."
    _run(act)


def _case(a: _Admin, event: Any, directory: Path) -> dict[str, Any]:
    job = a.jobs.get_job(event.target_job_id) if event.target_job_id else None
    image = a.mod.repo.image(event.target_job_id, event.target_image_idx) \
        if event.target_job_id is not None and event.target_image_idx is not None else None
    source = (image.path if image and image.path else None) or event.details.get("quarantined")
    picture = None
    if source and Path(str(source)).is_file():
        picture = f"images/{Path(str(source)).name}"
        shutil.copy2(str(source), directory / picture)
    label = {"approve": "safe", "remove": "unsafe", "appeal_upheld": "safe", "appeal_denied": "unsafe"}[event.action]
    return {"case": event.id, "decided_at": event.created_at.isoformat(), "moderator": event.actor,
            "label": label, "action": event.action, "job_id": event.target_job_id,
            "image_idx": event.target_image_idx, "prompt": job.prompt if job else event.details.get("prompt"),
            "negative_prompt": job.negative_prompt if job else None,
            "automatic_decision": image.decision if image else None,
            "nsfw_score": image.nsfw_score if image else event.details.get("nsfw_score"), "picture": picture,
            "note": event.reason}


@admin_cli.command()
def stats(png: Annotated[Path | None, typer.Option(help="Also draw a chart here.")] = None) -> None:
    """Jobs by status, blocks by category, the review backlog."""
    def act(a: _Admin) -> str:
        numbers = a.mod.repo.stats()
        backlog = len(a.mod.review_queue(limit=10_000))
        lines = [f"users: {numbers['users']}", "jobs: " + ", ".join(f"{k} {v}" for k, v in
                                                                     sorted(numbers["jobs"].items())) or "jobs: 0",
                 f"review backlog: {backlog}", "blocks by category:"]
        lines += [f"  {k:<32} {v}" for k, v in sorted(numbers["blocks_by_category"].items(), key=lambda kv: -kv[1])]
        if png is not None:
            _stats_chart(numbers, backlog, png)
            lines.append(f"chart: {png}")
        return "\n".join(lines)
    _run(act)


def _stats_chart(numbers: dict[str, Any], backlog: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    jobs = numbers["jobs"] or {"(none)": 0}
    left.bar(list(jobs), list(jobs.values()), color="#2f80ed")
    left.set_title(f"Jobs by status (review backlog {backlog})")
    blocks = numbers["blocks_by_category"] or {"(none)": 0}
    right.barh(list(blocks), list(blocks.values()), color="#eb5757")
    right.set_title("Blocks by category")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
