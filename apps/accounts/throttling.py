import logging

from rest_framework.throttling import ScopedRateThrottle

logger = logging.getLogger("brisk.throttle")


class ResilientScopedRateThrottle(ScopedRateThrottle):
    """Scoped throttling that lets requests through when the cache is unreachable."""

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception as exc:
            logger.warning("throttle cache unavailable, allowing request: %s", exc.__class__.__name__)
            return True
