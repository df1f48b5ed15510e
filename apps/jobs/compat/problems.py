"""RFC 9457 problem details for /v1/joblib/: the core error contract, reshaped.

Every error the core handler answers (`{"detail", "code", ...field errors}`) becomes
`application/problem+json` `{"type": "/v1/problems/<kebab-code>", "title", "status",
"detail", "code"}`; field errors travel as the extension member `errors`
(`{"<field>": ["message"]}`), so nothing the /api/ body says is lost.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.response import Response

from apps.core.exceptions import STATUS_CODES, exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "/v1/problems/"
_DOMAIN_KEYS = {"detail", "code", "field"}


def problem_type(code: str) -> str:
    return PROBLEM_TYPE_PREFIX + code.replace("_", "-")


def _message_of(value: Any) -> str:
    if isinstance(value, list) and value:
        return _message_of(value[0])
    if isinstance(value, dict) and value:
        key, inner = next(iter(value.items()))
        return f"{key}: {_message_of(inner)}"
    return str(value)


def problem_body(status: int, data: Any) -> dict[str, Any]:
    """The problem document for an error `status` and the core handler's body `data`."""
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    if isinstance(data, dict) and "detail" in data:
        code = str(data.get("code") or STATUS_CODES.get(status, ("", "error"))[1])
        body: dict[str, Any] = {"type": problem_type(code), "title": title, "status": status}
        body["detail"] = str(data["detail"])
        body["code"] = code
        errors = {key: value for key, value in data.items() if key not in _DOMAIN_KEYS}
        if errors:
            body["errors"] = errors
        return body
    # a serializer's field errors: {"<field>": ["message"], ...} (or a list of messages)
    errors = data if isinstance(data, dict) else {"non_field_errors": data}
    return {
        "type": problem_type("invalid"),
        "title": title,
        "status": status,
        "detail": _message_of(errors),
        "code": "invalid",
        "errors": errors,
    }


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = exception_handler(exc, context)
    if response is None:
        return None
    response.data = problem_body(response.status_code, response.data)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_response(status: int, detail: str | None = None, code: str | None = None) -> JsonResponse:
    default_detail, default_code = STATUS_CODES.get(status, ("The request failed.", "error"))
    body = problem_body(status, {"detail": detail or default_detail, "code": code or default_code})
    return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


@csrf_exempt  # nothing is written: a cookie-carrying DELETE gets the 404, not the CSRF page
def not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Any URL under /v1/joblib/ that names no endpoint (a trailing slash included): a problem 404."""
    return problem_response(404, f"No endpoint at {request.path}.")
