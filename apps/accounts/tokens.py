"""API tokens: the one place that turns a presented key into a user.

REST authentication, WebSocket authentication and long-polls all resolve keys here,
so how tokens are stored (and when they expire) is decided in this module alone.

Only the SHA-256 of a key is stored. A key is valid until `expires_at`
(`AUTH_TOKEN_TTL` after issue), until it is revoked (logout deletes it), while its user
keeps the password it was issued under, and while it is among the user's newest
`AUTH_TOKENS_PER_USER` tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import ApiToken, User
from apps.core.compiled import compiled_query, concrete_columns, instance_from_row

# Longer than any key we issue (43 characters) or issued (40): longer input is refused unhashed.
MAX_KEY_LENGTH = 64


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def password_mark(user: User) -> str:
    """A fingerprint of the user's current password hash: changes whenever the password does."""
    return hashlib.sha256(f"brisk-token-mark:{user.password}".encode()).hexdigest()


# The token and every column of its user (what select_related("user") loads): request.user is
# a whole User, for services and permission checks alike.
_TOKEN_COLUMNS = (*concrete_columns(ApiToken), *concrete_columns(User, "user__"))


@compiled_query(params={"digest": str, "now": datetime})
def _live_token(*, digest: str, now: datetime):
    # every authenticated request runs this: compiled once per process (apps.core.compiled)
    return ApiToken.objects.filter(digest=digest, expires_at__gt=now).values(*_TOKEN_COLUMNS)


def token_for_key(key: str) -> ApiToken | None:
    """The live token for `key` with its user (one query, token joined to user), or None."""
    if not key or len(key) > MAX_KEY_LENGTH:
        return None
    rows = _live_token.rows(digest=key_digest(key), now=timezone.now())
    if not rows:
        return None
    token = instance_from_row(ApiToken, rows[0])
    token.user = instance_from_row(User, rows[0], "user__")
    if not token.user.is_active or token.password_mark != password_mark(token.user):
        return None
    return token


def user_for_token(key: str) -> User | None:
    """The active user holding `key`, or None (unknown, expired, revoked or inactive)."""
    token = token_for_key(key)
    return None if token is None else token.user


def token_issue(*, user: User) -> str:
    """A new key for `user` (stored hashed; the key itself is returned once and never again).

    Also drops the user's expired tokens and those issued under an older password, so the
    table holds only live rows.
    """
    now = timezone.now()
    mark = password_mark(user)
    # One DELETE: the user's expired tokens, those from an older password, and the oldest live
    # ones beyond AUTH_TOKENS_PER_USER - 1, so the new one keeps the user within the cap.
    beyond_cap = (
        ApiToken.objects.filter(user=user)
        .order_by("-created_at", "-digest")
        .values("digest")[settings.AUTH_TOKENS_PER_USER - 1 :]
    )
    ApiToken.objects.filter(
        Q(user=user) & (Q(expires_at__lte=now) | ~Q(password_mark=mark) | Q(digest__in=beyond_cap))
    ).delete()
    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        digest=key_digest(key),
        user=user,
        password_mark=mark,
        expires_at=now + timedelta(seconds=settings.AUTH_TOKEN_TTL),
    )
    return key


def tokens_sweep_expired(*, now: datetime | None = None) -> int:
    """Delete every expired token (those of users who never log in again would stay otherwise)."""
    return ApiToken.objects.filter(expires_at__lte=now or timezone.now()).delete()[0]


def token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(digest=token.digest).delete()


def tokens_revoke_all(*, user: User) -> int:
    return ApiToken.objects.filter(user=user).delete()[0]
