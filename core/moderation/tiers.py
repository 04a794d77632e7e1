"""How many pictures a member gets: the best of their tiers (a platform role, or one an admin granted) and the extra
pictures an admin granted for the current period."""

from __future__ import annotations

from core.domain import QuotaRules, QuotaSettings, utc_day
from core.moderation.ports import ModerationLog, QuotaLedger
from core.ports import Clock
from safety.moderation import Event, ModerationError, check_not_own_case, parse_duration


class QuotaTiers:
    def __init__(self, log: ModerationLog, ledger: QuotaLedger, quota: QuotaSettings, clock: Clock) -> None:
        self.log = log
        self.ledger = ledger
        self.quota = quota
        self.clock = clock

    def grant_pictures(self, user_id: int, pictures: int, actor: str, reason: str = "",
                       actor_user_id: int | None = None) -> str:
        check_not_own_case(actor_user_id, user_id)
        if pictures <= 0:
            raise ModerationError("A grant must be a positive number of pictures.")
        now = self.clock.now()
        self.ledger.add_ledger(user_id, -pictures, "grant", now=now, period=utc_day(now))
        self.log.add_event("grant_quota", actor, now=now, actor_user_id=actor_user_id, target_user_id=user_id,
                           reason=reason or None, details={"pictures": pictures})
        return f"User #{user_id} gets {pictures} extra pictures for the current quota period."

    def grant_tier(self, user_id: int, tier: str, actor: str, duration: str = "permanent",
                   actor_user_id: int | None = None) -> str:
        check_not_own_case(actor_user_id, user_id)
        names = dict(self.quota.tiers)
        if tier not in names:
            raise ModerationError(f"No tier {tier!r}; tiers: {', '.join(names) or '(none configured)'}.")
        length = parse_duration(duration)
        now = self.clock.now()
        self.log.add_event("grant_tier", actor, now=now, actor_user_id=actor_user_id, target_user_id=user_id,
                           reason=tier, expires_at=None if length is None else now + length)
        return f"User #{user_id} is in tier {tier} ({names[tier]} pictures a day)."

    def quota_rules(self, user_id: int | None, platform_tiers: frozenset[str] = frozenset(),
                    events: list[Event] | None = None) -> tuple[QuotaRules, str]:
        """The user's rules: the best of their platform tiers (roles, chat membership) and admin-granted tiers.
        ``events``: the user's history when the caller already has it."""
        held = set(platform_tiers)
        if user_id is not None:
            now = self.clock.now()
            history = self.log.events_for_user(user_id) if events is None else events
            held |= {e.reason or "" for e in history
                     if e.action == "grant_tier" and (e.expires_at is None or e.expires_at > now)}
        return self.quota.rules_for(held)
