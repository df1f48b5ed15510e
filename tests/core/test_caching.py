import logging

import pytest

from apps.core.caching import cached_at_version, cached_at_versions, cached_entry, forget
from tests.liveserver import free_port

pytestmark = pytest.mark.django_db


class Counter:
    """A compute function that remembers how often it ran and returns what it is told."""

    def __init__(self, value):
        self.value = value
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.value


def test_a_second_read_at_the_same_version_comes_from_the_cache():
    compute = Counter({"total": 3})
    assert cached_at_version("stats", 1, 7, compute) == {"total": 3}
    assert cached_at_version("stats", 1, 7, compute) == {"total": 3}
    assert compute.calls == 1


def test_scopes_are_separate():
    assert cached_at_version("stats", 1, 7, Counter(1)) == 1
    assert cached_at_version("stats", 2, 7, Counter(2)) == 2


def test_another_row_version_recomputes():
    assert cached_at_version("stats", 1, 7, Counter("old")) == "old"
    assert cached_at_version("stats", 1, 8, Counter("new")) == "new"
    assert cached_at_version("stats", 1, 8, Counter("ignored")) == "new"


def test_a_raced_reader_cannot_make_a_stale_figure_live():
    # A reader read the row at version 7 and computed slowly; meanwhile a writer committed
    # version 8 and a second reader cached the fresh figure. The slow reader stores last.
    assert cached_at_version("stats", 1, 8, Counter("fresh")) == "fresh"
    assert cached_at_version("stats", 1, 7, Counter("stale")) == "stale"
    # whatever the cache holds now, a reader at version 8 never gets the stale figure
    assert cached_at_version("stats", 1, 8, Counter("fresh again")) in ("fresh", "fresh again")


def test_many_scopes_compute_only_the_misses_in_one_call():
    cached_at_version("stats", 1, 5, Counter("one"))
    cached_at_version("stats", 2, 4, Counter("two at an old version"))
    asked = []

    def compute_many(scopes):
        asked.append(list(scopes))
        return {scope: f"v{scope}" for scope in scopes}

    result = cached_at_versions("stats", {1: 5, 2: 5, 3: 5}, compute_many)
    assert result == {1: "one", 2: "v2", 3: "v3"}
    assert asked == [[2, 3]]
    assert cached_at_versions("stats", {1: 5, 2: 5, 3: 5}, compute_many) == result
    assert asked == [[2, 3]]


def test_cached_entry_reads_without_computing_and_forget_drops():
    assert cached_entry("stats", 1) is None
    cached_at_version("stats", 1, 9, Counter("nine"))
    assert cached_entry("stats", 1) == (9, "nine")
    forget("stats", [1])
    assert cached_entry("stats", 1) is None


@pytest.mark.redis
def test_unreachable_redis_computes_from_the_database_and_warns(settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    compute = Counter(7)
    with caplog.at_level(logging.WARNING, logger="brisk.cache"):
        assert cached_at_version("stats", 1, 1, compute) == 7
        assert cached_entry("stats", 1) is None
    assert compute.calls == 1
    assert any("cache unavailable" in r.getMessage() for r in caplog.records)
