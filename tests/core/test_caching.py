import logging

import pytest
from django.core.cache import cache
from django.db import transaction

from apps.core.caching import bump, bump_now, cached_aggregate, cached_aggregates_many, version_key

pytestmark = pytest.mark.django_db


class Counter:
    """A compute function that remembers how often it ran and returns what it is told."""

    def __init__(self, value):
        self.value = value
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.value


def test_second_read_comes_from_the_cache():
    compute = Counter({"total": 3})
    assert cached_aggregate("stats", 1, compute) == {"total": 3}
    assert cached_aggregate("stats", 1, compute) == {"total": 3}
    assert compute.calls == 1


def test_scopes_are_separate():
    assert cached_aggregate("stats", 1, Counter(1)) == 1
    assert cached_aggregate("stats", 2, Counter(2)) == 2


def test_bump_applies_on_commit(django_capture_on_commit_callbacks):
    cached_aggregate("stats", 1, Counter("old"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            bump("stats", 1)
            # not yet committed: readers still get the old figure
            assert cached_aggregate("stats", 1, Counter("new")) == "old"
    assert len(callbacks) == 1
    assert cached_aggregate("stats", 1, Counter("new")) == "new"


def test_bump_does_nothing_on_rollback(django_capture_on_commit_callbacks):
    cached_aggregate("stats", 1, Counter("old"))
    version = cache.get(version_key("stats", 1))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            bump("stats", 1)
            raise RuntimeError("roll back")
    assert callbacks == []
    assert cache.get(version_key("stats", 1)) == version
    assert cached_aggregate("stats", 1, Counter("new")) == "old"


def test_a_raced_reader_cannot_store_a_stale_figure_under_the_live_key():
    # The reader reads the version, then a writer commits and bumps while the
    # reader is still computing from the old data.
    def compute_while_a_writer_commits():
        bump_now("stats", 1)
        return "stale"

    assert cached_aggregate("stats", 1, compute_while_a_writer_commits) == "stale"
    # The stale figure went under the old version; the live key misses and recomputes.
    assert cached_aggregate("stats", 1, Counter("fresh")) == "fresh"
    assert cached_aggregate("stats", 1, Counter("ignored")) == "fresh"


def test_bump_before_any_read_is_harmless():
    bump_now("stats", 99)
    assert cached_aggregate("stats", 99, Counter(5)) == 5


def test_many_scopes_compute_only_the_misses_in_one_call():
    cached_aggregate("stats", 1, Counter("one"))
    asked = []

    def compute_many(scopes):
        asked.append(list(scopes))
        return {scope: f"v{scope}" for scope in scopes}

    result = cached_aggregates_many("stats", [1, 2, 3], compute_many)
    assert result == {1: "one", 2: "v2", 3: "v3"}
    assert asked == [[2, 3]]
    assert cached_aggregates_many("stats", [1, 2, 3], compute_many) == result
    assert asked == [[2, 3]]


@pytest.mark.redis
def test_unreachable_redis_computes_from_the_database_and_warns(settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    compute = Counter(7)
    with caplog.at_level(logging.WARNING, logger="brisk.cache"):
        assert cached_aggregate("stats", 1, compute) == 7
        bump_now("stats", 1)
    assert compute.calls == 1
    assert any("cache unavailable" in r.getMessage() for r in caplog.records)


def test_live_cached_aggregates_reads_only_live_figures():
    from apps.core.caching import live_cached_aggregates

    assert live_cached_aggregates("stats", [1]) == {}  # nothing cached: nothing computed
    cached_aggregate("stats", 1, Counter("one"))
    cached_aggregate("stats", 2, Counter("two"))
    bump_now("stats", 2)
    assert live_cached_aggregates("stats", [1, 2, 3]) == {1: "one"}
