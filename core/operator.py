"""What an operator or moderator at a terminal (`muralist admin`) can do: moderation by user reference (``#ID`` or
``platform:id``), the review queue, a member's history, the training export and the numbers behind `admin stats`."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from core.moderation import Moderation, ReviewItem
from core.ports import JobRepository
from safety.moderation import Event, ModerationError

MAX_GRANT = 100_000
_REVIEW_REF = re.compile(r"img:[a-z0-9]{1,16}:\d{1,2}|\d{1,12}")
DECISIONS = ("approve", "remove", "appeal_upheld", "appeal_denied")
_LABELS = {"approve": "safe", "remove": "unsafe", "appeal_upheld": "safe", "appeal_denied": "unsafe"}


class Statistics(Protocol):
    def stats(self) -> dict[str, Any]:
        """Users, jobs by status, verdicts by decision and blocks by category."""
        ...


class Operator:
    def __init__(self, moderation: Moderation, jobs: JobRepository, statistics: Statistics,
                 close: Callable[[], None]) -> None:
        self._mod = moderation
        self._jobs = jobs
        self._statistics = statistics
        self.close = close

    def resolve_user(self, ref: str) -> int:
        if len(ref) > 200 or any(len(run) > 18 for run in ref.replace("#", " ").split() if run.isdigit()):
            # Longer than any id the database holds (it would only overflow on it).
            raise ModerationError(f"No user {ref[:40]!r}: use #ID or platform:id (for example console:ada).")
        return self._mod.identity.resolve_user(ref)

    def ban(self, user: str, actor: str, duration: str, reason: str, actor_id: int | None) -> str:
        return self._mod.sanctions.ban(self.resolve_user(user), actor, duration, reason, actor_id)

    def unban(self, user: str, actor: str, reason: str, actor_id: int | None) -> str:
        return self._mod.sanctions.unban(self.resolve_user(user), actor, reason, actor_id)

    def grant(self, user: str, actor: str, actor_id: int | None, *, pictures: int | None, tier: str | None,
              duration: str, reason: str) -> str:
        target = self.resolve_user(user)
        if (pictures is None) == (tier is None):
            raise ModerationError("Grant either --pictures N or --tier NAME.")
        if pictures is not None:
            if pictures > MAX_GRANT:
                raise ModerationError(f"A grant is at most {MAX_GRANT} pictures.")
            return self._mod.tiers.grant_pictures(target, pictures, actor, reason, actor_id)
        return self._mod.tiers.grant_tier(target, tier or "", actor, duration, actor_id)

    def review_queue(self, limit: int = 50) -> list[ReviewItem]:
        return self._mod.review.waiting(limit)

    def decide(self, ref: str, decision: str, actor: str, actor_id: int | None, note: str) -> str:
        if not _REVIEW_REF.fullmatch(ref):
            raise ModerationError(f"{ref[:40]!r} is not an item of the review queue: img:JOB:N or a report/appeal "
                                  f"number (see `muralist admin review`).")
        return self._mod.review.decide(ref, decision, actor, actor_id, note)

    def history(self, user: str) -> list[str]:
        """A member's accounts, ban status, moderation events and recent jobs, one line each."""
        target = self.resolve_user(user)
        lines = [f"user #{target}: " + ", ".join(f"{p}:{e}" for p, e in self._mod.identity.accounts_of(target))]
        status = self._mod.sanctions.ban_status(target)
        lines.append(status.summary().capitalize() if status.banned else "Not banned.")
        lines += [f"{e.created_at:%Y-%m-%d %H:%M}  {e.action:<14} by {e.actor:<18} {e.reason or ''}"
                  + (f" (until {e.expires_at:%Y-%m-%d %H:%M})" if e.expires_at else "")
                  for e in self._mod.sanctions.history(target)]
        lines += [f"{j.created_at:%Y-%m-%d %H:%M}  job {j.id} {j.status.value:<7} {j.prompt[:50]!r}"
                  for j in self._jobs.history(target, 20)]
        return lines

    def export_cases(self, directory: Path) -> int:
        """Decided cases (picture if kept, prompt, scores, moderator label) as ``cases.jsonl`` + ``images/``."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "images").mkdir(exist_ok=True)
        count = 0
        with (directory / "cases.jsonl").open("w", encoding="utf-8") as out:
            for event in self._mod.records.all_events(DECISIONS):
                out.write(json.dumps(self._case(event, directory), ensure_ascii=False) + "\n")
                count += 1
        return count

    def _case(self, event: Event, directory: Path) -> dict[str, Any]:
        job = self._jobs.get_job(event.target_job_id) if event.target_job_id else None
        image = self._mod.review.picture(event.target_job_id, event.target_image_idx) \
            if event.target_job_id is not None and event.target_image_idx is not None else None
        source = (image.path if image and image.path else None) or event.details.get("quarantined")
        picture = None
        if source and Path(str(source)).is_file():
            picture = f"images/{Path(str(source)).name}"
            shutil.copy2(str(source), directory / picture)
        return {"case": event.id, "decided_at": event.created_at.isoformat(), "moderator": event.actor,
                "label": _LABELS[event.action], "action": event.action, "job_id": event.target_job_id,
                "image_idx": event.target_image_idx, "prompt": job.prompt if job else event.details.get("prompt"),
                "negative_prompt": job.negative_prompt if job else None,
                "automatic_decision": image.decision if image else None,
                "nsfw_score": image.nsfw_score if image else event.details.get("nsfw_score"), "picture": picture,
                "note": event.reason}

    def stats(self) -> dict[str, Any]:
        """Users, jobs by status, blocks by category and the review backlog."""
        return {**self._statistics.stats(), "backlog": len(self._mod.review.waiting(limit=10_000))}
