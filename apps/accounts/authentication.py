"""DRF authentication by `Authorization: Token <key>`, resolved by `apps.accounts.tokens`."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication as DRFTokenAuthentication
from rest_framework.authentication import get_authorization_header

from apps.accounts.tokens import token_for_key


class TokenAuthentication(DRFTokenAuthentication):
    """`Authorization: Token <key>`: one query (the token joined to its user) per request.

    DRF's header parsing (and its 401 with `WWW-Authenticate: Token`) is kept; only the
    lookup changes: hashed keys, expiry and revocation live in `apps.accounts.tokens`.
    `request.auth` is the `ApiToken`, so logout can revoke exactly the caller's token.
    `Authorization: Bearer <key>` is the same token (the zndraw-joblib client and most HTTP
    libraries send Bearer); the 401's `WWW-Authenticate` still names `Token`.
    """

    def authenticate(self, request):
        scheme = get_authorization_header(request).split(b" ", 1)[0]
        if scheme.lower() == b"bearer":
            self.keyword = "Bearer"  # DRF makes one authenticator per request: this one only
        return super().authenticate(request)

    def authenticate_header(self, request):
        return "Token"

    def authenticate_credentials(self, key):
        token = token_for_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or expired token.", code="authentication_failed")
        return (token.user, token)
