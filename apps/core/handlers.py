"""The ASGI handler: a sync view's whole request runs in one worker-thread hop.

Django's ASGIHandler runs the middleware chain in async mode. Every sync-only step on
the way (each `MiddlewareMixin`'s process_request and process_response, the CSRF
`process_view`, the view itself) is then its own `sync_to_async` hand-off to the worker
thread and back: about fourteen thread hops for one DRF request, a large share of a
hot request's CPU (issue 9). Here a request whose view is sync (every DRF view) goes
through a chain loaded in sync mode, in one hop; an async view (the long-polls) keeps
the async chain and never holds a thread while it waits.
"""

from __future__ import annotations

from typing import Any

import django
from asgiref.sync import iscoroutinefunction, sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, get_resolver, get_urlconf


def view_is_async(request: HttpRequest) -> bool:
    """Whether the view this request resolves to is a coroutine function (an async view)."""
    try:
        match = get_resolver(get_urlconf()).resolve(request.path_info)
    except Resolver404:
        return False  # the 404 is answered by the sync chain
    return iscoroutinefunction(match.func)


class BriskASGIHandler(ASGIHandler):
    """ASGIHandler whose sync views cost one thread hop per request, not one per middleware."""

    def __init__(self) -> None:
        super().__init__()
        self.sync_handler = BaseHandler()
        self.sync_handler.load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        if view_is_async(request):
            return await super().get_response_async(request)
        response: Any = await sync_to_async(self.sync_handler.get_response, thread_sensitive=True)(request)
        return response  # type: ignore[no-any-return]


def get_asgi_application() -> BriskASGIHandler:
    """`django.core.asgi.get_asgi_application`, with Brisk's handler."""
    django.setup(set_prefix=False)
    return BriskASGIHandler()
