"""Logging for every muralist process: one log file under the data dir, a quiet terminal, and no secret in either.

Secrets reach log lines in ways no call site controls: httpx logs every request URL, and the Telegram Bot API puts
the bot token in the URL path (``…/bot<id>:<secret>/getUpdates``); a database error quotes its connection URL; a
traceback quotes the line that failed. So redaction sits on the handlers and runs after formatting: the message with
its arguments, the exception text and the stack are rendered first, then every secret is replaced with ``***``.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus, unquote, urlsplit

from pydantic import BaseModel, SecretBytes, SecretStr

if TYPE_CHECKING:
    from core.config import Settings

REDACTED = "***"
LOG_FILE = "muralist.log"
# Any Telegram bot token in a URL, configured or not (a second bot, a token pasted into an error): bot<id>:<secret>.
_TELEGRAM_TOKEN = re.compile(r"\bbot\d+:[A-Za-z0-9_-]+")
# The password of any URL with credentials (scheme://user:password@host), configured or not: a broker URL quoted by a
# library, a replica's URL in a database error. Anchored on "://" so a long line costs one scan.
_URL_PASSWORD = re.compile(r"(://[^\s:/@]*:)[^\s@/]+@")
# Settings keys (and keys inside dict/list settings such as MURALIST_MODELS) whose values are secrets as a whole.
_SECRET_NAME = re.compile(r"token|password|passwd|secret|api_?key|credential", re.IGNORECASE)
# Read by libraries muralist uses (the Hugging Face hub), not by Settings, yet a secret all the same.
_SECRET_ENV = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")


def secrets_of(settings: BaseModel) -> set[str]:
    """Every secret value in ``settings``: SecretStr fields, fields and keys named like a secret, and the password
    inside any URL (database_url, broker_url, events_url…). Found by walking the fields rather than by a list of
    names, so a secret setting added later is redacted without anyone remembering to list it here."""
    found: set[str] = set()
    for name in type(settings).model_fields:
        _collect(getattr(settings, name, None), bool(_SECRET_NAME.search(name)), found)
    found.update(v for v in (os.environ.get(k) for k in _SECRET_ENV) if v)
    return found


def _collect(value: Any, named_secret: bool, found: set[str]) -> None:
    if isinstance(value, SecretStr | SecretBytes):
        secret = value.get_secret_value()
        _collect(secret.decode("utf-8", "replace") if isinstance(secret, bytes) else secret, True, found)
    elif isinstance(value, str):
        if named_secret:
            found.add(value)
        if "://" in value:
            try:
                password = urlsplit(value).password
            except ValueError:  # not a URL after all (a bad port, a stray bracket)
                password = None
            if password:  # as written in the URL (percent-encoded) and as the server sees it
                found.update({password, unquote(password)})
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _collect(item, named_secret or bool(_SECRET_NAME.search(str(key))), found)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _collect(item, named_secret, found)


class Redactor:
    """Replaces known secrets (as written, URL-encoded and URL-decoded: a password shows up in both forms), any
    Telegram bot token and any URL password with ``***``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        forms = {form for s in secrets if s for form in (s, quote(s, safe=""), quote_plus(s, safe=""), unquote(s))}
        # Longest first, so a secret that contains another is replaced whole rather than leaving its tail behind.
        ordered = sorted((f for f in forms if f), key=len, reverse=True)
        self._known = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __call__(self, text: str) -> str:
        if self._known is not None:
            text = self._known.sub(REDACTED, text)
        text = _TELEGRAM_TOKEN.sub("bot" + REDACTED, text)
        return _URL_PASSWORD.sub(r"\1" + REDACTED + "@", text)


_TRACEBACKS = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Renders a record's message, exception and stack to text and redacts that text, in place: whatever formatter
    a handler has then only ever sees the redacted text (``exc_info`` is dropped once ``exc_text`` holds the
    redacted traceback, so no formatter can render the original again)."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line, nor raise at the logging call
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install_redaction(handler: logging.Handler, redact: Redactor) -> None:
    """Adds the redacting filter last, so it runs on records the handler's other filters let through."""
    if not any(isinstance(f, RedactingFilter) for f in handler.filters):
        handler.addFilter(RedactingFilter(redact))


class _OneLine(logging.Formatter):
    """The terminal's format: a traceback is replaced by where to read it, so an operator's screen shows one line per
    event however it failed (the log file has the full text)."""

    def __init__(self, log_file: Path) -> None:
        super().__init__()
        self.log_file = log_file

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            text = super().format(record)
        finally:
            # The record is shared with the file handler, which must still see the traceback.
            record.exc_info, record.exc_text, record.stack_info = saved
        if saved[0] or saved[1]:
            text += f" (the traceback is in {self.log_file})"
        return text


def file_handler(settings: Settings, redact: Redactor | None = None) -> logging.FileHandler:
    """The handler for the log file under the data dir, redacting. Alone, for a command that only logs what went
    wrong (``muralist safety …`` writes an internal error's traceback there and one sentence on the terminal)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # backslashreplace: a lone surrogate in a logged prompt must not turn into a "Logging error" traceback.
    handler = logging.FileHandler(settings.data_dir / LOG_FILE, encoding="utf-8", errors="backslashreplace")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    install_redaction(handler, redact or Redactor(secrets_of(settings)))
    return handler


def setup_logging(settings: Settings, verbose: bool = False) -> Path:
    """Everything to a log file under the data dir; only safety warnings and errors on the terminal (everything from
    INFO when ``verbose``). Every handler on the root logger redacts the secrets in ``settings``. Returns the log
    file's path."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log_file = settings.data_dir / LOG_FILE
    redact = Redactor(secrets_of(settings))
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(file_handler(settings, redact))
    loud = logging.StreamHandler(sys.stderr)
    loud.setLevel(logging.INFO if verbose else logging.WARNING)
    loud.addFilter(lambda r: verbose or r.name.startswith("safety") or r.levelno >= logging.ERROR)
    loud.setFormatter(_OneLine(log_file))
    root.addHandler(loud)
    for handler in root.handlers:  # also any a library installed before us
        install_redaction(handler, redact)
    # Their INFO lines are one per HTTP request, each with the full URL: noise, and the Bot API token is in the path.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return log_file
