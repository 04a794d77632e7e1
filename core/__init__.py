"""muralist core: the generation service, its ports, storage and the Celery worker. No chat SDK is imported here."""

__version__ = "0.1.0"
