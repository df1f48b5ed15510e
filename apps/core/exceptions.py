"""One error contract: every error a client can cause becomes a DRF-shaped 4xx body."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

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


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        body = {"detail": exc.message, "code": exc.code, **exc.extra}
        return Response(body, status=exc.status_code)
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
    return drf_exception_handler(exc, context)
