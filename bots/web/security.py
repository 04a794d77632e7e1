"""The console's cookie and form guards: the signed session cookie holds only a random session id (the database
keeps its hash), and every form carries a CSRF token derived from that id, so a page from elsewhere cannot post one."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)
SESSION_KEY = "sid"


def csrf_token(secret: str, session_id: str) -> str:
    """The same for every form of one session; a different session (or none) never matches."""
    return hmac.new(secret.encode(), b"csrf:" + session_id.encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: str, session_id: str | None, sent: str | None) -> bool:
    if not session_id or not sent:
        return False
    return hmac.compare_digest(csrf_token(secret, session_id), sent)


def cookie_secret(configured: str | None, data_dir: Path) -> str:
    """``MURALIST_WEB_SECRET``, or a random key kept (owner-only) in the data dir, so sessions survive a restart."""
    if configured:
        return configured
    path = data_dir / "web-secret"
    if path.is_file():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key)
    log.info("made a cookie signing key in the data dir (set MURALIST_WEB_SECRET to choose one)")
    return key
