"""Database helpers: short bursts for async views that wait."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.db import connection

T = TypeVar("T")


async def db_burst(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run `fn` on the request's sync thread, then hand its connection back to the pool.

    For async views that wait (long-poll): the database is touched in short
    bursts and no connection stays checked out while the view waits. Thread-
    sensitive like every sync part of a Django request (under ASGI each request
    has its own sync thread, idle while the view awaits), so a test's
    transaction and the request see the same rows.
    """

    def run() -> T:
        try:
            return fn(*args, **kwargs)
        finally:
            if not connection.in_atomic_block:
                connection.close()

    return await sync_to_async(run)()
