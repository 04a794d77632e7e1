"""A heartbeat per worker process in the database: which models are being served right now."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core import metrics
from core.storage.models import WorkerRow

log = logging.getLogger(__name__)
SERVING_CACHE_S = 1.0


class WorkerRegistry:
    def __init__(self, sessions: sessionmaker[Session], stale_after: float = 30.0) -> None:
        self.sessions = sessions
        self.stale_after = stale_after
        self._serving_seen: dict[str, float] = {}

    def beat(self, name: str, models: list[str]) -> None:
        with self.sessions.begin() as s:
            row = s.get(WorkerRow, name)
            if row is None:
                s.add(WorkerRow(name=name, models=models, last_seen=datetime.now(UTC)))
            else:
                row.models, row.last_seen = models, datetime.now(UTC)
        metrics.heartbeat()

    def serving(self, model: str) -> bool:
        # Every submit asks. A "yes" is remembered for a second (a worker counts as alive for ``stale_after``
        # seconds after its last beat anyway); a "no" is asked again, so a worker that starts is seen at once.
        now = time.monotonic()
        if self._serving_seen.get(model, -1.0) > now - SERVING_CACHE_S:
            return True
        cutoff = datetime.now(UTC) - timedelta(seconds=self.stale_after)
        with self.sessions() as s:
            rows = s.scalars(select(WorkerRow.models).where(WorkerRow.last_seen >= cutoff)).all()
        served = {m for models in rows for m in (models or [])}
        self._serving_seen = {m: now for m in served}
        return model in served

    def start_heartbeat(self, name: str, models: list[str], interval: float = 20.0) -> threading.Event:
        """Beat now and then every ``interval`` seconds until the returned event is set."""
        stop = threading.Event()
        self.beat(name, models)

        def loop() -> None:
            while not stop.wait(interval):
                try:
                    self.beat(name, models)
                except Exception:  # a database hiccup must not kill the worker; the next beat retries
                    log.warning("worker heartbeat failed", exc_info=True)

        threading.Thread(target=loop, name="muralist-heartbeat", daemon=True).start()
        return stop
