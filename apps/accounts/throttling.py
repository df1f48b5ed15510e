"""Login throttles: per client address and per username, in the shared cache (Redis), so every
worker process counts the same attempts. The token endpoint, the admin login and the browsable
API's login all use them (`login_throttled` wraps the two Django login views)."""

from __future__ import annotations

import hashlib
import logging
from functools import wraps

from django.http import HttpResponse
from rest_framework.exceptions import APIException
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

logger = logging.getLogger("brisk.throttle")


class ResilientScopedRateThrottle(ScopedRateThrottle):
    """Scoped throttling that lets requests through when the cache is unreachable."""

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception as exc:
            logger.warning("throttle cache unavailable, allowing request: %s", exc.__class__.__name__)
            return True


class _ResilientRateThrottle(SimpleRateThrottle):
    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except APIException:
            raise  # the body could not be parsed (reading the username): the client's 400
        except Exception as exc:
            logger.warning("throttle cache unavailable, allowing request: %s", exc.__class__.__name__)
            return True


class LoginAddressThrottle(_ResilientRateThrottle):
    """Login attempts per client address (REMOTE_ADDR as settled by apps.core.proxies)."""

    scope = "auth_token"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def _submitted_username(request) -> str | None:
    data = getattr(request, "data", None)  # a DRF request: JSON or form, already parsed
    if data is None:
        data = request.POST
    username = data.get("username") if hasattr(data, "get") else None
    return username if isinstance(username, str) and username else None


class LoginUsernameThrottle(_ResilientRateThrottle):
    """Login attempts per username, from any address: a botnet guessing one account is slowed too."""

    scope = "auth_username"

    def get_cache_key(self, request, view):
        username = _submitted_username(request)
        if username is None:
            return None  # nothing to count: the request fails validation anyway
        # Hashed, so the key is bounded and carries no client text.
        ident = hashlib.sha256(username.casefold().encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": ident}


LOGIN_THROTTLES = (LoginAddressThrottle, LoginUsernameThrottle)


def login_throttled(view):
    """Wrap a Django login view: POSTs past either login throttle get 429 with Retry-After."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST":
            waits = []
            for throttle_class in LOGIN_THROTTLES:
                throttle = throttle_class()
                if not throttle.allow_request(request, None):
                    waits.append(throttle.wait() or 60)
            if waits:
                response = HttpResponse(
                    "Too many login attempts. Try again later.\n", status=429, content_type="text/plain"
                )
                response["Retry-After"] = str(int(max(waits)) + 1)
                return response
        return view(request, *args, **kwargs)

    return wrapper
