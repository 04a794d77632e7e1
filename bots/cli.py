"""The ``muralist`` command: the one composition root. Each subcommand builds only what it needs."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bots.admin_cli import admin_cli
from bots.safety_cli import safety_cli
from core.config import Settings

if TYPE_CHECKING:
    from core.runtime import Runtime

cli = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="muralist: safe Stable Diffusion for chat communities.")
db_cli = typer.Typer(no_args_is_help=True, help="Database schema (Alembic).")
cli.add_typer(db_cli, name="db")
cli.add_typer(safety_cli, name="safety")
cli.add_typer(admin_cli, name="admin")

DataDir = Annotated[Path | None,
                    typer.Option("--data-dir", help="Where the embedded database, models and pictures live.")]


def _settings(data_dir: Path | None = None) -> Settings:
    return Settings() if data_dir is None else Settings(data_dir=data_dir)


def _setup_logging(settings: Settings, verbose: bool = False) -> None:
    """Everything to a log file under the data dir, secrets redacted; see core.logs."""
    from core.logs import setup_logging

    setup_logging(settings, verbose)


def _fail(message: str) -> typer.Exit:
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code=2)


def _runtime(settings: Settings, embedded_worker: bool | None = None) -> Runtime:
    from core.runtime import StartupError, build_runtime

    try:
        return build_runtime(settings, embedded_worker=embedded_worker)
    except StartupError as exc:
        raise _fail(str(exc)) from None


def _run_console(settings: Settings, user: str | None, banner: bool) -> None:
    from bots.console.bot import ConsoleBot, tty_progress
    from core.catalogue import language
    from core.domain import Requester

    _setup_logging(settings)
    interactive = sys.stdin.isatty()
    if banner:
        typer.echo("muralist demo — embedded mode: SQLite, in-process worker, the miniature model (its pictures "
                   "are noise; see README to use a real checkpoint).\nStarting…", err=True)
    runtime = _runtime(settings)
    name = user or os.environ.get("USER") or getpass.getuser() or "local"
    # The console is the local operator's own terminal: the one front door that may name files on this machine.
    who = Requester("console", name, chat_id="console", display_name=name, local=True,
                    language=language(os.environ.get("LANG")))
    bot = ConsoleBot(runtime.app, who, job_timeout=settings.job_timeout_s,
                     progress_factory=tty_progress() if interactive else None)
    try:
        if interactive:
            typer.echo("Type /help for commands, /license then /accept to begin, Ctrl-D to quit.", err=True)
        while True:
            try:
                line = input("you> ") if interactive else sys.stdin.readline()
            except EOFError:
                break
            if not interactive and line == "":
                break
            bot.handle(line, emit=lambda reply: print(reply, flush=True))
    except KeyboardInterrupt:
        pass
    finally:
        runtime.close()


@cli.command()
def console(data_dir: DataDir = None,
            user: Annotated[str | None, typer.Option(help="Your user name in this terminal chat.")] = None) -> None:
    """The terminal chat bot. Interactive on a terminal; reads one command per line when piped."""
    _run_console(_settings(data_dir), user, banner=False)


@cli.command()
def demo(data_dir: DataDir = None) -> None:
    """The terminal chat bot on the embedded default, with a short introduction."""
    _run_console(_settings(data_dir), None, banner=True)


@cli.command("discord")
def discord_bot() -> None:
    """The Discord bot (MURALIST_DISCORD_TOKEN). Without MURALIST_BROKER_URL it also runs the embedded worker."""
    settings = _settings()
    if settings.discord_token is None:
        raise _fail("Set MURALIST_DISCORD_TOKEN to the bot token from the Discord developer portal.")
    _setup_logging(settings, verbose=True)
    from bots.discord import configure_endpoints
    from bots.discord.client import MuralistDiscord

    configure_endpoints(settings.discord_api_base, settings.discord_gateway_url)
    runtime = _runtime(settings)
    bot = MuralistDiscord(runtime, guild_ids=settings.discord_guild_ids, mod_role_ids=settings.discord_mod_role_ids,
                          tier_roles=settings.discord_tier_roles)
    try:
        bot.run(settings.discord_token.get_secret_value(), log_handler=None)
    finally:
        runtime.close()
    _exit_after_shutdown()


@cli.command("telegram")
def telegram_bot() -> None:
    """The Telegram bot (MURALIST_TELEGRAM_TOKEN): long polling, or a webhook with MURALIST_TELEGRAM_WEBHOOK_URL."""
    settings = _settings()
    if settings.telegram_token is None:
        raise _fail("Set MURALIST_TELEGRAM_TOKEN to the token @BotFather gave you.")
    _setup_logging(settings, verbose=True)
    from bots.telegram.app import build_application

    runtime = _runtime(settings)
    app = build_application(runtime, token=settings.telegram_token.get_secret_value(),
                            base_url=settings.telegram_base_url, base_file_url=settings.telegram_base_file_url,
                            admin_ids=frozenset(settings.telegram_admin_ids))
    try:
        if settings.telegram_webhook_url:
            app.run_webhook(listen="0.0.0.0", port=settings.telegram_webhook_port,  # noqa: S104 - a server
                            webhook_url=settings.telegram_webhook_url)
        else:
            app.run_polling()
    finally:
        runtime.close()
    _exit_after_shutdown()


def _exit_after_shutdown() -> None:
    """Everything that matters is closed (the job in hand handed back, deliveries stopped, the database disposed):
    skip the interpreter's finalisation, which with a model loaded took over 10 s on a busy machine and outlasted a
    supervisor's SIGTERM grace period."""
    import logging

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


