"""Moderation rules, as pure functions over an append-only event history (stdlib only; no database here).

Nothing is edited in place: a ban is ended by an ``unban`` event, a strike by ``strike_removed``, a report or a
review item by ``approve``/``remove``, an appeal by ``appeal_upheld``/``appeal_denied``. Current state is always
computed from the history, so the history is the audit log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

HARD_PROMPT_CATEGORIES = frozenset({"minors_sexual", "real_person_sexual", "gore", "hate"})
SYSTEM = "system"

_DURATION = re.compile(r"^\s*(\d{1,6})\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


class ModerationError(ValueError):
    """A request a moderator or member made that cannot be done; ``str(exc)`` is one sentence for them, in English
    (logs, the operator's CLI). ``code`` and ``values`` name the same sentence in core's message catalogue (which
    this layer cannot import), so a chat says it in the member's language; a sentence without its own code is said
    as the catalogue's ``moderation`` entry, which repeats the English."""

    def __init__(self, sentence: str, code: str = "moderation", **values: object) -> None:
        super().__init__(sentence)
        self.code = code
        self.values: dict[str, object] = values if code != "moderation" else {"detail": sentence}


@dataclass(frozen=True)
class Event:
    id: int
    action: str
    actor: str
    created_at: datetime
    actor_user_id: int | None = None
    target_user_id: int | None = None
    target_job_id: str | None = None
    target_image_idx: int | None = None
    related_event_id: int | None = None
    reason: str | None = None
    expires_at: datetime | None = None
    details: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class StrikePolicy:
    strikes_to_suspend: int = 3
    window: timedelta = timedelta(days=7)
    suspension: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class BanStatus:
    banned: bool
    reason: str | None = None
    until: datetime | None = None  # None with banned=True means permanent
    by: str | None = None

    def summary(self) -> str:
        when = "permanently" if self.until is None else f"until {self.until:%Y-%m-%d %H:%M} UTC"
        return f"banned {when} by {self.by}" + (f": {self.reason}" if self.reason else "")

    def sentence(self) -> str:
        when = "permanently" if self.until is None else f"until {self.until:%Y-%m-%d %H:%M} UTC"
        return f"You are banned from making pictures {when}" + (f": {self.reason}." if self.reason else ".")


def parse_duration(text: str) -> timedelta | None:
    """'30m', '12h', '7d', '2w' → a timedelta; 'permanent'/'forever' → None. Anything else is refused."""
    if text.strip().lower() in ("permanent", "forever", "perm"):
        return None
    match = _DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise ModerationError(f"{text!r} is not a duration: use e.g. 30m, 12h, 7d, 2w or permanent.",
                              "mod_bad_duration", duration=text)
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2).lower()])


def ban_status(events: Iterable[Event], now: datetime) -> BanStatus:
    """The latest ban/suspend/unban decides; an expired ban is no ban."""
    latest = None
    for event in sorted(events, key=lambda e: (e.created_at, e.id)):
        if event.action in ("ban", "suspend", "unban"):
            latest = event
    if latest is None or latest.action == "unban":
        return BanStatus(False)
    if latest.expires_at is not None and latest.expires_at <= now:
        return BanStatus(False)
    return BanStatus(True, latest.reason, latest.expires_at, latest.actor)


def active_strikes(events: Iterable[Event], now: datetime, policy: StrikePolicy) -> list[Event]:
    """Strikes inside the window that no upheld appeal or moderator removed."""
    history = list(events)
    removed = {e.related_event_id for e in history if e.action in ("strike_removed", "appeal_upheld")}
    return [e for e in history if e.action == "strike" and e.id not in removed
            and now - e.created_at <= policy.window]


def should_suspend(events: Iterable[Event], now: datetime, policy: StrikePolicy) -> bool:
    history = list(events)
    enough = len(active_strikes(history, now, policy)) >= policy.strikes_to_suspend
    return enough and not ban_status(history, now).banned


def appeal_target_key(event: Event) -> tuple[str | None, int | None, int | None]:
    return (event.target_job_id, event.target_image_idx, event.related_event_id)


def check_appeal(history: Iterable[Event], *, appellant_user_id: int, target_owner_id: int,
                 key: tuple[str | None, int | None, int | None]) -> None:
    """A requester may appeal their own blocked picture or strike, once."""
    if appellant_user_id != target_owner_id:
        raise ModerationError("Only the person it happened to can appeal it.", "appeal_not_yours")
    if any(e.action == "appeal" and appeal_target_key(e) == key for e in history):
        raise ModerationError("You have already appealed this; a moderator will decide once.", "appeal_already_filed")


def check_not_own_case(moderator_user_id: int | None, target_user_id: int | None) -> None:
    if moderator_user_id is not None and moderator_user_id == target_user_id:
        raise ModerationError("Moderators cannot decide their own case; ask another moderator.", "mod_own_case")


def open_items(history: Iterable[Event]) -> dict[int, Event]:
    """Reports and appeals no decision has answered yet, by event id."""
    events = list(history)
    answered = {e.related_event_id for e in events if e.action in ("approve", "remove", "appeal_upheld",
                                                                  "appeal_denied", "dismiss")}
    decided_images = {(e.target_job_id, e.target_image_idx) for e in events if e.action in ("approve", "remove")}
    return {e.id: e for e in events
            if (e.action == "appeal" and e.id not in answered)
            or (e.action == "report" and e.id not in answered
                and (e.target_job_id, e.target_image_idx) not in decided_images)}
