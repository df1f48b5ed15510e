"""A JSON parser with explicit limits: body size, nesting depth, strict UTF-8."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "request_too_large"


def _depth_exceeds(value: Any, limit: int) -> bool:
    # Iterative, so a hostile document cannot exhaust the Python stack here either.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class StrictJSONParser(JSONParser):
    def parse(
        self, stream: IO[Any] | None, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        # DRF reads the raw stream, bypassing Django's DATA_UPLOAD_MAX_MEMORY_SIZE check.
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge(f"Request body exceeds {limit} bytes.")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError("Request body is not valid UTF-8.") from None
        if "\x00" in text:
            raise ParseError("Request body must not contain NUL characters.")
        try:
            data = json.loads(text)
        except RecursionError:
            raise ParseError(f"JSON is nested deeper than {settings.JSON_MAX_DEPTH} levels.") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if _depth_exceeds(data, settings.JSON_MAX_DEPTH):
            raise ParseError(f"JSON is nested deeper than {settings.JSON_MAX_DEPTH} levels.")
        return data
