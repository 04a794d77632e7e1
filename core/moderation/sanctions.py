"""Bans, strikes and suspensions — what a member may no longer do — and the history they are kept in."""

from __future__ import annotations

from core.moderation.ports import ModerationLog
from core.moderation.refusal import Refusal
from core.moderation.said import Said
from core.ports import Clock
from safety.moderation import (
    HARD_PROMPT_CATEGORIES,
    SYSTEM,
    BanStatus,
    Event,
    StrikePolicy,
    active_strikes,
    ban_status,
    check_not_own_case,
    parse_duration,
    should_suspend,
)


def _named(user_id: int, label: str | None) -> tuple[str, dict[str, object]]:
    """The catalogue part that names the member in a sentence: their label, or "User #ID" without one."""
    return ("mod_member", {"label": label}) if label else ("mod_user_number", {"user_id": user_id})


class Sanctions:
    def __init__(self, log: ModerationLog, clock: Clock, policy: StrikePolicy) -> None:
        self.log = log
        self.clock = clock
        self.policy = policy

    def history(self, user_id: int) -> list[Event]:
        """Every moderation event about a member, oldest first."""
        return self.log.events_for_user(user_id)

    def record_denied(self, actor: str, what: str) -> None:
        """Someone without the right tried a moderator's action: kept in the audit log."""
        self.log.add_event("denied", actor, now=self.clock.now(), reason=f"not a moderator: {what}")

    def ban_status(self, user_id: int, events: list[Event] | None = None) -> BanStatus:
        """``events``: the user's history when the caller already has it (submit reads it once for ban and tier)."""
        return ban_status(self.history(user_id) if events is None else events, self.clock.now())

    def ban(self, user_id: int, actor: str, duration: str, reason: str, actor_user_id: int | None = None, *,
            label: str | None = None, picture: tuple[str, int] | None = None) -> str:
        """``label``: how the sentence names the member (default "User #ID"); ``picture``: (job, index) when the
        ban is for a picture, so the moderators' post of that picture can say so."""
        check_not_own_case(actor_user_id, user_id)
        if not reason.strip():
            raise Refusal("mod_ban_needs_reason")
        length = parse_duration(duration)
        now = self.clock.now()
        until = None if length is None else now + length
        job_id, image_idx = picture if picture is not None else (None, None)
        self.log.add_event("ban", actor, now=now, actor_user_id=actor_user_id, target_user_id=user_id,
                           reason=reason.strip()[:500], expires_at=until, target_job_id=job_id,
                           target_image_idx=image_idx)
        if until is None:
            return Said("mod_banned_permanently", who_code=_named(user_id, label))
        return Said("mod_banned_until", who_code=_named(user_id, label), until=f"{until:%Y-%m-%d %H:%M}")

    def unban(self, user_id: int, actor: str, reason: str = "", actor_user_id: int | None = None, *,
              label: str | None = None) -> str:
        check_not_own_case(actor_user_id, user_id)
        if not self.ban_status(user_id).banned:
            raise Refusal("mod_not_banned", who_code=_named(user_id, label))
        self.log.add_event("unban", actor, now=self.clock.now(), actor_user_id=actor_user_id,
                           target_user_id=user_id, reason=reason or None)
        return Said("mod_unbanned", who_code=_named(user_id, label))

    def strike_for_prompt(self, user_id: int, categories: tuple[str, ...], prompt: str) -> dict[str, str] | None:
        """A prompt blocked for a hard category is a strike; enough strikes in the window suspend automatically.
        Returns the suspension's values (catalogue ``suspended``) when they were suspended."""
        hard = sorted(set(categories) & HARD_PROMPT_CATEGORIES)
        if not hard:
            return None
        now = self.clock.now()
        self.log.add_event("strike", SYSTEM, now=now, target_user_id=user_id, reason=", ".join(hard),
                           details={"prompt": prompt[:500]})
        history = self.history(user_id)
        if not should_suspend(history, now, self.policy):
            return None
        until = now + self.policy.suspension
        strikes = len(active_strikes(history, now, self.policy))
        reason = f"{strikes} blocked prompts in {self.policy.window.days} days"
        self.log.add_event("suspend", SYSTEM, now=now, target_user_id=user_id, reason=reason, expires_at=until)
        return {"until": f"{until:%Y-%m-%d %H:%M}", "reason": reason}
