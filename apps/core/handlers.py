"""The ASGI handler: a sync view's whole request runs in one worker-thread hop.

Django's ASGIHandler runs the middleware chain in async mode. Every sync-only step on
the way (each `MiddlewareMixin`'s process_request and process_response, the CSRF
`process_view`, the view itself, `request_started`, `response.close()`) is then its own
`sync_to_async` hand-off, each request gets a new thread (`ThreadSensitiveContext`), and
two asyncio tasks watch it: about sixteen thread hops and a thread start for one DRF
request, most of a hot request's CPU (issue 9; `make bench-profile` shows it).

Here a request whose view is sync (every DRF view) is served in one hop on a pooled
thread: `request_started`, the request object, the middleware chain loaded in sync mode,
the view, and `response.close()` (which sends `request_finished`, returning the database
connection from that same thread). Only reading the body and sending the response stay
on the event loop. An async view (the long-polls) keeps Django's async path and never
holds a thread while it waits.
"""

from __future__ import annotations

import functools
from typing import Any

import django
from asgiref.sync import iscoroutinefunction, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, URLResolver, get_resolver, get_urlconf, set_script_prefix


def view_is_async(request: HttpRequest) -> bool:
    """Whether the view this request resolves to is a coroutine function (an async view)."""
    try:
        match = get_resolver(get_urlconf()).resolve(request.path_info)
    except Resolver404:
        return False  # the 404 is answered by the sync chain
    return iscoroutinefunction(match.func)


def path_is_async(scope: dict[str, Any]) -> bool:
    """`view_is_async` from the ASGI scope, before a request object exists."""
    script_name = get_script_prefix(scope)
    path_info = scope["path"].removeprefix(script_name) if script_name else scope["path"]
    return resolves_to_async(get_resolver(get_urlconf()), path_info or "/")


@functools.lru_cache(maxsize=1024)
def resolves_to_async(resolver: URLResolver, path_info: str) -> bool:
    """Whether `path_info` resolves to an async view: resolved once per path (and resolver), not
    on the event loop for every request before the handler resolves it again (issue 9)."""
    try:
        match = resolver.resolve(path_info)
    except Resolver404:
        return False
    return iscoroutinefunction(match.func)


class BriskASGIHandler(ASGIHandler):
    """ASGIHandler whose sync views cost one thread hop per request, not one per middleware."""

    def __init__(self) -> None:
        super().__init__()
        self.sync_handler = BaseHandler()
        self.sync_handler.load_middleware(is_async=False)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or path_is_async(scope):
            await super().__call__(scope, receive, send)
            return
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        # a pooled thread, not a new one: everything of this request that touches the
        # database (request_started, view, request_finished) runs in this one call
        response = await sync_to_async(self.serve_sync, thread_sensitive=False)(scope, body_file)
        await self.send_response(response, send)
        if response.streaming:
            await sync_to_async(response.close, thread_sensitive=False)()

    def serve_sync(self, scope: dict[str, Any], body_file: Any) -> HttpResponseBase:
        try:
            signals.request_started.send(sender=self.__class__, scope=scope)
            request, error_response = self.create_request(scope, body_file)
            if request is None:
                response: Any = error_response
            else:
                response = self.sync_handler.get_response(request)
                response._handler_class = self.__class__
            if response.streaming:
                close_old_connections()  # the iterator is sent from the event loop, not from here
            else:
                response.close()  # request_finished: this thread's connection goes back to the pool
            return response  # type: ignore[no-any-return]
        finally:
            body_file.close()

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        if view_is_async(request):
            return await super().get_response_async(request)
        response: Any = await sync_to_async(self.sync_handler.get_response, thread_sensitive=True)(request)
        return response  # type: ignore[no-any-return]


def get_asgi_application() -> BriskASGIHandler:
    """`django.core.asgi.get_asgi_application`, with Brisk's handler."""
    django.setup(set_prefix=False)
    return BriskASGIHandler()
