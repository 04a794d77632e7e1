"""`muralist admin …`: moderators and operators at a terminal, against SQLite or PostgreSQL."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from core.config import Settings

if TYPE_CHECKING:
    from core.operator import Operator

admin_cli = typer.Typer(no_args_is_help=True, help="Bans, grants, the review queue, history, export and stats.")

As = Annotated[str | None, typer.Option("--as", help="Your own account (platform:id), so you cannot judge your "
                                                     "own case.")]
User = Annotated[str, typer.Argument(help="#ID or platform:id, e.g. console:ada or discord:1234")]


def _actor(admin: Operator, as_account: str | None) -> tuple[str, int | None]:
    """The audit log's actor, and their user id when they said who they are (so they cannot judge their own case)."""
    if as_account is None:
        return f"admin:{getpass.getuser()}", None
    return f"admin:{as_account}", admin.resolve_user(as_account)


def _run(action: Callable[[Operator], str]) -> None:
    """Run an admin action; a refusal is one red sentence and exit code 2, never a traceback."""
    from core.runtime import StartupError, build_operator
    from safety.moderation import ModerationError

    try:
        admin = build_operator(Settings())
    except StartupError as exc:
        typer.secho(str(exc), err=True, fg=typer.colors.RED)
        raise typer.Exit(2) from None
    try:
        result = action(admin)
    except ModerationError as exc:
        typer.secho(str(exc), err=True, fg=typer.colors.RED)
        raise typer.Exit(2) from None
    except OSError as exc:  # an export to /dev/null, a read-only or missing folder: say which and why
        where = f" {exc.filename}" if exc.filename else ""
        typer.secho(f"Could not write{where}: {exc.strerror or exc}.", err=True, fg=typer.colors.RED)
        raise typer.Exit(2) from None
    finally:
        admin.close()
    if result:
        typer.echo(result)


@admin_cli.command()
def ban(user: User, duration: Annotated[str, typer.Option("--for", help="30m, 12h, 7d, 2w or permanent")],
        reason: Annotated[str, typer.Option(help="Shown to the member.")], as_account: As = None) -> None:
    """Ban a user on every platform until the end of the duration."""
    def act(a: Operator) -> str:
        who, me = _actor(a, as_account)
        return a.ban(user, who, duration, reason, me)
    _run(act)


@admin_cli.command()
def unban(user: User, reason: Annotated[str, typer.Option()] = "", as_account: As = None) -> None:
    """End a ban or a suspension now."""
    def act(a: Operator) -> str:
        who, me = _actor(a, as_account)
        return a.unban(user, who, reason, me)
    _run(act)


@admin_cli.command()
def grant(user: User,
          pictures: Annotated[int | None, typer.Option(help="Extra pictures for the current period.")] = None,
          tier: Annotated[str | None, typer.Option(help="A tier from MURALIST_QUOTA_TIERS.")] = None,
          duration: Annotated[str, typer.Option("--for", help="How long a tier lasts.")] = "permanent",
          reason: Annotated[str, typer.Option()] = "", as_account: As = None) -> None:
    """Give extra pictures, or a tier that raises the daily quota."""
    def act(a: Operator) -> str:
        who, me = _actor(a, as_account)
        return a.grant(user, who, me, pictures=pictures, tier=tier, duration=duration, reason=reason)
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
    def act(a: Operator) -> str:
        from safety.moderation import ModerationError

        if ref is None:
            items = a.review_queue()
            if not items:
                return "Nothing waits for review."
            return "\n".join(f"{i.ref:<22} {i.kind:<8} user #{i.user_id}  {i.summary}" for i in items)
        if decision is None:
            raise ModerationError("Say the decision: approve, remove, uphold or deny.")
        who, me = _actor(a, as_account)
        return a.decide(ref, decision, who, me, note)
    _run(act)


@admin_cli.command("web-login")
def web_login(member: Annotated[str, typer.Argument(help="The moderator's own account, platform:id (e.g. "
                                                         "discord:1234).")],
              chat: Annotated[list[str] | None, typer.Option("--chat", help="A chat they moderate, platform:chat_id "
                                                                            "(repeatable).")] = None,
              admin: Annotated[bool, typer.Option("--admin", help="An operator: sees every chat.")] = False) -> None:
    """A one-time sign-in link to the moderation web console (`muralist web`), valid for 10 minutes."""
    from core.catalogue import text
    from core.runtime import StartupError, build_web_console
    from safety.moderation import ModerationError

    settings = Settings()
    try:
        console, close = build_web_console(settings)
    except StartupError as exc:
        typer.secho(str(exc), err=True, fg=typer.colors.RED)
        raise typer.Exit(2) from None
    try:
        token = console.issue_link(member, admin=admin, chats=list(chat or []),
                                   issued_by=f"admin:{getpass.getuser()}")
    except ModerationError as exc:
        typer.secho(str(exc), err=True, fg=typer.colors.RED)
        raise typer.Exit(2) from None
    finally:
        close()
    typer.echo(text("web_link", "en", minutes=console.link_minutes, url=console.link_url(token)))


@admin_cli.command()
def history(user: User) -> None:
    """A user's accounts, jobs and every moderation event about them."""
    _run(lambda a: "\n".join(a.history(user)))


@admin_cli.command()
def export(directory: Annotated[Path, typer.Argument(help="Where to write cases.jsonl and images/")]) -> None:
    """Decided cases (picture if kept, prompt, scores, moderator label) as JSONL + files, ready for training."""
    _run(lambda a: f"Wrote {a.export_cases(directory)} decided cases to {directory / 'cases.jsonl'}.")


@admin_cli.command()
def stats(png: Annotated[Path | None, typer.Option(help="Also draw a chart here.")] = None) -> None:
    """Jobs by status, blocks by category, the review backlog."""
    def act(a: Operator) -> str:
        numbers = a.stats()
        backlog = numbers["backlog"]
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
