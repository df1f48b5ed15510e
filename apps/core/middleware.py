"""Refuse input no view can handle before it reaches one."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import JsonResponse


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
    """NUL bytes and invalid UTF-8 in the URL get a 400 here (PostgreSQL would refuse them with a 500)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        problem = _malformed(request)
        if problem:
            return JsonResponse({"detail": problem, "code": "malformed_request"}, status=400)
        return self.get_response(request)

    async def __acall__(self, request):
        problem = _malformed(request)
        if problem:
            return JsonResponse({"detail": problem, "code": "malformed_request"}, status=400)
        return await self.get_response(request)
