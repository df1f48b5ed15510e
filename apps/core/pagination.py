"""The pagination envelope every list endpoint answers with (DESIGN.md, "Pagination")."""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from apps.core.converters import MAX_ID

if TYPE_CHECKING:  # rest_framework.views imports this module through its settings
    from rest_framework.request import Request
    from rest_framework.views import APIView

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_MAX_OFFSET = 2**31  # a larger OFFSET is never a real page, and PostgreSQL's bigint ends at 2**63


_INTEGER = re.compile(r"-?[0-9]+")


def _int_param(request: Request, name: str, *, default: int, minimum: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    # digits only, as documented: not "", " 5", "+5" or other scripts' digits, which int() takes
    if not _INTEGER.fullmatch(raw):
        raise ValidationError({name: [f"{name} must be an integer."]})
    value = int(raw)
    if value < minimum or value > maximum:
        raise ValidationError({name: [f"{name} must be between {minimum} and {maximum}."]})
    return value


def parse_limit(request: Request) -> int:
    return _int_param(request, "limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)


class EnvelopePagination(BasePagination):
    """`?limit=&offset=` → `{"items", "total", "limit", "offset"}`: two queries, count and page.

    A view that already knows the total (counted together with another lookup, or read
    from cached counts) sets `view.known_total`, and the COUNT query is skipped.
    """

    def paginate_queryset(
        self, queryset: QuerySet[Any] | list[Any], request: Request, view: APIView | None = None
    ) -> list[Any]:
        self.limit = parse_limit(request)
        self.offset = _int_param(request, "offset", default=0, minimum=0, maximum=_MAX_OFFSET)
        known_total: int | None = getattr(view, "known_total", None)
        if known_total is not None:
            self.total = known_total
        else:
            self.total = len(queryset) if isinstance(queryset, list) else queryset.count()
        if self.offset >= self.total:
            return []
        return list(queryset[self.offset : self.offset + self.limit])

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            OrderedDict([("items", data), ("total", self.total), ("limit", self.limit), ("offset", self.offset)])
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["items", "total", "limit", "offset"],
            "properties": {
                "items": schema,
                "total": {"type": "integer", "minimum": 0},
                "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                "offset": {"type": "integer", "minimum": 0},
            },
        }

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return [
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": f"Page size, 1..{MAX_LIMIT} (default {DEFAULT_LIMIT}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            },
            {
                "name": "offset",
                "in": "query",
                "required": False,
                "description": "Rows to skip (default 0).",
                "schema": {"type": "integer", "minimum": 0, "maximum": _MAX_OFFSET},
            },
        ]


class BeforeIdCursorPagination(BasePagination):
    """`?before=<id>&limit=` → `{"items", "has_more", "next_before"}`, newest first.

    For long append-only streams: no COUNT(*) and no deep OFFSET, one index range scan.
    The queryset must not be ordered yet; this orders it by `-<cursor_field>`.
    """

    cursor_field = "id"

    def paginate_queryset(
        self, queryset: QuerySet[Any, Any], request: Request, view: APIView | None = None
    ) -> list[Any]:
        self.limit = parse_limit(request)
        before = request.query_params.get("before")
        if before is not None:  # an empty `before=` is a 400 like any non-integer
            try:
                before_id = int(before)
            except (TypeError, ValueError):
                raise ValidationError({"before": ["before must be an integer id."]}) from None
            if before_id < 1 or before_id > MAX_ID:
                raise ValidationError({"before": [f"before must be between 1 and {MAX_ID}."]})
            queryset = queryset.filter(**{f"{self.cursor_field}__lt": before_id})
        rows = list(queryset.order_by(f"-{self.cursor_field}")[: self.limit + 1])
        self.has_more = len(rows) > self.limit
        rows = rows[: self.limit]
        if not self.has_more:
            self.next_before = None
        elif isinstance(rows[-1], dict):  # a hot list's values() rows
            self.next_before = rows[-1][self.cursor_field]
        else:
            self.next_before = getattr(rows[-1], self.cursor_field)
        return rows

    def get_paginated_response(self, data: Any) -> Response:
        return Response(OrderedDict([("items", data), ("has_more", self.has_more), ("next_before", self.next_before)]))

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["items", "has_more", "next_before"],
            "properties": {
                "items": schema,
                "has_more": {"type": "boolean"},
                "next_before": {"type": "integer", "nullable": True},
            },
        }

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return [
            {
                "name": "before",
                "in": "query",
                "required": False,
                "description": "Only rows with an id below this one (the previous page's next_before).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            },
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": f"Page size, 1..{MAX_LIMIT} (default {DEFAULT_LIMIT}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            },
        ]
