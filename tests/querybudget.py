"""Query budgets in tests: one counting rule, and the figures read from the views' declarations.

The rule: every SQL statement the request sends counts (the token lookup included), except
transaction control: BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE SAVEPOINT and ROLLBACK TO
SAVEPOINT (`apps.core.profiling.counts_as_query`, which Server-Timing applies too). A test
runs inside its own transaction, so a service's outermost
`transaction.atomic` becomes a SAVEPOINT pair here, where in production it is a BEGIN/COMMIT
that Django does not send as statements; leaving transaction control out makes the test's
count the production count. The figure each test asserts is the one the view declares in
`query_budget` (apps/core/api.py), the same one the OpenAPI description, the README table and
`make bench-check` show.

Tests use the `query_budget` fixture (tests/conftest.py), which is this module.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve

from apps.core.api import Budget, declared_budget, view_class_of
from apps.core.profiling import counts_as_query as counts  # the rule Server-Timing uses too


def statements(call: Callable[[], object]) -> tuple[list[str], object]:
    """(the counted SQL statements `call()` sent, its result)."""
    with CaptureQueriesContext(connection) as ctx:
        result = call()
    return [q["sql"] for q in ctx.captured_queries if counts(q["sql"])], result


def count_queries(call: Callable[[], object]) -> tuple[int, object, list[str]]:
    sql, result = statements(call)
    return len(sql), result, sql


def declared(method: str, url: str) -> Budget:
    """The budget the view behind `url` declares for `method`."""
    match = resolve(urlsplit(url).path)
    budget = declared_budget(view_class_of(match.func), method)
    assert budget is not None, f"{match.func} declares no query budget for {method}"
    return budget


def assert_queries(call: Callable[[], object], expected: int) -> object:
    """`call()` sends exactly `expected` counted statements; returns its result."""
    sql, result = statements(call)
    assert len(sql) == expected, f"{len(sql)} queries, budget {expected}:\n" + "\n".join(sql)
    return result


def assert_query_budget(
    *,
    request: Callable[[], object],
    add_rows: Callable[[int], object],
    budget: int | Budget,
    small: int = 1,
    large: int = 50,
    expect_items: Callable[[object], int] | None = None,
) -> None:
    """Add `small` rows, count the queries of `request()`; add rows up to `large`, count again.

    Both counts must equal `budget` (a declared Budget means its `queries`, the costliest
    path). `expect_items(response)`, when given, must return the number of items on the
    page, so the check cannot pass on an empty page.
    """
    expected = budget.queries if isinstance(budget, Budget) else budget
    add_rows(small)
    n_small, response_small, sql_small = count_queries(request)
    assert getattr(response_small, "status_code", 200) < 400, getattr(response_small, "data", response_small)
    if expect_items is not None:
        assert expect_items(response_small) == small
    add_rows(large - small)
    n_large, response_large, sql_large = count_queries(request)
    if expect_items is not None:
        assert expect_items(response_large) == large
    detail = "\n".join(sql_large)
    assert n_small == expected, f"{n_small} queries for {small} row(s), budget {expected}:\n" + "\n".join(sql_small)
    assert n_large == expected, f"{n_large} queries for {large} rows, budget {expected}:\n{detail}"


def page_size(response) -> int:
    return len(response.json()["items"])
