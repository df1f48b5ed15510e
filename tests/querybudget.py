"""Assert an endpoint's query budget: the same number of queries for 1 row and 50 rows."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(call: Callable[[], object]) -> tuple[int, object, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        result = call()
    return len(ctx.captured_queries), result, [q["sql"] for q in ctx.captured_queries]


def assert_query_budget(
    *,
    request: Callable[[], object],
    add_rows: Callable[[int], object],
    budget: int,
    small: int = 1,
    large: int = 50,
    expect_items: Callable[[object], int] | None = None,
) -> None:
    """Add `small` rows, count the queries of `request()`; add rows up to `large`, count again.

    Both counts must equal `budget`. `expect_items(response)`, when given, must
    return the number of items on the page, so the check cannot pass on an empty page.
    """
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
    assert n_small == budget, f"{n_small} queries for {small} row(s), budget {budget}:\n" + "\n".join(sql_small)
    assert n_large == budget, f"{n_large} queries for {large} rows, budget {budget}:\n{detail}"


def page_size(response) -> int:
    return len(response.json()["items"])
