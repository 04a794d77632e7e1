"""`/verify`: was this picture made here? Reads the invisible provenance mark (:mod:`core.provenance`, NumPy only:
no torch in the process that asks), looks its id up, answers with the job, the date and — to those who may see it —
the member who made it, and records every check in the moderation log (action ``verify``) for the moderators. When
the picture carries C2PA content credentials (:mod:`core.content_credentials`), the answer adds who signed them and
for which job — or that they no longer match the picture.

A chat member hands over the picture's bytes; a file path only from the local operator's console, like input
pictures (``Requester.local``). The picture is opened with the same defences as any untrusted picture, with a pixel
limit that bounds the decoding time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from core.content_credentials import Credentials, describe, read_credentials
from core.domain import Notice, Rejected, Reply, Requester
from core.moderation.ports import ModerationLog
from core.ports import Clock
from core.provenance import read_mark
from safety.image_input import BadImage, open_untrusted, read_untrusted_file

# Reading a mark costs ~0.05-0.1 s per 512x512 on one core and grows with the pixels, so the pixels are bounded: the
# largest picture this service makes (768x768 upscaled 4x) and no more.
MAX_VERIFY_PIXELS = 3072 * 3072
MAX_VERIFY_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class MarkedPicture:
    """What the database knows of the picture a mark id was given to."""

    job_id: str
    index: int  # 0-based
    made_at: datetime
    user_id: int
    platform: str
    chat_id: str | None
    display_name: str | None


class MarkIndex(Protocol):
    def find_mark(self, mark_id: str) -> MarkedPicture | None: ...
    def find_user(self, platform: str, external_id: str) -> int | None: ...


@dataclass(frozen=True)
class Verification:
    """The answer and what the operator's command prints: the mark read (if any) and the picture it names."""

    reply: Reply
    mark_id: str | None
    picture: MarkedPicture | None
    credentials: Credentials | None = None


class Verifier:
    def __init__(self, marks: MarkIndex, events: ModerationLog, clock: Clock) -> None:
        self.marks = marks
        self.log = events
        self.clock = clock

    def verify(self, who: Requester, source: bytes | str) -> Verification:
        """``source``: the picture's bytes, or (local operator only) a file path."""
        if isinstance(source, str) and not who.local:
            return Verification(Rejected("input_paths"), None, None)
        try:
            data = source if isinstance(source, bytes) else read_untrusted_file(Path(source).expanduser(),
                                                                                 max_bytes=MAX_VERIFY_BYTES)
            picture = open_untrusted(data, max_bytes=MAX_VERIFY_BYTES, max_pixels=MAX_VERIFY_PIXELS)
        except BadImage as exc:
            return Verification(Rejected("input", exc.said()), None, None)
        mark_id = read_mark(picture)
        found = self.marks.find_mark(mark_id) if mark_id else None
        credentials = read_credentials(data)
        self._record(who, hashlib.sha256(data).hexdigest(), mark_id, found, credentials)
        # The credentials' sentence, when the picture carries any, is said after the mark's.
        note: dict[str, object] = {"note_code": describe(credentials)}
        if found is None:
            return Verification(Notice("verify_none", note), mark_id, None, credentials)
        values: dict[str, object] = {"job_id": found.job_id, "number": found.index + 1,
                                     "date": f"{found.made_at:%Y-%m-%d %H:%M} UTC", **note}
        if self._may_name(who, found):
            return Verification(Notice("verify_found", {**values, "member": found.display_name or "?"}), mark_id,
                                found, credentials)
        return Verification(Notice("verify_found_hidden", values), mark_id, found, credentials)

    def _may_name(self, who: Requester, found: MarkedPicture) -> bool:
        """The maker is named to the local operator, to the maker, and in the chat the picture was made in; anyone
        else learns only that it was made here."""
        if who.local:
            return True
        if found.platform == who.platform and found.chat_id is not None and found.chat_id == who.chat_id:
            return True
        return self.marks.find_user(who.platform, who.user_id) == found.user_id

    def _record(self, who: Requester, sha256: str, mark_id: str | None, found: MarkedPicture | None,
                credentials: Credentials | None) -> None:
        """Every check is recorded before the answer goes out (a database outage means "busy", not an unrecorded
        answer): who asked, in which chat, a fingerprint of the picture and what was found."""
        self.log.add_event(
            "verify", f"{who.platform}:{who.user_id}", now=self.clock.now(),
            actor_user_id=self.marks.find_user(who.platform, who.user_id),
            target_job_id=found.job_id if found else None, target_image_idx=found.index if found else None,
            details={"picture_sha256": sha256, "mark_id": mark_id, "made_here": found is not None,
                     "maker_user_id": found.user_id if found else None, "chat_id": who.chat_id,
                     "content_credentials": credentials.summary() if credentials else None})
