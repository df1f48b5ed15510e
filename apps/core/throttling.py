"""Throttles on the create endpoints: DRF scoped rates counted in the shared cache (Redis).

A view opts in with `create_throttle_scope = "<scope>"`; the rate is
`REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]` (settings, from the environment). Only
writes are counted: a view's GET is never throttled by its POST's scope.

DRF's SimpleRateThrottle keeps a list of every request's timestamp per client and rewrites
it on each request, which costs O(rate) per request and races between workers. Here each
client has one counter per window, incremented atomically in Redis (shared by all workers),
and the rate is checked against a sliding estimate: the previous window's count weighted by
how much of it still overlaps the last `duration` seconds, plus the current window's.
When the cache is unreachable the request is let through (and logged): a cache outage costs
the limit, never the create.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

logger = logging.getLogger("brisk.throttle")


class CreateRateThrottle(ScopedRateThrottle):
    scope_attr = "create_throttle_scope"

    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        scope = getattr(view, self.scope_attr, None)
        if not scope:
            return True
        self.scope = scope
        rate = self.get_rate()
        if rate is None:
            return True
        self.rate = rate
        num_requests, duration = self.parse_rate(rate)
        if num_requests is None or duration is None:
            return True
        user = request.user
        ident = f"u{user.pk}" if user and user.is_authenticated else f"a{self.get_ident(request)}"
        now = float(self.timer())
        window = int(now // duration)
        key = f"throttle:{scope}:{ident}:{window}"
        try:
            current, previous = self._counts(key, f"throttle:{scope}:{ident}:{window - 1}", duration)
        except Exception as exc:
            logger.warning("throttle cache unavailable, allowing %s: %s", scope, exc.__class__.__name__)
            return True
        elapsed = now - window * duration
        estimate = previous * (1 - elapsed / duration) + current
        if estimate <= num_requests:
            return True
        self._wait: float = duration - elapsed
        return False

    def get_rate(self) -> str | None:
        # read at each request (DRF reads the rates once, at import): settings stay the truth
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) if self.scope else None
        return None if rate is None else str(rate)

    def _counts(self, key: str, previous_key: str, duration: int) -> tuple[int, int]:
        """This window's count after the increment, and the previous window's count."""
        client: Any = getattr(cache, "client", None)
        if not hasattr(client, "get_client"):  # not django-redis (the embedded default's locmem)
            return self._increment(key, duration), int(cache.get(previous_key) or 0)
        # django-redis: one round trip, not two (issue 9). The counter is created with its
        # expiry if missing, then incremented; django-redis stores integers as plain numbers,
        # so `cache.get` reads what INCR wrote.
        key, previous_key = cache.make_key(key), cache.make_key(previous_key)
        pipe = client.get_client(write=True).pipeline(transaction=False)
        pipe.set(key, 0, ex=2 * duration, nx=True)
        pipe.incr(key)
        pipe.get(previous_key)
        _, current, previous = pipe.execute()
        return int(current), int(previous or 0)

    def _increment(self, key: str, duration: int) -> int:
        try:
            return int(cache.incr(key))
        except ValueError:  # first request of the window
            if cache.add(key, 1, timeout=2 * duration):
                return 1
            return int(cache.incr(key))

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)
