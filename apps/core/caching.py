"""Cached aggregates whose validity lives on the scope's own row (DESIGN.md, "Aggregations").

A figure (a project's task counts) is cached in Redis under `agg:<name>:<scope>` together with
the *version* it was computed at. The version is a column of the scope's row in PostgreSQL
(`Project.counts_version`), bumped by every write that changes the figure in that write's own
transaction, and read with the row lookup the endpoint does anyway. A cached figure is used
only when its version equals the row's; otherwise it is recomputed and stored.

So a cache outage can cost only speed, never correctness: writes made while Redis was away
bumped the row, and when Redis comes back with its old data, the old figures carry old versions
and are ignored. (The earlier design kept the version in Redis and bumped it after commit; a
bump lost with Redis left the old figure live until its TTL.) A reader that raced a writer
stores what it computed under the version it read, which no later reader accepts. The TTL
only bounds memory. When the cache is unreachable the figure is computed from the database,
a warning is logged, and the request goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache import cache

logger = logging.getLogger("brisk.cache")

T = TypeVar("T")
DEFAULT_TTL = 300


def aggregate_key(name: str, scope: Any) -> str:
    return f"agg:{name}:{scope}"


def cached_at_versions(
    name: str,
    versions: dict[Any, int],
    compute_many: Callable[[list[Any]], dict[Any, T]],
    ttl: int = DEFAULT_TTL,
) -> dict[Any, T]:
    """Figures for many scopes, each valid at the given row version: one cache read, one
    `compute_many` for the misses, one cache write."""
    if not versions:
        return {}
    keys = {aggregate_key(name, scope): scope for scope in versions}
    try:
        found = cache.get_many(list(keys))
    except Exception as exc:  # any cache failure: the database still answers
        logger.warning("cache unavailable, computing %s from the database: %s", name, exc.__class__.__name__)
        return compute_many(list(versions))
    result: dict[Any, T] = {}
    for key, entry in found.items():
        scope = keys[key]
        if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == versions[scope]:
            result[scope] = entry[1]
    missing = [scope for scope in versions if scope not in result]
    if missing:
        computed = compute_many(missing)
        result.update(computed)
        try:
            cache.set_many(
                {
                    aggregate_key(name, scope): (versions[scope], computed[scope])
                    for scope in missing
                    if scope in computed
                },
                timeout=ttl,
            )
        except Exception as exc:
            logger.warning("cache unavailable, %s not stored: %s", name, exc.__class__.__name__)
    return result


def cached_at_version(name: str, scope: Any, version: int, compute: Callable[[], T], ttl: int = DEFAULT_TTL) -> T:
    """The figure for one scope at its row version: from the cache when it matches, else computed and stored."""
    return cached_at_versions(name, {scope: version}, lambda scopes: {scope: compute()}, ttl)[scope]


def cached_entry(name: str, scope: Any) -> tuple[int, Any] | None:
    """(version, figure) as cached, whatever the version, or None: never computes, never stores.

    For a caller that learns the row's version only later in the same query and can then
    skip work when the versions match. An unreachable cache is simply None.
    """
    try:
        entry = cache.get(aggregate_key(name, scope))
    except Exception as exc:
        logger.warning("cache unavailable, %s not read: %s", name, exc.__class__.__name__)
        return None
    if isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], int):
        return entry[0], entry[1]
    return None


def forget(name: str, scopes: Iterable[Any]) -> None:
    """Drop cached figures (a cold read, for benchmarks and tests; correctness never needs it)."""
    try:
        cache.delete_many([aggregate_key(name, scope) for scope in scopes])
    except Exception as exc:
        logger.warning("cache unavailable, %s not dropped: %s", name, exc.__class__.__name__)
