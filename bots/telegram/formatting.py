"""Telegram's HTML parse mode for every message and caption the bot sends.

Members type the prompts and names the bot repeats, so every sentence is escaped whole (``<b>x</b> & co`` shows as
typed, and cannot break or restyle the message); the only markup the bot adds itself is job ids set as code, which a
tap copies — handy for /reroll, /upscale and /report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape

from telegram.constants import ParseMode

PARSE_MODE = ParseMode.HTML
_JOB_ID = re.compile(r"[a-z0-9]{10}")  # core's job ids: no tag or entity name is ten such characters


def as_html(sentence: str, limit: int, *, code: Iterable[str] = ()) -> str:
    """One rendered sentence as Telegram HTML. It is cut to ``limit`` first: Telegram counts the characters of the
    text after parsing, and a cut inside ``&amp;`` would not parse at all."""
    out = escape(sentence[:limit].strip(), quote=False)
    for job_id in dict.fromkeys(code):  # each id once: a second pass would nest <code> inside <code>
        if _JOB_ID.fullmatch(job_id):
            out = re.sub(rf"\b{job_id}\b", f"<code>{job_id}</code>", out)
    return out
