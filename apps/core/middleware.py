"""Refuse input no view can handle before it reaches one."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import JsonResponse


def _too_large(request) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _refusal(request) -> JsonResponse | None:
    if _too_large(request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return JsonResponse({"detail": f"Request body exceeds {limit} bytes.", "code": "request_too_large"}, status=413)
    problem = _malformed(request)
    if problem:
        return JsonResponse({"detail": problem, "code": "malformed_request"}, status=400)
    return None


def _malformed(request) -> str | None:
    raw_query = request.META.get("QUERY_STRING", "")
    if raw_query:
        decoded = unquote_to_bytes(raw_query.replace("+", " "))
        if b"\x00" in decoded:
            return "Query parameters must not contain NUL characters."
        try:
            decoded.decode("utf-8")
        except UnicodeDecodeError:
            return "Query parameters must be valid UTF-8."
    if "\x00" in request.path:
        return "The path must not contain NUL characters."
    return None


class RejectMalformedInputMiddleware:
    """A declared body over the limit gets a 413, NUL bytes and invalid UTF-8 in the URL a 400
    (PostgreSQL would refuse them with a 500), before any view reads the request."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        return _refusal(request) or self.get_response(request)

    async def __acall__(self, request):
        return _refusal(request) or await self.get_response(request)
