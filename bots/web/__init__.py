"""The moderation web console (`muralist web`): an adapter like the chat bots, on the facade and the console's
read side in core."""
