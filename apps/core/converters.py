"""URL converters every app registers its routes with.

`<id:name>` matches a database id: 1 to 19 digits, at most MAX_ID. A longer or larger
number cannot be a bigint, so the URL does not match and the answer is a 404, never a
database overflow. Django treats a `ValueError` from `to_python` as "no match".
"""

from __future__ import annotations

from django.urls import register_converter

MAX_ID = 2**63 - 1  # the largest PostgreSQL bigint: every primary key fits below it


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError("not a database id")
        return number

    def to_url(self, value: int) -> str:
        return str(value)


# drf-spectacular documents `<id:...>` parameters with this schema (see SPECTACULAR_SETTINGS).
ID_PATH_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}

register_converter(IdConverter, "id")
