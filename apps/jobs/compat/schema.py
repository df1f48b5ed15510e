"""The OpenAPI description of /v1/joblib/: Brisk's (budgets, every standard answer), with every
error answered as `application/problem+json` (RFC 9457), as the views do."""

from __future__ import annotations

from typing import Any, Literal

from drf_spectacular.plumbing import ResolvedComponent

from apps.core.schema import BriskAutoSchema

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": 'RFC 9457 problem details; field errors in `errors` (`{"<field>": ["message"]}`).',
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {},
    },
    "additionalProperties": True,
}


class ProblemAutoSchema(BriskAutoSchema):
    def _problem_ref(self) -> dict[str, str]:
        component = ResolvedComponent(
            name="Problem", type=ResolvedComponent.SCHEMA, object="Problem", schema=PROBLEM_SCHEMA
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _get_response_bodies(self, direction: Literal["request", "response"] = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for status, response in responses.items():
            if str(status).isdigit() and int(status) >= 400:
                response["content"] = {"application/problem+json": {"schema": self._problem_ref()}}
        return responses
