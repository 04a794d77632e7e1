"""The terminal chat adapter: the embedded default's front door, and an in-memory test backend (one-line tests)."""
