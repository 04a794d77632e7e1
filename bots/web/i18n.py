"""The console's pages in the moderator's language: the language comes from the browser's Accept-Language (the
console keeps no language of its own for a moderator), and every label is a catalogue code the templates look up
with ``t(code, **values)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

from core.catalogue import LANGUAGES, MESSAGES, language


def preferred_language(accept_language: str | None) -> str:
    """The catalogue language the browser prefers most (``zh-CN,zh;q=0.9,en;q=0.8`` → zh; weights honoured, a
    language the catalogue lacks skipped); English when none is offered."""
    offered: list[tuple[float, int, str]] = []
    for at, part in enumerate((accept_language or "")[:500].split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        lang = language(tag.strip())
        if tag.strip() and weight > 0 and lang in LANGUAGES and tag.strip().lower().startswith(lang):
            offered.append((-weight, at, lang))
    return min(offered)[2] if offered else "en"


def translator(lang: str) -> Callable[..., Markup]:
    """``t(code, **values)`` for the templates: the catalogue's text, HTML-escaped, with its values escaped too
    unless they are markup the template built itself (a ``<kbd>`` key, a link)."""
    def t(code: str, **values: Any) -> Markup:
        entry = MESSAGES[code]
        return Markup(escape(entry.get(lang, entry["en"]))).format(**values)
    return t


def kbd(key: str) -> Markup:
    return Markup("<kbd>{}</kbd>").format(key)
