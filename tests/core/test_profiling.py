import logging
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.services import token_for_user
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.urls("tests.core.urls")

TIMING = re.compile(r'^db;dur=(?P<db>[\d.]+);desc="(?P<n>\d+) queries", app;dur=(?P<app>[\d.]+)$')


def _timing(response) -> re.Match:
    match = TIMING.match(response["Server-Timing"])
    assert match, response["Server-Timing"]
    return match


@pytest.mark.django_db
def test_server_timing_counts_exactly_the_queries_run(client_for):
    client = client_for(UserFactory(is_staff=True))
    UserFactory.create_batch(3)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/t/users/")
    assert response.status_code == 200
    assert int(_timing(response)["n"]) == len(ctx.captured_queries) == 3


@pytest.mark.django_db(transaction=True)
async def test_server_timing_counts_queries_of_async_requests(async_client):
    from asgiref.sync import sync_to_async

    user = await sync_to_async(UserFactory)()
    key = await sync_to_async(token_for_user)(user=user)
    response = await async_client.get("/api/auth/me/", headers={"Authorization": f"Token {key}"})
    assert response.status_code == 200
    # the token lookup (with its user) is the only query
    assert _timing(response)["n"] == "1"


@pytest.mark.django_db(transaction=True)
async def test_async_view_counts_queries_from_its_db_bursts(async_client):
    from asgiref.sync import sync_to_async

    user = await sync_to_async(UserFactory)()
    key = await sync_to_async(token_for_user)(user=user)
    response = await async_client.get(
        f"/t/wait/{user.pk}/", headers={"Authorization": f"Token {key}", "Prefer": "wait=1"}
    )
    assert response.status_code == 200
    # one look through the DRF view (token, first_name); the wait that follows runs no query
    assert _timing(response)["n"] == "2"


@pytest.mark.django_db
def test_slow_query_record_has_no_parameter_values(client_for, settings, caplog):
    settings.SLOW_QUERY_MS = 0  # every query counts as slow
    user = UserFactory(is_staff=True)
    client = client_for(user)
    UserFactory()
    secret = token_for_user(user=user)
    with caplog.at_level(logging.WARNING, logger="brisk.slow_query"):
        assert client.get("/t/users/?limit=7").status_code == 200
    records = [r for r in caplog.records if r.name == "brisk.slow_query"]
    assert len(records) == 3
    for record in records:
        assert record.endpoint == "GET /t/users/"
        assert isinstance(record.duration_ms, float)
        assert "%s" in record.sql or "SELECT" in record.sql
        assert secret not in record.sql
        assert secret not in record.getMessage()
    token_query = next(r for r in records if "accounts_api_token" in r.sql)
    assert "%s" in token_query.sql


@pytest.mark.django_db
def test_no_slow_query_record_under_the_threshold(client_for, settings, caplog):
    settings.SLOW_QUERY_MS = 60_000
    client = client_for(UserFactory())
    with caplog.at_level(logging.WARNING, logger="brisk.slow_query"):
        client.get("/api/auth/me/")
    assert not [r for r in caplog.records if r.name == "brisk.slow_query"]


def test_profiling_middleware_keeps_async_views_async():
    from django.core.handlers.asgi import ASGIHandler

    handler = ASGIHandler()
    handler.load_middleware(is_async=True)
    # If any middleware were sync-only, Django would adapt the chain and the
    # long-poll views would wait on a worker thread instead of the event loop.
    from asgiref.sync import iscoroutinefunction

    assert iscoroutinefunction(handler._middleware_chain)
    from apps.core.profiling import ProfilingMiddleware, SampledSilkMiddleware

    assert ProfilingMiddleware.async_capable and SampledSilkMiddleware.async_capable
