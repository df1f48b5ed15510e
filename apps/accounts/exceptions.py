"""Stable error codes of accounts: shared by every app that names a user (member endpoints)."""

from __future__ import annotations

from apps.core.exceptions import ApplicationError


class UserNotFound(ApplicationError):
    """Also the answer for an inactive user or an ambiguous email: the same 400 either way."""

    code = "user_not_found"
    field = "username"
    default_message = "No user can be added with this username or email."
