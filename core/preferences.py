"""A member's own defaults for /imagine (style, sampler, size, steps, negative), set with /prefs. Stored per user,
so accounts linked across platforms share them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from core.storage.models import MemberPreferenceRow


class MemberPreferences:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def all(self, user_id: int) -> dict[str, str]:
        with self.sessions() as s:
            rows = s.execute(select(MemberPreferenceRow.key, MemberPreferenceRow.value).where(
                MemberPreferenceRow.user_id == user_id))
            return {key: value for key, value in rows}

    def set(self, user_id: int, key: str, value: str) -> None:
        with self.sessions.begin() as s:
            row = s.scalars(select(MemberPreferenceRow).where(MemberPreferenceRow.user_id == user_id,
                                                              MemberPreferenceRow.key == key)).first()
            if row is None:
                s.add(MemberPreferenceRow(user_id=user_id, key=key, value=value))
            else:
                row.value, row.updated_at = value, datetime.now(UTC)

    def clear(self, user_id: int, key: str) -> None:
        with self.sessions.begin() as s:
            s.execute(delete(MemberPreferenceRow).where(MemberPreferenceRow.user_id == user_id,
                                                        MemberPreferenceRow.key == key))
