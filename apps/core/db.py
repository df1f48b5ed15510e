"""Database helpers: short bursts for async views that wait; timestamps parsed at C speed."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from psycopg.abc import AdaptContext, Buffer
from psycopg.adapt import Loader
from psycopg.types.datetime import TimestamptzLoader

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


# --- timestamps at C speed ------------------------------------------------------------------


class FastTimestamptzLoader(Loader):
    """timestamptz through psycopg's C parser, in the zone Django expects.

    Django registers a Python subclass of psycopg's pure-Python loader, so every timestamp
    of a result is parsed in Python (issue 9: 200 of them, the timestamps of a 50-task page,
    cost about 0.9 ms; psycopg's C loader does the same in 0.1 ms). This one hands the text to
    the C loader (which gives the session zone; Django sets the session to its own zone) and
    keeps Django's contract: `timezone`, the zone every value carries, which Django's
    `create_cursor` compares against its own.
    """

    timezone: datetime.tzinfo = datetime.UTC

    def __init__(self, oid: int, context: AdaptContext | None = None) -> None:
        super().__init__(oid, context)
        self._parse = _PARSER(oid, context).load

    def load(self, data: Buffer) -> datetime.datetime:
        value: datetime.datetime = self._parse(data)
        return value if value.tzinfo is self.timezone else value.astimezone(self.timezone)


def _timestamptz_loader_class() -> type[Loader]:
    """psycopg's C timestamptz loader (psycopg_binary or psycopg_c), else its Python one."""
    from psycopg import _cmodule

    c_module = _cmodule._psycopg
    loader: type[Loader] = TimestamptzLoader if c_module is None else c_module.TimestamptzLoader
    return loader


_PARSER = _timestamptz_loader_class()


def install_fast_timestamptz_loader() -> None:
    """Register `FastTimestamptzLoader` on Django's adapters template for the default database
    (before any connection is made: each connection copies the template). Only where Django's
    zone is the session's and is UTC (USE_TZ, no per-database TIME_ZONE), the production setup."""
    if connection.vendor != "postgresql" or not settings.USE_TZ or connection.timezone_name != "UTC":
        return
    from django.db.backends.postgresql.psycopg_any import get_adapters_template  # type: ignore[import-untyped]

    get_adapters_template(settings.USE_TZ, connection.timezone).register_loader("timestamptz", FastTimestamptzLoader)
