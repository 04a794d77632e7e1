"""Telegram's command menu (the list a member sees after typing "/"), in every catalogue language: Telegram shows
each member the list published for their app's language, and the English one to everyone else."""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand
from telegram.error import TelegramError

from core.catalogue import LANGUAGES, text

log = logging.getLogger(__name__)

# The commands a member sees in Telegram's menu (moderators' commands stay out of it), each described by the catalogue
# code its Discord slash command shares.
MENU = ("imagine", "help", "quota", "history", "license", "accept", "cancel", "styles", "models", "reroll",
        "variations", "upscale", "cartoon", "restore", "report", "appeal", "verify", "prefs", "link", "unlink", "start")


def command_menu(lang: str) -> list[BotCommand]:
    return [BotCommand(name, text(f"cmd_{name}", lang)) for name in MENU]


async def publish_command_menu(bot: Any) -> None:
    """The command list in English for everyone, and in each other catalogue language for the members whose app is
    set to it (Telegram picks the list by the member's language_code). Best effort: the bot works without it."""
    try:
        await bot.set_my_commands(command_menu("en"))
        for lang in LANGUAGES:
            if lang != "en":
                await bot.set_my_commands(command_menu(lang), language_code=lang)
    except TelegramError:
        log.warning("could not publish the command menu", exc_info=True)
