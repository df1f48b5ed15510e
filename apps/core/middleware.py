"""Refuse input no view can handle before it reaches one."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote_to_bytes

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, JsonResponse

from apps.core.asgitypes import ASGIApp, Message, Receive, Scope, Send

GetResponse = Callable[[HttpRequest], Any]  # a response, or an awaitable of one (async chain)


def body_limit(path: str) -> int:
    """The most bytes a request body to `path` may have: DATA_UPLOAD_MAX_MEMORY_SIZE, or for an
    upload route (UPLOAD_BODY_LIMITS) its file limit plus the multipart framing, so a file a
    little over its limit still reaches the view and gets its 400 with a field message."""
    for pattern, setting in getattr(settings, "UPLOAD_BODY_LIMITS", {}).items():
        if re.match(pattern, path):
            route_limit = int(getattr(settings, setting)) + int(settings.UPLOAD_BODY_OVERHEAD)
            return max(int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE), route_limit)
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def _too_large(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > body_limit(request.path)


def _refusal(request: HttpRequest) -> JsonResponse | None:
    if _too_large(request):
        limit = body_limit(request.path)
        return JsonResponse({"detail": f"Request body exceeds {limit} bytes.", "code": "request_too_large"}, status=413)
    problem = _malformed(request)
    if problem:
        return JsonResponse({"detail": problem, "code": "malformed_request"}, status=400)
    return None


def _malformed(request: HttpRequest) -> str | None:
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

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if iscoroutinefunction(self):
            return self.__acall__(request)
        return _refusal(request) or self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        return _refusal(request) or await self.get_response(request)


# --- the body limit, while the body streams (ASGI) -----------------------------------------


def _declared_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_too_large(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"Request body exceeds {limit} bytes.", "code": "request_too_large"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # the rest of the body is never read: the connection cannot be reused
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestBodyLimit:
    """ASGI wrapper of the HTTP app: the body is limited while it streams, whatever its type.

    Django's ASGIHandler reads a whole body into a SpooledTemporaryFile (on disk past
    FILE_UPLOAD_MAX_MEMORY_SIZE) before any middleware or authentication runs, and a body
    without Content-Length (chunked) reaches the view as empty. Here the body is counted as
    its `http.request` messages arrive: past DATA_UPLOAD_MAX_MEMORY_SIZE (or declared past it)
    the client gets a 413 at once and nothing more is read; under it, Django receives the body
    in memory as one message with its true Content-Length, so a chunked body reads as sent.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope.get("path", ""))
        declared = _declared_length(scope["headers"])
        if declared is not None and declared > limit:
            return await _send_too_large(send, limit)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left before its body ended: nothing to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return await _send_too_large(send, limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if declared != size and (declared is not None or size):
            headers = [(n, v) for n, v in scope["headers"] if n not in (b"content-length", b"transfer-encoding")]
            scope = {**scope, "headers": [*headers, (b"content-length", str(size).encode())]}
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # later calls wait for the disconnect, as Django expects

        await self.app(scope, replay, send)


class ResponseRewriteMiddleware:
    """A middleware that may replace each response (`_finish`), sync or async alike."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self._acall(request)
        return self._finish(request, self.get_response(request))

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        return self._finish(request, await self.get_response(request))

    def _finish(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        raise NotImplementedError
