"""Shared fixtures: real PostgreSQL, real Redis cache, real channels-redis layer."""

from __future__ import annotations

import inspect

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from tests.accounts.factories import UserFactory

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
ON_REDIS = bool(settings.REDIS_URL)


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL)")
    skip_redis = pytest.mark.skip(reason="needs Redis (REDIS_URL)")
    for item in items:
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not ON_REDIS:
            item.add_marker(skip_redis)


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """silk records (and queries) only in the tests that turn sampling on, so budgets stay
    exact; passwords hash fast, so factories can make fifty users in a blink."""
    settings.SILK_SAMPLE_PERCENT = 0
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_pool_after_async_tests(request):
    """An async test's sync_to_async calls run in its own context, whose connection is never
    closed: each such test would keep one pooled connection checked out. Start the next test
    from a fresh pool instead of draining it."""
    yield
    if ON_POSTGRES and inspect.iscoroutinefunction(request.function):
        connection.close()
        connection.close_pool()


@pytest.fixture(autouse=True)
def _celery_join_flag():
    """Celery's eager mode saves and restores a process-wide "joining would block" flag around
    each task, not per thread: tasks run eagerly on several threads at once (the concurrency
    tests) can leave it set, and every later `.apply().get()` in the process then refuses."""
    from celery._state import _set_task_join_will_block

    yield
    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def _clean_cache():
    """Each test starts with an empty cache (the test Redis database is ours alone)."""
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _channel_layer_flush():
    yield
    from asgiref.sync import async_to_sync
    from channels.layers import channel_layers

    # Drop layer instances so no connection pool outlives the event loop it was made on.
    for alias in list(channel_layers.backends):
        layer = channel_layers.backends.pop(alias)
        flush = getattr(layer, "flush", None)
        if flush is not None:
            try:
                async_to_sync(flush)()
            except Exception:  # noqa: S110 - a layer that cannot flush has nothing to leak
                pass


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def client_for():
    """`client_for(user)` → an APIClient authenticated with the user's API token."""

    def make(user) -> APIClient:
        from apps.accounts.services import token_for_user

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for_user(user=user)}")
        return client

    return make


@pytest.fixture
def explain():
    """`explain(queryset)` → the PostgreSQL plan text of the queryset (after ANALYZE)."""

    def run(queryset, analyze_tables=()) -> str:
        with connection.cursor() as cursor:
            for table in analyze_tables:
                cursor.execute(f'ANALYZE "{table}"')
        return queryset.explain()

    return run


@pytest.fixture(scope="session", autouse=True)
def _release_stray_connections(django_db_setup, django_db_blocker):
    """Async tests leave a pooled connection checked out in asgiref's sync thread; drop such
    backends before the test database is destroyed, or DROP DATABASE refuses."""
    yield
    if not ON_POSTGRES:
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture
def query_budget():
    """The one way a test counts queries and reads an endpoint's declared budget
    (tests/querybudget.py; its docstring states the counting rule)."""
    from tests import querybudget

    return querybudget
