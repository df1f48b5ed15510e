"""Count the SQL statements a call sends, as Server-Timing does: transaction control is not a query."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext

_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def statements(call: Callable[[], object]) -> tuple[list[str], object]:
    with CaptureQueriesContext(connection) as ctx:
        result = call()
    sql = [q["sql"] for q in ctx.captured_queries if not q["sql"].upper().startswith(_CONTROL)]
    return sql, result
