"""Moderation rules over an event history, with a fake clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from safety.moderation import (
    Event,
    ModerationError,
    StrikePolicy,
    active_strikes,
    ban_status,
    check_appeal,
    check_not_own_case,
    open_items,
    parse_duration,
    should_suspend,
)
from tests.fakes import FakeClock

CLOCK = FakeClock()
T0 = CLOCK.now()


def ev(i: int, action: str, minutes: float = 0, **kw: object) -> Event:
    return Event(id=i, action=action, actor="mod", created_at=T0 + timedelta(minutes=minutes), **kw)  # type: ignore[arg-type]


def test_durations() -> None:
    assert parse_duration("30m") == timedelta(minutes=30)
    assert parse_duration("7d") == timedelta(days=7)
    assert parse_duration("permanent") is None
    for bad in ("", "7", "-3d", "0h", "seven days", "3y"):
        with pytest.raises(ModerationError):
            parse_duration(bad)


def test_ban_expires_and_unban_ends_it() -> None:
    ban = ev(1, "ban", reason="spam", expires_at=T0 + timedelta(days=1))
    assert ban_status([ban], T0 + timedelta(hours=1)).banned
    assert not ban_status([ban], T0 + timedelta(days=1, seconds=1)).banned
    assert not ban_status([ban, ev(2, "unban", 5)], T0 + timedelta(hours=1)).banned
    permanent = ban_status([ev(3, "ban", reason="abuse")], T0 + timedelta(days=999))
    assert permanent.banned and permanent.until is None and "permanently" in permanent.sentence()


def test_three_strikes_in_the_window_suspend_but_old_or_removed_ones_do_not() -> None:
    policy = StrikePolicy(strikes_to_suspend=3, window=timedelta(days=7))
    strikes = [ev(1, "strike"), ev(2, "strike", 10), ev(3, "strike", 20)]
    assert should_suspend(strikes, T0 + timedelta(hours=1), policy)
    assert not should_suspend(strikes, T0 + timedelta(days=8), policy)  # fell out of the window
    removed = [*strikes, ev(4, "strike_removed", 30, related_event_id=2)]
    assert len(active_strikes(removed, T0 + timedelta(hours=1), policy)) == 2
    assert not should_suspend(removed, T0 + timedelta(hours=1), policy)
    already = [*strikes, ev(5, "suspend", 25, expires_at=T0 + timedelta(days=1))]
    assert not should_suspend(already, T0 + timedelta(hours=1), policy)  # no second suspension on top


def test_an_appeal_is_once_and_only_by_the_person_concerned() -> None:
    key = ("job1", 0, None)
    check_appeal([], appellant_user_id=7, target_owner_id=7, key=key)
    with pytest.raises(ModerationError, match="Only the person"):
        check_appeal([], appellant_user_id=8, target_owner_id=7, key=key)
    filed = [ev(1, "appeal", target_job_id="job1", target_image_idx=0)]
    with pytest.raises(ModerationError, match="already appealed"):
        check_appeal(filed, appellant_user_id=7, target_owner_id=7, key=key)


def test_moderators_cannot_judge_themselves() -> None:
    with pytest.raises(ModerationError, match="own case"):
        check_not_own_case(5, 5)
    check_not_own_case(None, 5)
    check_not_own_case(4, 5)


def test_open_items_close_when_answered() -> None:
    report = ev(1, "report", target_job_id="j", target_image_idx=0)
    appeal = ev(2, "appeal", related_event_id=9)
    assert set(open_items([report, appeal])) == {1, 2}
    assert set(open_items([report, appeal, ev(3, "approve", target_job_id="j", target_image_idx=0)])) == {2}
    assert set(open_items([report, appeal, ev(4, "dismiss", related_event_id=2)])) == {1}
