"""One error contract: every error a client can cause becomes a DRF-shaped 4xx body."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import got_request_exception
from django.db import DataError
from django.http import Http404, HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.exceptions import APIException, ErrorDetail
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.middleware import ResponseRewriteMiddleware

logger = logging.getLogger("brisk.errors")


class ApplicationError(Exception):
    """A domain rule refused the request. Services raise these; views never catch them."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code = "invalid"
    default_message = "The request was refused."
    field: str | None = None  # the input field at fault, if one is

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.extra = dict(extra or {})
        self.field = field or self.extra.get("field") or self.field
        if self.field:
            # the API's one field-error shape, as a serializer answers: {"<field>": ["message"]}
            # (plus "field", "detail" and "code", which only domain errors carry)
            self.extra = {"field": self.field, self.field: [self.message], **self.extra}
        super().__init__(self.message)


class ConflictError(ApplicationError):
    """The object is not in a state that allows this change (409)."""

    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    default_message = "The object changed state; reload it and try again."


class ForbiddenError(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "permission_denied"
    default_message = "You do not have permission to perform this action."


class NotFoundError(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    default_message = "Not found."


def encodable(text: str) -> str:
    """`text` with any lone surrogate written as `\\udXXX`: a message that echoes client input
    (`"\\ud800" is not a valid choice.`) must still encode as UTF-8, or rendering it is a 500."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def encodable_detail(data: Any) -> Any:
    """An error body with every message made encodable, ErrorDetail codes kept."""
    if isinstance(data, ErrorDetail):
        return ErrorDetail(encodable(str(data)), code=data.code)
    if isinstance(data, str):
        return encodable(data)
    if isinstance(data, dict):
        return {encodable(str(key)): encodable_detail(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [encodable_detail(value) for value in data]
    return data


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        body = {"detail": exc.message, "code": exc.code, **exc.extra}
        return Response(encodable_detail(body), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = drf_exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    elif isinstance(exc, DataError):
        # Last line of defence: a value the database refuses (out of range, NUL byte)
        # is the client's fault, never a 500. Serializers should have caught it first.
        logger.warning("database refused a client value: %s", exc.__class__.__name__)
        exc = drf_exceptions.ValidationError({"detail": "A value is out of range or malformed."})
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and "detail" in data and "code" not in data and isinstance(exc, APIException):
        # {"detail"} alone (401, 403, 404, 405, 406, 415, 429, parse errors): add its stable code.
        detail = data["detail"]
        data["code"] = detail.code if isinstance(detail, ErrorDetail) and detail.code else exc.default_code
    response.data = encodable_detail(data)
    return response


# --- Outside DRF: Django's own 404/500 and anything else that is not JSON under /api/ ---------

API_PREFIX = "/api/"

# Django's default answers, and the codes DRF's exceptions would give them.
STATUS_CODES = {
    400: ("Malformed request.", "parse_error"),
    401: ("Authentication credentials were not provided.", "not_authenticated"),
    403: ("You do not have permission to perform this action.", "permission_denied"),
    404: ("Not found.", "not_found"),
    405: ("Method not allowed.", "method_not_allowed"),
    406: ("Could not satisfy the request Accept header.", "not_acceptable"),
    413: ("Request body too large.", "request_too_large"),
    415: ("Unsupported media type in request.", "unsupported_media_type"),
    429: ("Request was throttled.", "throttled"),
    500: ("A server error occurred.", "server_error"),
}


def is_api_request(request: HttpRequest) -> bool:
    return bool(request.path.startswith(API_PREFIX))


def json_error(status_code: int, detail: str | None = None, code: str | None = None) -> JsonResponse:
    default_detail, default_code = STATUS_CODES.get(
        status_code, ("The request failed." if status_code < 500 else "A server error occurred.", "error")
    )
    return JsonResponse({"detail": detail or default_detail, "code": code or default_code}, status=status_code)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponseBase:
    """handler404: JSON under /api/, Django's page elsewhere."""
    if is_api_request(request):
        return json_error(404)
    from django.views.defaults import page_not_found as django_page_not_found

    return django_page_not_found(request, exception or Http404())


def server_error(request: HttpRequest) -> HttpResponseBase:
    """handler500: JSON under /api/, Django's page elsewhere."""
    if is_api_request(request):
        return json_error(500)
    from django.views.defaults import server_error as django_server_error

    return django_server_error(request)


class ApiErrorsMiddleware(ResponseRewriteMiddleware):
    """Every response under /api/ is JSON in the documented error shape, whatever DEBUG is.

    With DEBUG on, Django answers an unknown URL or an exception with its HTML debug pages
    (handler404/handler500 only apply with DEBUG off). Under /api/ this middleware answers
    a view's uncaught exception with the JSON 404/403/400/500 instead (the traceback still
    goes to the log), and turns any other non-JSON error page (a URL that matches nothing,
    a CSRF failure) into `{"detail", "code"}`. DRF responses are left alone: they are
    already in the contract, and the browsable API's HTML stays usable in a browser.
    """

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponseBase | None:
        if not is_api_request(request):
            return None
        from django.core.exceptions import BadRequest, SuspiciousOperation

        if isinstance(exception, Http404):
            return json_error(404)
        if isinstance(exception, DjangoPermissionDenied):
            return json_error(403)
        if isinstance(exception, BadRequest | SuspiciousOperation):
            return json_error(400, code="bad_request")
        logger.error("unhandled error on %s %s", request.method, request.path, exc_info=exception)
        # As Django does for an uncaught exception (the test client re-raises it from this signal).
        got_request_exception.send(sender=None, request=request)
        return json_error(500)

    def _finish(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if response.status_code < 400 or not is_api_request(request):
            return response
        content_type = response.get("Content-Type", "")
        if "json" in content_type or getattr(response, "renderer_context", None) is not None:
            return response  # already JSON, or a DRF response (the browsable API's HTML included)
        replacement = json_error(response.status_code)
        for header in ("Allow", "Retry-After", "WWW-Authenticate", "Vary"):
            if header in response:
                replacement[header] = response[header]
        return replacement