@cli.command()
def web(data_dir: DataDir = None,
        host: Annotated[str, typer.Option(help="Interface to listen on (put a TLS proxy in front for others).")]
        = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535)] = 8080) -> None:
    """The moderation web console: review queue, members, reports and appeals, audit log, dashboard. Sign in with
    a link from `muralist admin web-login`."""
    from core.runtime import StartupError

    settings = _settings(data_dir)
    _setup_logging(settings)
    from bots.web.server import serve

    typer.echo(f"Moderation console on http://{host}:{port}/ — sign in with `muralist admin web-login MEMBER`.",
               err=True)
    try:
        serve(settings, host, port)
    except StartupError as exc:
        raise _fail(str(exc)) from None


@cli.command()
def worker(
    pool: Annotated[str | None, typer.Option(help="solo (default: one job at a time) or threads (overlap the "
                                                  "check and storage of one job with the next generation).")] = None,
    concurrency: Annotated[int | None, typer.Option(help="Threads for the threads pool.")] = None,
    loglevel: Annotated[str, typer.Option()] = "INFO",
) -> None:
    """A Celery worker process for one GPU: loads the image check and the model once, then serves the model's queue.

    Runs with the production settings: late acks, reject on worker lost, prefetch 1."""
    from core.runtime import StartupError, serve_worker

    try:
        serve_worker(_settings(), pool, concurrency, loglevel)
    except StartupError as exc:
        raise _fail(str(exc)) from None


@cli.command()
def verify(paths: Annotated[list[Path], typer.Argument(help="Picture files to check.")],
           data_dir: DataDir = None) -> None:
    """Was each picture made here? Reads its invisible provenance mark and prints the job, picture, date and member
    (or that no mark from this service was found). Each check is recorded in the moderation log."""
    from core.catalogue import render
    from core.runtime import StartupError, verify_files

    try:
        results = verify_files(_settings(data_dir), [str(p) for p in paths])
    except StartupError as exc:
        raise _fail(str(exc)) from None
    for path, result in zip(paths, results, strict=True):
        detail = f" (mark {result.mark_id}, user #{result.picture.user_id}, {result.picture.platform}" \
                 f"{' chat ' + result.picture.chat_id if result.picture.chat_id else ''})" if result.picture else ""
        typer.echo(f"{path}: {render(result.reply, 'en')}{detail}")
    if not all(r.picture for r in results):
        raise typer.Exit(code=1)


