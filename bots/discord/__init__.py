"""The Discord adapter: discord.py 2 app commands and persistent buttons, translating to and from ``core``."""


def configure_endpoints(api_base: str, gateway_url: str | None) -> None:
    """Point discord.py at another API base and gateway (a proxy, or the fake Discord the tests run)."""
    import discord.gateway
    import discord.http
    import yarl

    discord.http.Route.BASE = api_base.rstrip("/")
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
