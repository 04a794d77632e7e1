"""What members file: a report of a picture they saw, and an appeal of a blocked picture or a strike against them.
Both wait in the review queue until a moderator decides (:mod:`core.moderation.review`)."""

from __future__ import annotations

from core.moderation.ports import DuplicateReport, ModerationLog, Pictures
from core.moderation.refusal import Refusal
from core.moderation.said import Said
from core.ports import Clock
from safety.moderation import check_appeal


class ReportsAndAppeals:
    def __init__(self, log: ModerationLog, pictures: Pictures, clock: Clock) -> None:
        self.log = log
        self.pictures = pictures
        self.clock = clock

    def report(self, reporter_user_id: int, job_id: str, image_idx: int, reason: str) -> str:
        image = self.pictures.image(job_id, image_idx)
        if image is None or image.path is None:
            raise Refusal("mod_no_delivered_picture", number=image_idx + 1, job_id=job_id)
        if any(e.action == "report" and e.actor_user_id == reporter_user_id
               for e in self.log.events_for_picture(job_id, image_idx)):
            raise Refusal("report_duplicate")  # one report per member per picture: a second would only be noise
        try:
            event_id = self.log.add_event("report", f"user:{reporter_user_id}", now=self.clock.now(),
                                          actor_user_id=reporter_user_id, target_user_id=image.user_id,
                                          target_job_id=job_id, target_image_idx=image_idx,
                                          reason=reason.strip()[:500] or None)
        except DuplicateReport:  # the same member's second press, handled at the same moment as the first
            raise Refusal("report_duplicate") from None
        return Said("mod_reported", number=image_idx + 1, job_id=job_id, report=event_id)

    def appeal(self, user_id: int, target: str, reason: str = "") -> str:
        """``target``: 'JOB N' for a blocked picture, or 'strike ID'."""
        parts = target.split()
        now = self.clock.now()
        history = self.log.all_events(("appeal",))
        if len(parts) == 2 and parts[0].lower() == "strike" and parts[1].lstrip("#").isdigit():
            strike = self.log.event(int(parts[1].lstrip("#")))
            if strike is None or strike.action != "strike":
                raise Refusal("mod_no_strike", strike=parts[1].lstrip("#"))
            check_appeal(history, appellant_user_id=user_id, target_owner_id=strike.target_user_id or -1,
                         key=(None, None, strike.id))
            event_id = self.log.add_event("appeal", f"user:{user_id}", now=now, actor_user_id=user_id,
                                          target_user_id=user_id, related_event_id=strike.id, reason=reason or None)
        elif len(parts) in (1, 2) and (len(parts) == 1 or parts[1].isdigit()):
            job_id, idx = parts[0], (int(parts[1]) - 1 if len(parts) == 2 else 0)
            image = self.pictures.image(job_id, idx)
            if image is None or image.decision != "block":
                raise Refusal("mod_no_blocked_picture", job_id=job_id, number=idx + 1)
            check_appeal(history, appellant_user_id=user_id, target_owner_id=image.user_id, key=(job_id, idx, None))
            event_id = self.log.add_event("appeal", f"user:{user_id}", now=now, actor_user_id=user_id,
                                          target_user_id=user_id, target_job_id=job_id, target_image_idx=idx,
                                          reason=reason or None)
        else:
            raise Refusal("mod_appeal_usage")
        return Said("mod_appeal_filed", appeal=event_id)