@db_cli.command("upgrade")
def db_upgrade(data_dir: DataDir = None) -> None:
    """Apply all migrations (creates the schema on a fresh database)."""
    from core.runtime import upgrade_database

    typer.echo(upgrade_database(_settings(data_dir)))


@db_cli.command("purge-prompts")
def db_purge_prompts(
    data_dir: DataDir = None,
    days: Annotated[int | None, typer.Option(help="Keep this many days (default: MURALIST_PROMPT_RETENTION_DAYS).")]
    = None,
) -> None:
    """Forget prompt texts older than the retention period (safety log and jobs); decisions and scores stay."""
    from core.runtime import StartupError, purge_prompts

    settings = _settings(data_dir)
    keep = settings.prompt_retention_days if days is None else days
    if not 0 <= keep <= 100_000:
        raise _fail("--days must be between 0 and 100000.")
    try:
        verdicts, jobs = purge_prompts(settings, keep)
    except StartupError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"Purged prompt text from {verdicts} safety log rows and {jobs} jobs older than {keep} days.")


@db_cli.command("current")
def db_current(data_dir: DataDir = None) -> None:
    """Show the database's schema revision and the code's."""
    from core.runtime import database_revisions

    current, head = database_revisions(_settings(data_dir))
    typer.echo(f"database: {current or '(not migrated)'}; code: {head}")


@cli.command()
def bench(
    quick: Annotated[bool, typer.Option(help="Fewer jobs (16) for a fast look.")] = False,
    jobs: Annotated[int | None, typer.Option("-n", "--jobs", help="Jobs per side.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the numbers here as JSON.")] = None,
    png_out: Annotated[Path | None, typer.Option("--png", help="Chart path (default: next to --json).")] = None,
    arch: Annotated[str, typer.Option(help="miniature, or sd15: the full-size SD 1.5 architecture with random "
                                           "weights (for a GPU; nothing is downloaded).")] = "miniature",
    safety_only: Annotated[bool, typer.Option(help="Only the safety layer: prompt filter (new against previous) "
                                                   "and image check.")] = False,
    rounds: Annotated[int, typer.Option(help="Interleaved rounds (bare, stack, batched stack, bare, …); the report "
                                             "gives medians and their spread.")] = 5,
    load: Annotated[bool, typer.Option(help="Simulated members submitting at once through the real service on "
                                            "PostgreSQL + Redis with a real worker process (needs "
                                            "MURALIST_DATABASE_URL and MURALIST_BROKER_URL).")] = False,
    members: Annotated[int, typer.Option(help="Simulated members for --load.")] = 50,
) -> None:
    """Throughput of the full stack (service → broker → worker → pipeline → check → database) vs a bare loop."""
    from bots.bench import run_bench, run_safety_bench

    if safety_only:
        run_safety_bench(json_out)
        return
    if load:
        from bots.bench_load import LoadBenchError, run_load_bench

        if not 1 <= members <= 1000 or not 1 <= (jobs or 2) <= 100:
            raise _fail("--members must be between 1 and 1000, and --jobs (per member with --load) 1 to 100.")
        try:
            run_load_bench(members, jobs or 2, json_out)
        except LoadBenchError as exc:
            raise _fail(str(exc)) from None
        return
    if arch not in ("miniature", "sd15"):
        raise _fail("--arch must be miniature or sd15.")
    if not 1 <= rounds <= 100:
        raise _fail("--rounds must be between 1 and 100.")
    if jobs is not None and not 1 <= jobs <= 10_000:
        raise _fail("--jobs must be between 1 and 10000.")
    n = jobs or (16 if quick else 64)
    run_bench(n, json_out, png_out, arch="sd15-random" if arch == "sd15" else "miniature", rounds=rounds)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
