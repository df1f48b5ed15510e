"""The archived-tasks cursor: newest archived first, keyed on (archived_at, id)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet, Subquery
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.views import APIView

from apps.core.converters import MAX_ID
from apps.core.pagination import BeforeIdCursorPagination, parse_limit
from apps.projects.models import Task


class ArchivedCursorPagination(BeforeIdCursorPagination):
    """`?before=<task id>` (the previous page's `next_before`): the tasks archived before that one
    (ties on `archived_at` broken by id), in one range read of the (project, archived_at) index.
    A cursor task unarchived meanwhile ends the walk (an empty page)."""

    def paginate_queryset(self, queryset: QuerySet[Any, Any], request: Request, view: APIView | None = None) -> list:
        self.limit = parse_limit(request)
        before = request.query_params.get("before")
        if before is not None:  # an empty `before=` is a 400 like any non-integer
            try:
                before_id = int(before)
            except (TypeError, ValueError):
                raise ValidationError({"before": ["before must be an integer id."]}) from None
            if before_id < 1 or before_id > MAX_ID:
                raise ValidationError({"before": [f"before must be between 1 and {MAX_ID}."]})
            # the cursor task's archived_at as a subquery of the page query: no extra round trip
            at = Subquery(Task.objects.filter(pk=before_id).values("archived_at")[:1])
            queryset = queryset.filter(Q(archived_at__lt=at) | Q(archived_at=at, id__lt=before_id))
        rows = list(queryset.order_by("-archived_at", "-id")[: self.limit + 1])
        self.has_more = len(rows) > self.limit
        rows = rows[: self.limit]
        self.next_before = rows[-1]["id"] if self.has_more else None
        return rows
