"""Database helpers: retries on contention, and short bursts for async views."""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.db import DatabaseError, connection

logger = logging.getLogger("brisk.db")

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

# SQLSTATE classes that mean "run it again": serialization failure and deadlock.
RETRYABLE_SQLSTATES = {"40001", "40P01"}


def is_contention(exc: BaseException) -> bool:
    cause = exc.__cause__ if isinstance(exc, DatabaseError) else exc
    return getattr(cause, "sqlstate", None) in RETRYABLE_SQLSTATES


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Full jitter: a random delay in [0, min(cap, base * 2**attempt)]."""
    return random.uniform(0, min(cap, base * (2**attempt)))


def retry_on_contention(func: F | None = None, *, attempts: int = 5, base: float = 0.01, cap: float = 0.5):
    """Retry a transaction that lost a serialization race or a deadlock.

    Wrap the function that opens the transaction: retrying inside an outer atomic
    block would replay a transaction that is already aborted, so there it re-raises.
    Sync code sleeps in its worker thread; async code awaits asyncio.sleep and
    never blocks the event loop.
    """

    def decorate(fn: F) -> F:
        if iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args, **kwargs):
                for attempt in range(attempts):
                    try:
                        return await fn(*args, **kwargs)
                    except DatabaseError as exc:
                        if not is_contention(exc) or attempt == attempts - 1:
                            raise
                        logger.info("retrying %s after %s", fn.__qualname__, exc.__cause__.__class__.__name__)
                        await asyncio.sleep(backoff_delay(attempt, base, cap))

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            for attempt in range(attempts):
                try:
                    return fn(*args, **kwargs)
                except DatabaseError as exc:
                    if not is_contention(exc) or attempt == attempts - 1 or connection.in_atomic_block:
                        raise
                    logger.info("retrying %s after %s", fn.__qualname__, exc.__cause__.__class__.__name__)
                    time.sleep(backoff_delay(attempt, base, cap))

        return wrapper  # type: ignore[return-value]

    return decorate(func) if func is not None else decorate


async def db_burst(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run `fn` on the request's sync thread, then hand its connection back to the pool.

    For async views that wait (long-poll): the database is touched in short
    bursts and no connection stays checked out while the view waits. Thread-
    sensitive like every sync part of a Django request (under ASGI each request
    has its own sync thread, idle while the view awaits), so a test's
    transaction and the request see the same rows.
    """

    def run():
        try:
            return fn(*args, **kwargs)
        finally:
            if not connection.in_atomic_block:
                connection.close()

    return await sync_to_async(run)()
