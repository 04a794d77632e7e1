"""Slash-command names stay as typed, but their descriptions, option descriptions and choice names are read in the
member's client language: each is a ``locale_str`` naming its catalogue code, and discord.py asks
:class:`CatalogueTranslator` for every locale when the commands are synced (Discord then shows each member their own
language). English is the string itself, so nothing changes for a client without a translation."""

from __future__ import annotations

from discord import Locale, app_commands

from core.catalogue import MESSAGES, language, text


def described(code: str) -> app_commands.locale_str:
    """A description (or choice name) from the catalogue: English as the default, the code for the translator."""
    return app_commands.locale_str(text(code, "en"), code=code)


class CatalogueTranslator(app_commands.Translator):
    async def translate(self, string: app_commands.locale_str, locale: Locale,
                        context: app_commands.TranslationContextTypes) -> str | None:
        """The catalogue's text in ``locale``'s language; None (Discord shows the English default) for English, a
        language the catalogue lacks, or a string that names no code."""
        code = string.extras.get("code")
        lang = language(locale.value)
        if code not in MESSAGES or lang == "en" or lang not in MESSAGES[code]:
            return None
        return text(code, lang)
