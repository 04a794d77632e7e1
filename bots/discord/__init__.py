"""The Discord adapter: discord.py 2 app commands and persistent buttons, translating to and from ``core``."""
