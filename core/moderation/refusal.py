"""A moderation refusal with its own catalogue sentence: members and moderators read it in their language, while
callers that only know :class:`ModerationError` (the operator's CLI) still get the English sentence."""

from __future__ import annotations

from core.catalogue import said
from safety.moderation import ModerationError


class Refusal(ModerationError):
    def __init__(self, code: str, **values: object) -> None:
        super().__init__(said(code, "en", values), code, **values)
