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

from django.core.cache import cache
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

logger = logging.getLogger("brisk.throttle")


class CreateRateThrottle(ScopedRateThrottle):
    scope_attr = "create_throttle_scope"

    def allow_request(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.rate is None:
            return True
        user = request.user
        ident = f"u{user.pk}" if user and user.is_authenticated else f"a{self.get_ident(request)}"
        now = self.timer()
        window = int(now // self.duration)
        key = f"throttle:{self.scope}:{ident}:{window}"
        try:
            current = self._increment(key)
            previous = int(cache.get(f"throttle:{self.scope}:{ident}:{window - 1}") or 0)
        except Exception as exc:
            logger.warning("throttle cache unavailable, allowing %s: %s", self.scope, exc.__class__.__name__)
            return True
        elapsed = now - window * self.duration
        estimate = previous * (1 - elapsed / self.duration) + current
        if estimate <= self.num_requests:
            return True
        self._wait = self.duration - elapsed
        return False

    def get_rate(self) -> str | None:
        # read at each request (DRF reads the rates once, at import): settings stay the truth
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def _increment(self, key: str) -> int:
        try:
            return cache.incr(key)
        except ValueError:  # first request of the window
            if cache.add(key, 1, timeout=2 * self.duration):
                return 1
            return cache.incr(key)

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)
