"""API tokens: the one place that turns a presented key into a user.

REST authentication, WebSocket authentication and long-polls all resolve keys here,
so how tokens are stored (and when they expire) is decided in this module alone.
"""

from __future__ import annotations

from rest_framework.authtoken.models import Token

from apps.accounts.models import User


def user_for_token(key: str) -> User | None:
    """The active user holding `key`, or None (unknown, revoked or inactive)."""
    token = Token.objects.select_related("user").filter(key=key[:64]).first()
    if token is None or not token.user.is_active:
        return None
    return token.user
