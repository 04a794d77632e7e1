"""The lists the chat bots show — /help, /styles, /models — as plain text from the catalogue, written once for
Discord and Telegram (the console prints its own terminal tables)."""

from __future__ import annotations

from core.app import Muralist
from core.catalogue import text


def help_text(lang: str, platform: str) -> str:
    """The commands, then how this chat takes a spoken prompt (a Telegram voice note; Discord's voice option or a
    direct voice message)."""
    return "\n".join(text(code, lang) for code in ("help", "help_more", "help_cartoon", "help_style",
                                                  f"help_voice_{platform}"))


def styles_text(app: Muralist, lang: str) -> str:
    return "\n".join([text("styles_header", lang), *(text("style_line", lang, name=name, description=description)
                                                      for name, description in app.styles())])


def models_text(app: Muralist, lang: str) -> str:
    return "\n".join([text("models_header", lang), *(
        text("model_line" if m.served else "model_line_unserved", lang, name=m.name, size=m.default_size,
             steps=m.default_steps, licence=m.licence_id) for m in app.models())])
