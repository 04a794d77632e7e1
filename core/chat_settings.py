"""Per-chat settings (platform, scope such as a guild or a group, key → value), e.g. where moderators are told."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from core.storage.models import ChatSettingRow

MOD_CHANNEL = "mod_channel"
NSFW_ALLOWED = "nsfw_allowed"
# Who may use the Reroll / Upscale / Variations buttons under someone else's picture in a chat: "anyone" (the
# default: charged to the presser, and the reply says so) or "owner" (others get one sentence).
OTHERS_BUTTONS = "others_buttons"
OTHERS_BUTTONS_VALUES = ("anyone", "owner")
GLOBAL_SCOPE = "global"  # platforms with one moderators' chat for the whole bot (Telegram)


class ChatSettings:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def get(self, platform: str, scope_id: str, key: str) -> str | None:
        with self.sessions() as s:
            return s.scalar(select(ChatSettingRow.value).where(
                ChatSettingRow.platform == platform, ChatSettingRow.scope_id == scope_id, ChatSettingRow.key == key))

    def set(self, platform: str, scope_id: str, key: str, value: str, by: str) -> None:
        with self.sessions.begin() as s:
            row = s.scalars(select(ChatSettingRow).where(
                ChatSettingRow.platform == platform, ChatSettingRow.scope_id == scope_id,
                ChatSettingRow.key == key)).first()
            if row is None:
                s.add(ChatSettingRow(platform=platform, scope_id=scope_id, key=key, value=value, updated_by=by))
            else:
                row.value, row.updated_by, row.updated_at = value, by, datetime.now(UTC)

    def all(self, platform: str, scope_id: str) -> dict[str, str]:
        """Every setting of one chat, read at once (a submit reads its limits and defaults together)."""
        with self.sessions() as s:
            rows = s.execute(select(ChatSettingRow.key, ChatSettingRow.value).where(
                ChatSettingRow.platform == platform, ChatSettingRow.scope_id == scope_id))
            return {key: value for key, value in rows}

    def clear(self, platform: str, scope_id: str, key: str) -> None:
        with self.sessions.begin() as s:
            s.execute(delete(ChatSettingRow).where(ChatSettingRow.platform == platform,
                                                   ChatSettingRow.scope_id == scope_id, ChatSettingRow.key == key))
