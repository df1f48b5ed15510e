"""Versioned cached aggregates (DESIGN.md, "Aggregations").

A figure lives under `agg:<name>:<scope>:v<version>`. Every write that changes it
calls `bump(name, scope)`, which increments the version *after commit*. A reader
that read the old version before the bump may store what it computed, but under
the old key, which no later reader looks at: a stale figure never lands under the
live key. The TTL bounds staleness anyway. When the cache is unreachable the
figure is computed from the database, a warning is logged, and the request goes on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger("brisk.cache")

T = TypeVar("T")
DEFAULT_TTL = 300


def version_key(name: str, scope: Any) -> str:
    return f"aggver:{name}:{scope}"


def value_key(name: str, scope: Any, version: int) -> str:
    return f"agg:{name}:{scope}:v{version}"


def _initial_version() -> int:
    # Start from the clock, not 1: if a version key is ever evicted, the fresh one
    # cannot collide with a value still cached under an old, smaller version.
    return int(time.time() * 1000)


def _versions(name: str, scopes: list[Any]) -> dict[Any, int]:
    keys = {version_key(name, scope): scope for scope in scopes}
    found = cache.get_many(list(keys))
    versions = {keys[key]: int(value) for key, value in found.items()}
    missing = [scope for scope in scopes if scope not in versions]
    for scope in missing:
        initial = _initial_version()
        # add() is atomic: of two racing first readers, one sets the version and
        # the other reads what it set.
        if not cache.add(version_key(name, scope), initial, timeout=None):
            initial = int(cache.get(version_key(name, scope)) or initial)
        versions[scope] = initial
    return versions


def cached_aggregate(name: str, scope: Any, compute: Callable[[], T], ttl: int = DEFAULT_TTL) -> T:
    """The figure for one scope: from the cache when live, else computed and stored."""
    return cached_aggregates_many(name, [scope], lambda scopes: {scope: compute()}, ttl)[scope]


def cached_aggregates_many(
    name: str,
    scopes: Iterable[Any],
    compute_many: Callable[[list[Any]], dict[Any, T]],
    ttl: int = DEFAULT_TTL,
) -> dict[Any, T]:
    """Figures for many scopes with two cache round trips and one `compute_many` for the misses."""
    scopes = list(dict.fromkeys(scopes))
    if not scopes:
        return {}
    try:
        versions = _versions(name, scopes)
        keys = {value_key(name, scope, versions[scope]): scope for scope in scopes}
        found = cache.get_many(list(keys))
    except Exception as exc:  # any cache failure: the database still answers
        logger.warning("cache unavailable, computing %s from the database: %s", name, exc.__class__.__name__)
        return compute_many(scopes)
    result = {keys[key]: value for key, value in found.items()}
    missing = [scope for scope in scopes if scope not in result]
    if missing:
        computed = compute_many(missing)
        result.update(computed)
        try:
            cache.set_many(
                {value_key(name, scope, versions[scope]): computed[scope] for scope in missing if scope in computed},
                timeout=ttl,
            )
        except Exception as exc:
            logger.warning("cache unavailable, %s not stored: %s", name, exc.__class__.__name__)
    return result


def live_cached_aggregates(name: str, scopes: Iterable[Any]) -> dict[Any, Any]:
    """The figures whose live version is cached, and nothing else: never computes, never stores.

    For a caller that can use a figure when it is at hand and otherwise does something
    cheaper than computing it. An unreachable cache is simply an empty answer.
    """
    scopes = list(dict.fromkeys(scopes))
    if not scopes:
        return {}
    try:
        versions = _versions(name, scopes)
        keys = {value_key(name, scope, versions[scope]): scope for scope in scopes}
        return {keys[key]: value for key, value in cache.get_many(list(keys)).items()}
    except Exception as exc:
        logger.warning("cache unavailable, %s not read: %s", name, exc.__class__.__name__)
        return {}


def bump_now(name: str, scope: Any) -> None:
    try:
        try:
            cache.incr(version_key(name, scope))
        except ValueError:  # no version yet: nothing cached under any version
            cache.add(version_key(name, scope), _initial_version(), timeout=None)
    except Exception as exc:
        # The old figure stays live for at most its TTL.
        logger.warning("cache unavailable, %s:%s not invalidated: %s", name, scope, exc.__class__.__name__)


def bump(name: str, scope: Any, *, using: str | None = None) -> None:
    """Invalidate the figure once the current transaction commits (never on rollback)."""
    transaction.on_commit(lambda: bump_now(name, scope), using=using)
