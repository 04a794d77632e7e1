"""What a running job tells the chats while it works: its step, and now and then a small preview picture.

The worker publishes one :class:`ProgressEvent` per throttled step on the event bus (Redis pub/sub between
processes, the same channel the step counts always used); a preview rides along as a base64 JPEG of at most
:data:`MAX_PREVIEW_BYTES`. The bus is best effort, so a lost preview only means an older one stays up a little longer.
No torch here: bots import this module.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

MAX_PREVIEW_BYTES = 64 * 1024  # a preview is a thumbnail: anything bigger is refused, wherever it came from
PREVIEW_INTERVAL_S = 2.0  # the worker makes at most one preview per job this often (chats edit no faster anyway)

PreviewSource = Callable[[], bytes | None]
"""Makes the preview JPEG of the current step — only called when the throttle wants one (it costs a decode)."""


class ProgressCallback(Protocol):
    """What a pipeline calls after each denoising step; ``preview`` is offered when the pipeline can make one."""

    def __call__(self, step: int, total: int, preview: PreviewSource | None = None, /) -> None: ...


@dataclass(frozen=True)
class ProgressEvent:
    job_id: str
    step: int
    total: int
    preview: bytes | None = None  # a JPEG, at most MAX_PREVIEW_BYTES

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {"job_id": self.job_id, "step": self.step, "total": self.total}
        if self.preview is not None:
            out["preview"] = base64.b64encode(self.preview).decode("ascii")
        return out

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ProgressEvent | None:
        """The event, or None when the payload is malformed; an oversized or undecodable preview is dropped (the
        step still counts)."""
        try:
            job_id, step, total = str(payload["job_id"]), int(payload["step"]), int(payload["total"])
        except (KeyError, TypeError, ValueError):
            return None
        if not job_id or not 0 <= step <= total:
            return None
        preview = None
        encoded = payload.get("preview")
        # base64 is 4/3 of the bytes: check the text's length before decoding anything.
        if isinstance(encoded, str) and len(encoded) <= (MAX_PREVIEW_BYTES * 4) // 3 + 4:
            try:
                preview = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                preview = None
            if preview is not None and len(preview) > MAX_PREVIEW_BYTES:
                preview = None
        return cls(job_id, step, total, preview)
