"""Field formatters for hot-path builders: the exact output of DRF's fields, without a Field.

A builder (`apps/<app>/builders.py`) turns one `values()` row into one response item with
plain dict literals; these helpers write the values DRF's serializer fields would write,
so the builder's JSON equals its documented serializer's (each app tests that it does).
"""

from __future__ import annotations

import datetime

from django.utils import timezone


def current_zone() -> datetime.tzinfo:
    """The zone DRF writes datetimes in: look it up once per page (`iso_datetime(..., zone)`), not
    once per value (a context-local read that cost 2% of a task list's CPU, issue 9)."""
    return timezone.get_current_timezone()


def iso_datetime(value: datetime.datetime | None, zone: datetime.tzinfo | None = None) -> str | None:
    """`serializers.DateTimeField().to_representation`: ISO 8601 in the current zone (`zone`, when
    the caller looked it up), UTC as `Z`."""
    if value is None:
        return None
    if zone is None:
        zone = timezone.get_current_timezone()
    if value.tzinfo is not zone:  # psycopg already gives them in the connection's zone (UTC)
        value = value.astimezone(zone)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def iso_date(value: datetime.date | None) -> str | None:
    """`serializers.DateField().to_representation`."""
    return None if value is None else value.isoformat()
