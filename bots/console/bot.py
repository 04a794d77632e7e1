"""Console chat bot: a line of text in, lines of text out. It only translates between text and ``core``.

``ConsoleBot.handle(line)`` returns the reply lines, so a test is one line (errbot's in-memory backend idea).
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace

from core.app import Muralist
from core.catalogue import render, text
from core.command_syntax import (
    parse_cartoon,
    parse_imagine_request,
    parse_report,
    parse_upscale,
    parse_variations,
)
from core.domain import Accepted, JobStatus, Notice, Outcome, Reply, Requester, queue_place
from core.params import InvalidParams

log = logging.getLogger(__name__)
_VOICE = re.compile(r"(?:^|\s)--voice\s+(?P<path>\S+)")


@dataclass
class ConsoleBot:
    app: Muralist
    requester: Requester
    job_timeout: float = 600.0
    progress_factory: Callable[[str], TtyProgress] | None = None  # given the language, one per job

    def __post_init__(self) -> None:
        self.deliveries = self.app.deliveries(self.requester.platform, f"console:{os.getpid()}:{id(self)}")
        self.lang = self.requester.language

    def handle(self, line: str, emit: Callable[[str], None] | None = None) -> list[str]:
        """Reply lines for one input line, also passed to ``emit`` as soon as each is known (the "accepted" line
        comes before the pictures). Never raises: a failure becomes one sentence (details go to the log)."""
        replies: list[str] = []

        def say(reply: str) -> None:
            replies.append(reply)
            if emit is not None:
                emit(reply)

        for reply in self._handle(line, say):
            say(reply)
        return replies

    def _handle(self, line: str, say: Callable[[str], None]) -> list[str]:
        # Undecodable bytes on stdin arrive as lone surrogates, which no database can store: they become U+FFFD.
        text_in = line.encode("utf-8", "surrogatepass").decode("utf-8", "replace").strip()
        if not text_in:
            return []
        if not text_in.startswith("/"):
            return [text("console_not_command", self.lang)]
        command, _, rest = text_in.partition(" ")
        handler = self._commands().get(command.lower())
        if handler is None:
            return [text("console_unknown", self.lang, command=command[:40])]
        try:
            return handler(rest, say)
        except Exception:
            log.exception("console command failed: %r", text_in[:200])
            return [text("internal_error", self.lang)]

    def _commands(self) -> dict[str, Callable[[str, Callable[[str], None]], list[str]]]:
        return {"/help": lambda _r, _s: [text("console_help", self.lang)], "/license": self.show_licence,
                "/licence": self.show_licence, "/accept": self.accept, "/imagine": self.imagine, "/quota": self.quota,
                "/history": self.history, "/report": self.report, "/appeal": self.appeal, "/link": self.link,
                "/unlink": self.unlink, "/reroll": self.reroll, "/variations": self.variations,
                "/upscale": self.upscale, "/cartoon": self.cartoon, "/restore": self.restore, "/cancel": self.cancel,
                "/styles": self.styles, "/models": self.models, "/verify": self.verify, "/settings": self.settings,
                "/prefs": self.prefs}

    def _say(self, reply: Reply) -> list[str]:
        return [render(reply, self.lang)]

    def show_licence(self, _: str, _say: Callable[[str], None]) -> list[str]:
        return [self.app.licence_text()]

    def accept(self, _: str, _say: Callable[[str], None]) -> list[str]:
        return self._say(self.app.accept_licence(self.requester))

    def quota(self, _: str, _say: Callable[[str], None]) -> list[str]:
        return self._say(self.app.quota(self.requester))

    def history(self, _: str, _say: Callable[[str], None]) -> list[str]:
        jobs = self.app.history(self.requester, limit=10)
        if not jobs:
            return [text("history_empty", self.lang)]
        # The status is padded to the longest English one so the columns line up on a terminal.
        return [text("console_history_line", self.lang, job_id=j.id, created=f"{j.created_at:%Y-%m-%d %H:%M}",
                     status=f"{text(f'job_status_{j.status.value}', self.lang):<7}", count=j.count,
                     prompt=j.prompt[:60]) for j in jobs]

    def report(self, rest: str, _say: Callable[[str], None]) -> list[str]:
        picture = parse_report(rest)
        if picture is None:
            return [text("report_usage", self.lang)]
        return self._say(self.app.report(self.requester, *picture))

    def appeal(self, rest: str, _say: Callable[[str], None]) -> list[str]:
        return self._say(self.app.appeal(self.requester, rest.strip()))

    def link(self, rest: str, _say: Callable[[str], None]) -> list[str]:
        return self._say(self.app.link(self.requester, rest.strip() or None))

    def unlink(self, _: str, _say: Callable[[str], None]) -> list[str]:
        return self._say(self.app.unlink(self.requester))

    def verify(self, rest: str, _say: Callable[[str], None]) -> list[str]:
        if not rest.strip():
            return [text("console_verify_usage", self.lang)]
        return self._say(self.app.verify(self.requester, rest.strip()))

    def settings(self, rest: str, _say: Callable[[str], None]) -> list[str]:
        """The console is the operator's own terminal, so its one member is its chat's admin."""
        name, _, value = rest.strip().partition(" ")
        if not name:
            return self._say(self.app.chat_settings(self.requester))
        if not value.strip():
            return [text("settings_usage", self.lang)]
        return self._say(self.app.change_chat_setting(self.requester, name, value))

    def prefs(self, rest: str, _say: Callable[[str], None]) -> list[str]:
        name, _, value = rest.strip().partition(" ")
        if not name:
            return self._say(self.app.preferences(self.requester))
        if not value.strip():
            return [text("prefs_usage", self.lang)]
        return self._say(self.app.change_preference(self.requester, name, value))

    def styles(self, _: str, _say: Callable[[str], None]) -> list[str]:
        return [f"{name:<12} {description}" for name, description in self.app.styles()]

    def cancel(self, rest: str, _say: Callable[[str], None]) -> list[str]:
        if not rest.strip():
            return [text("cancel_which", self.lang)]
        return self._say(self.app.cancel(self.requester, rest.split()[0]))

    def reroll(self, rest: str, say: Callable[[str], None]) -> list[str]:
        if not rest.strip():
            return [text("which_job", self.lang, command="reroll")]
        return self._follow(self.app.reroll(self.requester, rest.split()[0]), say)

    def variations(self, rest: str, say: Callable[[str], None]) -> list[str]:
        try:
            ref, strength, count = parse_variations(rest)
        except InvalidParams:
            return [text("console_variations_usage", self.lang)]
        return self._follow(self.app.variations(self.requester, ref, strength=strength, count=count), say)

    def upscale(self, rest: str, say: Callable[[str], None]) -> list[str]:
        try:
            ref, factor = parse_upscale(rest)
        except InvalidParams:
            return [text("console_upscale_usage", self.lang)]
        return self._follow(self.app.upscale(self.requester, ref, factor), say)

    def cartoon(self, rest: str, say: Callable[[str], None]) -> list[str]:
        try:
            ref, prompt = parse_cartoon(rest)
        except InvalidParams:
            return [text("console_cartoon_usage", self.lang)]
        return self._follow(self.app.cartoon(self.requester, ref, prompt), say)

    def restore(self, rest: str, say: Callable[[str], None]) -> list[str]:
        if not rest.strip():
            return [text("console_restore_usage", self.lang)]
        return self._follow(self.app.restore(self.requester, rest.split()[0]), say)

    def imagine(self, rest: str, say: Callable[[str], None]) -> list[str]:
        voice = _VOICE.search(rest)
        try:
            # With --voice the prompt is what was said: the other flags are parsed around a stand-in prompt, so
            # nothing in the transcript can ever be read as a flag.
            params, model = parse_imagine_request("voice " + _VOICE.sub(" ", rest) if voice else rest)
        except InvalidParams as exc:
            return [render(exc, self.lang)]
        if voice:
            heard = self.app.hear(self.requester, voice["path"])
            if not isinstance(heard, Notice):
                return self._say(heard)
            say(render(heard, self.lang))
            params = replace(params, prompt=str(heard.values["text"]))
        return self._follow(self.app.imagine(self.requester, params, model), say)

    def models(self, _: str, _say: Callable[[str], None]) -> list[str]:
        return [text("console_model_line", self.lang, name=f"{m.name:<16}", size=m.default_size,
                     steps=m.default_steps, licence=m.licence_id)
                + ("" if m.served else text("console_model_unserved", self.lang)) for m in self.app.models()]

    def _follow(self, outcome: Outcome, say: Callable[[str], None]) -> list[str]:
        """Say the outcome; for an accepted job, wait for it and print its pictures (delivered through core's
        template like any chat: claimed, shown, marked)."""
        if not isinstance(outcome, Accepted):
            return self._say(outcome)
        say(render(outcome, self.lang))
        progress = self.progress_factory(self.lang) if self.progress_factory else None
        job = self.app.wait(outcome.job_id, self.job_timeout, progress.step if progress else None,
                            progress.place if progress else None)
        if progress is not None:
            progress.close()
        if job is None:
            return [text("still_running", self.lang, job_id=outcome.job_id)]
        message = self.deliveries.claim(job.id)
        if message is None:
            return []
        lines = [p.path for p in message.pictures]
        # The first caption line repeats the prompt and seed the member just typed: a chat needs it, a terminal not.
        captions = message.lines[1:] if job.status is JobStatus.DONE else message.lines
        lines += [render(line, self.lang) for line in captions]
        self.deliveries.mark(job.id, [])
        return lines


class TtyProgress:
    """One job on the terminal (stderr, so piped stdout stays one path per line): a tqdm bar whose label says the
    job's place in the queue while it waits ("2 ahead of you"), then "step 10/30" as it generates."""

    def __init__(self, stream: object, lang: str) -> None:
        from tqdm import tqdm

        self.lang = lang
        self.bar = tqdm(total=0, desc=text("queue_next", lang), unit="step", leave=False, file=stream,
                        bar_format="{desc}: {bar} {n_fmt}/{total_fmt}")

    def place(self, ahead: int | None) -> None:
        code, values = queue_place(ahead)
        self.bar.set_description_str(text(code, self.lang, **values))

    def step(self, step: int, total: int) -> None:
        if self.bar.total != total:
            self.bar.reset(total=total)
            self.bar.set_description_str(text("queue_running", self.lang))
        self.bar.n = step
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


def tty_progress(stream: object = sys.stderr) -> Callable[[str], TtyProgress]:
    """A progress line per job on the terminal."""
    return lambda lang: TtyProgress(stream, lang)
