"""Console chat bot: a line of text in, lines of text out. It only translates between text and ``core``.

``ConsoleBot.handle(line)`` returns the reply lines, so a test is one line (errbot's in-memory backend idea).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass

from bots.results import method_note
from core.command_syntax import parse_flags, parse_imagine_request
from core.delivery import Delivery, JobWaiter
from core.domain import Accepted, Decision, GenerationRequest, Job, JobStatus, Outcome, Requester
from core.moderation import ModerationService
from core.params import InvalidParams
from core.service import GenerationService
from core.styles import load_styles
from safety.moderation import ModerationError

log = logging.getLogger(__name__)

HELP = """\
Commands:
  /license                 show the model licence (you must accept it once)
  /accept                  accept the licence
  /imagine <prompt> [--negative TEXT] [--seed N] [--steps N] [--size WxH] [--cfg X] [--count N]
           [--style NAME] [--sampler NAME] [--model NAME]
           [--image PATH|JOB [--strength 0.6] [--box x,y,w,h | --mask PATH]]
                           make pictures; each is printed as the path of a PNG file
                           (--image: image-to-image; --box or --mask: repaint that part, white in the mask)
  /reroll JOB              the same prompt again with a new seed
  /variations PATH|JOB [--strength 0.6] [--count 2]
                           new pictures close to one picture
  /upscale PATH|JOB [--factor 2|4]
                           enlarge a picture
  /cancel JOB              stop a job of yours (refunded)
  /styles                  the style presets for --style
  /models                  the models for --model
  /quota                   pictures used and left today
  /history                 your last jobs
  /report JOB [N] [why]    report picture N (default 1) of a job to the moderators
  /appeal JOB [N] | /appeal strike ID
                           ask a moderator to look again at a blocked picture or a strike (once)
  /link [CODE]             get a code here, or enter one from your account on another platform
  /unlink                  give this account its own quota again
  /help                    this text"""


@dataclass
class ConsoleBot:
    service: GenerationService
    waiter: JobWaiter
    delivery: Delivery
    requester: Requester
    job_timeout: float = 600.0
    progress_factory: Callable[[], Callable[[int, int], None]] | None = None
    moderation: ModerationService | None = None

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
        text = line.strip()
        if not text:
            return []
        if not text.startswith("/"):
            return ["Commands start with a slash: try /imagine a red fox in the snow, or /help."]
        command, _, rest = text.partition(" ")
        handler = self._commands().get(command.lower())
        if handler is None:
            return [f"Unknown command {command[:40]}; type /help for the list."]
        try:
            return handler(rest, say)
        except ModerationError as exc:
            return [str(exc)]
        except Exception:
            log.exception("console command failed: %r", text[:200])
            return ["Something went wrong on our side and was logged; nothing you asked for was charged twice."]

    def _commands(self) -> dict[str, Callable[[str, Callable[[str], None]], list[str]]]:
        return {"/help": lambda _r, _s: [HELP], "/license": self.show_licence, "/licence": self.show_licence,
                "/accept": self.accept, "/imagine": self.imagine, "/quota": self.quota, "/history": self.history,
                "/report": self.report, "/appeal": self.appeal, "/link": self.link, "/unlink": self.unlink,
                "/reroll": self.reroll, "/variations": self.variations, "/upscale": self.upscale,
                "/cancel": self.cancel, "/styles": self.styles, "/models": self.models}

    def show_licence(self, _: str, _say: Callable[[str], None]) -> list[str]:
        return [self.service.licence_text()]

    def accept(self, _: str, _say: Callable[[str], None]) -> list[str]:
        return [self.service.accept_licence(self.requester)]

    def quota(self, _: str, _say: Callable[[str], None]) -> list[str]:
        return [self.service.describe_quota(self.requester)]

    def history(self, _: str, _say: Callable[[str], None]) -> list[str]:
        jobs = self.service.history(self.requester, limit=10)
        if not jobs:
            return ["No jobs yet: try /imagine a lighthouse at dusk."]
        return [f"{j.id}  {j.created_at:%Y-%m-%d %H:%M}  {j.status.value:<7} {j.count} pic  {j.prompt[:60]}"
                for j in jobs]

    def _mod(self) -> ModerationService:
        if self.moderation is None:
            raise ModerationError("Moderation is not available in this session.")
        return self.moderation

    def report(self, rest: str, _say: Callable[[str], None]) -> list[str]:
        parts = rest.split(maxsplit=2)
        if not parts:
            return ["Say which picture: /report JOB [N] [reason]."]
        number = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 1
        reason = " ".join(parts[2:] if len(parts) > 1 and parts[1].isdigit() else parts[1:])
        reporter = self.service.repo.ensure_user(self.requester)
        return [self._mod().report(reporter, parts[0], number - 1, reason)]

    def appeal(self, rest: str, _say: Callable[[str], None]) -> list[str]:
        user_id = self.service.repo.find_user(self.requester.platform, self.requester.user_id)
        if user_id is None:
            return ["There is nothing of yours to appeal yet."]
        return [self._mod().appeal(user_id, rest.strip())]

    def link(self, rest: str, _say: Callable[[str], None]) -> list[str]:
        code = rest.strip()
        if code:
            return [self._mod().redeem_link(self.requester, code)]
        return [self._mod().link_code(self.requester)]

    def unlink(self, _: str, _say: Callable[[str], None]) -> list[str]:
        return [self._mod().unlink(self.requester)]

    def styles(self, _: str, _say: Callable[[str], None]) -> list[str]:
        return [f"{s.name:<12} {s.description}" for s in load_styles().values()]

    def cancel(self, rest: str, _say: Callable[[str], None]) -> list[str]:
        if not rest.strip():
            return ["Say which job: /cancel JOB."]
        return [self.service.cancel(rest.split()[0], self.requester)]

    def reroll(self, rest: str, say: Callable[[str], None]) -> list[str]:
        if not rest.strip():
            return ["Say which job: /reroll JOB."]
        return self._follow(self.service.reroll(rest.split()[0], self.requester), say)

    def variations(self, rest: str, say: Callable[[str], None]) -> list[str]:
        try:
            ref, flags = parse_flags(rest, ("strength", "count"))
            strength, count = float(flags.get("strength", "0.6")), int(flags.get("count", "2"))
        except (InvalidParams, ValueError):
            return ["Use /variations PATH|JOB [--strength 0.6] [--count 2]."]
        if not ref.strip():
            return ["Say which picture: /variations PATH or /variations JOB."]
        return self._follow(self.service.variations(ref.strip(), self.requester, strength=strength, count=count),
                            say)

    def upscale(self, rest: str, say: Callable[[str], None]) -> list[str]:
        try:
            ref, flags = parse_flags(rest, ("factor",))
            factor = int(flags.get("factor", "2"))
        except (InvalidParams, ValueError):
            return ["Use /upscale PATH|JOB [--factor 2|4]."]
        if not ref.strip():
            return ["Say which picture: /upscale PATH or /upscale JOB."]
        return self._follow(self.service.upscale(ref.strip(), factor, self.requester), say)

    def imagine(self, rest: str, say: Callable[[str], None]) -> list[str]:
        try:
            params, model = parse_imagine_request(rest)
        except InvalidParams as exc:
            return [str(exc)]
        return self._follow(self.service.submit(GenerationRequest(self.requester, params, model)), say)

    def models(self, _: str, _say: Callable[[str], None]) -> list[str]:
        served = self.service.served
        return [f"{spec.name:<16} {spec.default_size}px, {spec.default_steps} steps, licence {spec.licence_id}"
                + ("" if served is None or served(spec.name) else "  (no worker serving it now)")
                for spec in self.service.models.values()]

    def _follow(self, outcome: Outcome, say: Callable[[str], None]) -> list[str]:
        """Say the outcome; for an accepted job, wait for it and print its pictures."""
        if not isinstance(outcome, Accepted):
            return [outcome.message]
        say(outcome.message)
        progress = self.progress_factory() if self.progress_factory else None
        job = self.waiter.wait(outcome.job_id, self.job_timeout, progress)
        if job is None:
            return [f"Job {outcome.job_id} is still running; its pictures will show in /history."]
        lines: list[str] = []
        self.delivery.deliver(job, lambda j: self._render(j, lines))
        return lines

    @staticmethod
    def _render(job: Job, lines: list[str]) -> list[str]:
        if job.status is JobStatus.CANCELLED:
            lines.append(f"Job {job.id} was cancelled; its pictures were refunded.")
            return []
        if job.status is JobStatus.FAILED:
            why = job.error.removeprefix("refused: ") if job.error and job.error.startswith("refused:") else \
                "it failed on the worker"
            lines.append(f"Job {job.id}: {why}; your quota for it was refunded.")
            return []
        for image in job.images:
            if image.path is None:
                lines.append(f"Picture {image.index + 1} was blocked by the image check and not kept.")
                continue
            lines.append(image.path)
            if image.decision is Decision.REVIEW:
                lines.append(f"Picture {image.index + 1} may be sensitive: it is marked for a moderator's review.")
            elif image.decision is Decision.UNCHECKED:
                lines.append(f"Picture {image.index + 1} was NOT safety-checked (development setting).")
        note = method_note(job)
        if note:
            lines.append(note)
        return [image.path for image in job.images if image.path]


def tty_progress(stream: object = sys.stderr) -> Callable[[], Callable[[int, int], None]]:
    """A tqdm bar per job on the terminal (stderr, so piped stdout stays one path per line)."""
    from tqdm import tqdm

    def factory() -> Callable[[int, int], None]:
        bar: dict[str, tqdm] = {}

        def update(step: int, total: int) -> None:
            if "bar" not in bar:
                bar["bar"] = tqdm(total=total, desc="generating", unit="step", leave=False, file=stream)
            bar["bar"].n = step
            bar["bar"].refresh()
            if step >= total:
                bar["bar"].close()

        return update

    return factory
