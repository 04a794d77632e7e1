"""The Telegram adapter: python-telegram-bot 22 handlers and inline keyboards, translating to and from ``core``."""
