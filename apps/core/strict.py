"""Input is taken as documented: a string field takes a JSON string, a query parameter given
empty is refused, not read as absent. Applied once, for every serializer (CoreConfig.ready).

DRF's CharField turns a JSON number into a string (`{"name": 490}` became "490"), and DRF
reads `?q=` as "no q" for an optional field: both accepted input the OpenAPI description
refuses, so the schema and the behaviour disagreed.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

_char_to_internal_value = serializers.CharField.to_internal_value


def _strict_char_to_internal_value(self: serializers.CharField, data: Any) -> str:
    if not isinstance(data, str):
        self.fail("invalid")
    return _char_to_internal_value(self, data)


def install() -> None:
    """Make every CharField (and EmailField, RegexField, ...) refuse non-strings."""
    serializers.CharField.to_internal_value = _strict_char_to_internal_value  # type: ignore[method-assign, assignment]


class QueryParamsSerializer(serializers.Serializer[Any]):
    """Base of query-parameter serializers: a parameter given empty (`?status=`) is a 400."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        empty = [str(name) for name in self.fields.keys() if self.initial_data.get(name) == ""]
        if empty:
            raise serializers.ValidationError({name: ["Must not be empty."] for name in empty})
        return attrs
