"""The moderators' queue: review-band pictures, open reports and open appeals, and the decisions on them. A removed
picture is quarantined — out of circulation, but kept for the moderation export that trains better classifiers."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core.domain import utc_day
from core.moderation.ports import ModerationLog, Pictures, QuotaLedger, ReviewImage
from core.moderation.refusal import Refusal
from core.moderation.said import Said
from core.ports import Clock
from safety.moderation import Event, check_not_own_case, open_items

# Every action that opens or closes an item of the queue.
_QUEUE_ACTIONS = ("report", "appeal", "approve", "remove", "appeal_upheld", "appeal_denied", "dismiss")


@dataclass(frozen=True)
class PictureState:
    """Where one picture stands with the moderators: the decision on it (the latest approve or remove), a ban of its
    author made for it, and whether a member reported it."""

    decision: Event | None
    ban: Event | None
    reported: bool


@dataclass(frozen=True)
class ReviewItem:
    ref: str  # what a moderator types to decide it: "img:JOB:N", or the event id of a report/appeal
    kind: str  # "picture" | "report" | "appeal"
    user_id: int | None
    summary: str


class ReviewQueue:
    def __init__(self, log: ModerationLog, pictures: Pictures, ledger: QuotaLedger, clock: Clock,
                 quarantine_dir: Path) -> None:
        self.log = log
        self.pictures = pictures
        self.ledger = ledger
        self.clock = clock
        self.quarantine_dir = quarantine_dir

    def waiting(self, limit: int = 50) -> list[ReviewItem]:
        """What waits for a moderator: pictures first, then open reports and appeals, oldest first."""
        items = [ReviewItem(f"img:{i.job_id}:{i.image_idx + 1}", "picture", i.user_id,
                            f"job {i.job_id} picture {i.image_idx + 1}, nsfw {i.nsfw_score or 0:.2f}, "
                            f"prompt {i.prompt[:60]!r}") for i in self.pictures.images_awaiting_review(limit)]
        for event in open_items(self.log.all_events(_QUEUE_ACTIONS)).values():
            what = (f"strike #{event.related_event_id}" if event.related_event_id
                    else f"job {event.target_job_id} picture {(event.target_image_idx or 0) + 1}")
            items.append(ReviewItem(str(event.id), event.action, event.target_user_id,
                                    f"{event.action} of {what}: {event.reason or '(no reason given)'}"))
        return items[:limit]

    def picture(self, job_id: str, idx: int) -> ReviewImage | None:
        return self.pictures.image(job_id, idx)

    def state(self, job_id: str, idx: int) -> PictureState:
        events = self.log.events_for_picture(job_id, idx)
        decisions = [e for e in events if e.action in ("approve", "remove")]
        bans = [e for e in events if e.action == "ban"]
        return PictureState(decisions[-1] if decisions else None, bans[-1] if bans else None,
                            any(e.action == "report" for e in events))

    def decide(self, ref: str, decision: str, actor: str, actor_user_id: int | None = None, note: str = "") -> str:
        decision = decision.lower()
        now = self.clock.now()
        if ref.startswith("img:"):
            _, job_id, number = ref.split(":", 2)
            image = self._image(job_id, int(number) - 1)
            return self._decide_picture(image, decision, actor, actor_user_id, note, None, now)
        event = self.log.event(int(ref)) if ref.isdigit() else None
        if event is None or event.action not in ("report", "appeal") or event.id not in open_items(
                self.log.all_events()):
            raise Refusal("mod_no_open_case", ref=ref)
        if event.action == "report":
            image = self._image(event.target_job_id or "", event.target_image_idx or 0)
            return self._decide_picture(image, decision, actor, actor_user_id, note, event.id, now)
        check_not_own_case(actor_user_id, event.target_user_id)
        if decision not in ("uphold", "deny"):
            raise Refusal("mod_appeal_decided_with")
        action = "appeal_upheld" if decision == "uphold" else "appeal_denied"
        if decision == "uphold" and event.related_event_id is not None:
            # Upholding a strike appeal removes the strike: the answer's related_event_id points at the strike.
            self.log.add_event(action, actor, now=now, actor_user_id=actor_user_id,
                               target_user_id=event.target_user_id, related_event_id=event.related_event_id,
                               reason=note or None, details={"appeal": event.id})
            self.log.add_event("dismiss", actor, now=now, actor_user_id=actor_user_id,
                               target_user_id=event.target_user_id, related_event_id=event.id)
            return Said("mod_appeal_upheld_strike", appeal=event.id)
        self.log.add_event(action, actor, now=now, actor_user_id=actor_user_id, target_user_id=event.target_user_id,
                           target_job_id=event.target_job_id, target_image_idx=event.target_image_idx,
                           related_event_id=event.id, reason=note or None)
        if decision == "uphold" and event.target_user_id is not None:
            reserve = self.ledger.reservation(event.target_job_id or "")
            self.ledger.add_ledger(event.target_user_id, -1, "appeal", now=now, job_id=event.target_job_id,
                                   period=reserve.period if reserve else utc_day(now),
                                   charged_at=reserve.charged_at if reserve else now)
            return Said("mod_appeal_upheld_refund", appeal=event.id)
        return Said("mod_appeal_denied", appeal=event.id)

    def delete_own(self, image: ReviewImage, actor: str, actor_user_id: int) -> None:
        """The member who made a picture takes it down from its public post (the ❌ button). Out of circulation
        like a removed picture — no one can vary or upscale it any more — and quarantined, not erased: a report
        made before the delete can still be judged. Recorded as ``delete_own``; the caller checked the owner."""
        details: dict[str, object] = {"nsfw_score": image.nsfw_score, "automatic": image.decision}
        if image.path:
            details["quarantined"] = self._quarantine(image)
        self.log.add_event("delete_own", actor, now=self.clock.now(), actor_user_id=actor_user_id,
                           target_user_id=image.user_id, target_job_id=image.job_id,
                           target_image_idx=image.image_idx, details=details)

    def _quarantine(self, image: ReviewImage) -> str:
        """Taken out of circulation but kept for the moderation export (training better classifiers)."""
        assert image.path is not None
        self.quarantine_dir.mkdir(parents=True, exist_ok=True)
        kept = self.quarantine_dir / Path(image.path).name
        if Path(image.path).exists():
            shutil.move(image.path, kept)
        self.pictures.set_image_path(image.job_id, image.image_idx, None)
        return str(kept)

    def _image(self, job_id: str, idx: int) -> ReviewImage:
        image = self.pictures.image(job_id, idx)
        if image is None:
            raise Refusal("mod_no_picture", job_id=job_id, number=idx + 1)
        return image

    def _decide_picture(self, image: ReviewImage, decision: str, actor: str, actor_user_id: int | None, note: str,
                        report_id: int | None, now: datetime) -> str:
        check_not_own_case(actor_user_id, image.user_id)
        if decision not in ("approve", "remove"):
            raise Refusal("mod_picture_decided_with")
        earlier = self.state(image.job_id, image.image_idx).decision
        # The same decision twice is one decision; a removed picture is out of circulation for good (an approved
        # one may still be removed: a later report can show what the first look missed).
        if earlier is not None and earlier.action in (decision, "remove"):
            raise Refusal(f"mod_picture_already_{earlier.action}d", number=image.image_idx + 1, job_id=image.job_id,
                          by=earlier.actor)
        details: dict[str, object] = {"nsfw_score": image.nsfw_score, "automatic": image.decision}
        if decision == "remove" and image.path:
            details["quarantined"] = self._quarantine(image)
        self.log.add_event(decision, actor, now=now, actor_user_id=actor_user_id, target_user_id=image.user_id,
                           target_job_id=image.job_id, target_image_idx=image.image_idx, related_event_id=report_id,
                           reason=note or None, details=details)
        return Said("mod_approved" if decision == "approve" else "mod_removed", number=image.image_idx + 1,
                    job_id=image.job_id)
