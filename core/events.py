"""Event buses: "job progress" and "job finished" notices. Best effort by design — the database stays the source of
truth and delivery also sweeps it, so a lost event only costs latency."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]
FINISHED = "job.finished"
PROGRESS = "job.progress"


class InMemoryEventBus:
    """For the embedded mode and unit tests: handlers run in the publisher's thread."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._lock = threading.Lock()

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        with self._lock:
            handlers = list(self._handlers[topic])
        for handler in handlers:
            try:
                handler(payload)
            except Exception:  # one bad subscriber must not break the worker
                log.exception("event handler for %s failed", topic)

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        with self._lock:
            self._handlers[topic].append(handler)

        def unsubscribe() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._handlers[topic].remove(handler)

        return unsubscribe


class RedisEventBus:
    """Redis pub/sub between worker processes and bot processes. One listener thread per subscribing process."""

    def __init__(self, url: str, prefix: str = "muralist:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix
        self._local = InMemoryEventBus()
        self._pubsub: Any = None
        self._lock = threading.Lock()

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        try:
            self._redis.publish(self._prefix + topic, json.dumps(payload))
        except Exception:
            log.warning("could not publish %s (the database sweep will catch up)", topic, exc_info=True)

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        with self._lock:
            if self._pubsub is None:
                self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                self._pubsub.psubscribe(**{self._prefix + "*": self._dispatch})
                self._pubsub.run_in_thread(sleep_time=0.2, daemon=True)
        return self._local.subscribe(topic, handler)

    def _dispatch(self, message: dict[str, Any]) -> None:
        topic = message["channel"].decode()[len(self._prefix):]
        try:
            payload = json.loads(message["data"])
        except (ValueError, TypeError):
            return
        self._local.publish(topic, payload)
