"""Naming another user by what the caller already knows: a username or an email address.

Member endpoints take one of these instead of a user id: an id is guessable, and answering
"added Bob" for id 7 and "unknown" for id 8 let anyone enumerate every account. A username
or email the caller does not know cannot be guessed into a name, and every way a user can
fail to be added (no such user, inactive, an email shared by several accounts) gets the
same answer.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

from apps.accounts.exceptions import UserNotFound
from apps.accounts.models import User


class UserReferenceSerializer(serializers.Serializer):
    """`{"username": ...}`, `{"email": ...}` or both (then they must name the same user)."""

    body_required = True  # documented: no field is required alone, but a body is

    username = serializers.CharField(max_length=150, required=False, help_text="The user's exact username.")
    email = serializers.EmailField(max_length=254, required=False, help_text="The user's email address.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "username" not in attrs and "email" not in attrs:
            raise serializers.ValidationError({"username": ["Give the username or the email."]})
        return attrs


class UserReferenceSchema(OpenApiSerializerExtension):
    """Documents "at least one of username or email" (both: they must name the same user)."""

    target_class = "apps.accounts.lookup.UserReferenceSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["anyOf"] = [{"required": ["username"]}, {"required": ["email"]}]
        return schema


def active_user_by_reference(*, username: str | None = None, email: str | None = None) -> User | None:
    """The one active user with this username and/or email, else None. One query."""
    candidates = User.objects.filter(is_active=True)
    if username is not None:
        candidates = candidates.filter(username=username)
    if email is not None:
        candidates = candidates.filter(email__iexact=email)
    found = list(candidates[:2])
    # an email two accounts share names nobody in particular: the same answer as "no such user"
    return found[0] if len(found) == 1 else None


def user_to_add(*, username: str | None = None, email: str | None = None) -> User:
    """The user a member endpoint adds; any user that cannot be added is the same `UserNotFound`."""
    user = active_user_by_reference(username=username, email=email)
    if user is None:
        raise UserNotFound(field="username" if username is not None else "email")
    return user
