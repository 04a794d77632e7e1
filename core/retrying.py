"""Database steps that outlive an outage: retried with capped exponential backoff while the database is unreachable,
so a worker never drops a job it could not record. Only connection-level failures are retried; a constraint or
programming error surfaces at once."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger(__name__)
T = TypeVar("T")


class StorageUnavailable(RuntimeError):
    """The database stayed unreachable for the whole retry budget."""


def is_outage(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError | InterfaceError | DisconnectionError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def with_retry(step: Callable[[], T], what: str, budget_s: float = 120.0, first_wait: float = 0.25,
               sleep: Callable[[float], None] = time.sleep) -> T:
    """Run ``step``; on a database outage wait (0.25 s, doubling, at most 5 s) and try again until ``budget_s`` is
    spent, then raise :class:`StorageUnavailable`."""
    deadline = time.monotonic() + budget_s
    wait = first_wait
    while True:
        try:
            return step()
        except Exception as exc:
            if not is_outage(exc):
                raise
            if time.monotonic() + wait > deadline:
                raise StorageUnavailable(f"the database stayed unreachable while trying to {what}") from exc
            log.warning("database unreachable while trying to %s; retrying in %.2f s", what, wait)
            sleep(wait)
            wait = min(wait * 2, 5.0)
