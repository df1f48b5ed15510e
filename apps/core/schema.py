"""The OpenAPI description of what every operation can answer, not only its success.

drf-spectacular documents the statuses a view declares. The answers that come from the
shared machinery are the same for every operation, so they are added here, once, from what
the operation is: 400 (any request: a malformed query string or body), 401 and 403 (unless
public), 404 (a path parameter names something), 413 and 415 (a request body), 422 (an
`Idempotency-Key`), 429 (a throttle). All carry the one error shape (`Error`). Schemathesis
(tests/test_schema_fuzz.py) checks that every answer is documented.
"""

from __future__ import annotations

from typing import Any, Literal

from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import AllowAny

from apps.core.api import BudgetedAutoSchema

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": '`{detail, code}`, or field errors `{"<field>": ["message"], ...}` (a domain '
    "rule adds `field`, `detail` and `code`).",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "field": {"type": "string"},
    },
    "additionalProperties": True,
}

STANDARD_ANSWERS = {
    "400": "Bad input: a field error, malformed JSON or a malformed query string.",
    "401": "No credentials, or an invalid or expired token.",
    "403": "Not allowed: a role or rule refuses the caller.",
    "404": "Not found, or not yours (the same answer).",
    "413": "The request body exceeds DATA_UPLOAD_MAX_MEMORY_SIZE.",
    "415": "The request body is not JSON.",
    "422": "This Idempotency-Key was used with a different request.",
    "429": "Throttled: retry after `Retry-After` seconds.",
}
BODY_METHODS = {"POST", "PUT", "PATCH"}


class BriskAutoSchema(BudgetedAutoSchema):
    """BudgetedAutoSchema (query budgets in descriptions) plus every standard error answer."""

    def _error_ref(self) -> dict[str, str]:
        component = ResolvedComponent(  # type: ignore[no-untyped-call]
            name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR_SCHEMA
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _standard_statuses(self) -> list[str]:
        statuses = ["400"]
        public = any(isinstance(permission, AllowAny) for permission in self.view.get_permissions())
        if not public:
            statuses += ["401", "403"]
        if "{" in self.path:
            statuses.append("404")
        if self.method in BODY_METHODS:
            statuses += ["413", "415"]
        handler = getattr(self.view, self.method.lower(), None)
        if getattr(handler, "idempotent", False):
            statuses.append("422")
        throttled = getattr(self.view, "throttle_scope", None) or (
            self.method in BODY_METHODS and getattr(self.view, "create_throttle_scope", None)
        )
        if throttled:
            statuses.append("429")
        return statuses

    def _get_request_for_media_type(self, serializer: Any, direction: Any = "request") -> Any:
        schema, required = super()._get_request_for_media_type(serializer, direction)  # type: ignore[no-untyped-call]
        # a body documented as a plain schema with required properties is itself required
        if isinstance(serializer, dict) and serializer.get("required"):
            required = True
        if getattr(serializer, "body_required", False):  # e.g. "at least one of" (anyOf) bodies
            required = True
        return schema, required

    def get_paginated_name(self, serializer_name: str) -> str:
        # a cursor page ({items, has_more, next_before}) is not an envelope page ({items, total,
        # limit, offset}): two components, or the first registered would describe both
        paginator = self._get_paginator()  # type: ignore[no-untyped-call]
        if paginator is not None and getattr(paginator, "cursor_field", None):
            return f"Cursor{serializer_name}List"
        return super().get_paginated_name(serializer_name)

    def _get_response_bodies(self, direction: Literal["request", "response"] = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for status in self._standard_statuses():
            if status in responses:
                continue
            responses[status] = {
                "description": STANDARD_ANSWERS[status],
                "content": {"application/json": {"schema": self._error_ref()}},
            }
        return dict(sorted(responses.items()))
