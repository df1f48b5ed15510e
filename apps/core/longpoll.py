"""Long-poll as a view mixin: `Prefer: wait=N` without a database connection or a thread held while waiting.

A view declares what to wait on and when the state counts as changed or settled:

    class TaskDetailView(LongPoll, APIView):
        def get(self, request, pk): ...                 # an ordinary DRF GET
        def longpoll_group(self, request, pk): return task_group(pk)
        def longpoll_state(self, data): return data["status"]
        def longpoll_settled(self, data): return data["status"] in TERMINAL

`as_view()` returns an async view. Every method but a waiting GET runs the DRF view as
Django would run a sync view. A GET with `Prefer: wait=N` runs the same DRF view (its
authentication, permissions, throttles, exception handler and schema) in short bursts
(`apps.core.db.db_burst`, which hands the connection back), and between them waits on
the object's channel group through the process hub (`apps.core.hub`: one layer
subscription per group per process). It subscribes before its first look, so a
change between the look and the wait is not missed. While it waits it holds no
database connection and no thread: the request's idle sync thread is let go, and
each look runs on a thread lent for it from a few per process (`_Looks`). Each user
holds at most `LONGPOLL_MAX_PER_USER` waiting polls across all processes (429 beyond).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from asgiref.sync import AsyncToSync, SyncToAsync, ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_vary_headers
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import concurrency
from apps.core.db import db_burst
from apps.core.exceptions import ApplicationError
from apps.core.hub import Waiter, listen

if TYPE_CHECKING:
    _ViewBase = APIView  # the mixin extends a DRF view: its super() calls land there
else:
    _ViewBase = object

logger = logging.getLogger("brisk.longpoll")

_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*([^,;\s]*)", re.IGNORECASE)


class BadPreferWait(ApplicationError):
    code = "invalid_prefer_wait"


class TooManyLongPolls(ApplicationError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    code = "too_many_long_polls"
    default_message = "Too many waiting requests for this user; wait for one to finish."


def parse_prefer_wait(header: str | None) -> tuple[int | None, bool]:
    """`Prefer: wait=N` → (seconds, clamped). No header → (None, False).

    A wait above LONGPOLL_MAX_WAIT_SECONDS is clamped (RFC 7240 lets the server
    choose; `Preference-Applied` says what it chose); a malformed one is a 400.
    """
    if not header:
        return None, False
    match = _PREFER_WAIT.search(header)
    if match is None:
        return None, False
    raw = match.group(1).strip('"')
    if not raw.isdigit() or len(raw) > 6:
        raise BadPreferWait(f"Prefer: wait must be a whole number of seconds, got {raw!r}.", extra={"field": "Prefer"})
    value = int(raw)
    cap = settings.LONGPOLL_MAX_WAIT_SECONDS
    if value > cap:
        return cap, True
    return value, False


def release_request_thread() -> None:
    """Let the request's idle sync thread go while the request waits.

    Under ASGI Django gives each request one sync thread (asgiref's thread-sensitive
    context), made on first use and kept until the request ends: a thousand waiting
    long-polls would keep a thousand idle threads. The executor is dropped here exactly
    as asgiref drops it when the request ends; the next sync call of the request makes
    a new one. Call it only between bursts (no sync call of this request in flight).
    """
    context = SyncToAsync.thread_sensitive_context.get(None)
    if context is None or getattr(context, "_executor", None) is not None:
        return  # no request context, or one whose executor its creator owns
    executor = SyncToAsync.context_to_thread_executor.pop(context, None)
    if executor is not None:
        executor.shutdown(wait=False)


class _Looks:
    """One per event loop: at most `size` long-poll looks at once, each on a lent sync thread.

    A thousand polls woken (or started) at once queue on the gate, on the event loop,
    rather than on the connection pool (whose wait times out). A look runs on one of
    at most `size` long-lived threads, lent for the look through asgiref's
    `ThreadSensitiveContext(executor=...)`, instead of a new thread per look: starting
    a thread blocks the event loop until the OS runs it, which on a busy machine
    delayed every other wake-up behind it.
    """

    def __init__(self, size: int) -> None:
        self.gate = asyncio.Semaphore(size)
        self.idle: list[ThreadPoolExecutor] = []

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self.gate:
            context = SyncToAsync.thread_sensitive_context.get(None)
            if getattr(AsyncToSync.executors, "current", None) is not None or getattr(context, "_executor", None):
                yield  # sync calls already go to a thread their creator owns (a sync caller, a test)
                return
            thread = self.idle.pop() if self.idle else ThreadPoolExecutor(1, thread_name_prefix="longpoll-look")
            try:
                async with ThreadSensitiveContext(executor=thread):
                    yield
            finally:
                self.idle.append(thread)


_looks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Looks] = weakref.WeakKeyDictionary()


def _looks_here() -> _Looks:
    """This event loop's looks: as many at once as the database pool serves (one kept for the rest)."""
    loop = asyncio.get_running_loop()
    looks = _looks.get(loop)
    if looks is None:
        looks = _looks[loop] = _Looks(max(1, settings.DB_POOL_MAX_SIZE - 1))
    return looks


class LongPoll(_ViewBase):
    """Mix into a DRF view (before the view class) to make its GET a long-poll; see the module docstring."""

    def longpoll_group(self, request: HttpRequest, **kwargs: Any) -> str:
        """The channel group whose events mean "look again" (from the URL: it is asked before authentication)."""
        raise NotImplementedError

    def longpoll_state(self, data: Any) -> Any:
        """What must differ from the first look for the wait to end (default: the whole body)."""
        return data

    def longpoll_settled(self, data: Any) -> bool:
        """True when nothing will change any more: answer at once."""
        return False

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if request.method == "GET":
            parse_prefer_wait(request.headers.get("Prefer"))  # a malformed wait is a 400 through DRF
            if getattr(request._request, "_longpoll_refused", False):
                raise TooManyLongPolls()

    def check_throttles(self, request: Request) -> None:
        # A wait looks several times; the throttles count the request once.
        if not getattr(request._request, "_longpoll_looked", False):
            super().check_throttles(request)

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Callable[..., Coroutine[Any, Any, HttpResponseBase]]:  # type: ignore[override]
        drf_view = super().as_view(**initkwargs)

        async def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                wait, _clamped = parse_prefer_wait(request.headers.get("Prefer"))
            except BadPreferWait:
                wait = None  # the DRF view answers the 400
            if request.method != "GET" or not wait:
                return await sync_to_async(drf_view)(request, *args, **kwargs)
            return await cls(**initkwargs).long_poll(drf_view, wait, request, *args, **kwargs)

        # what Django and DRF read on a view function (csrf_exempt as DRF's views: its
        # SessionAuthentication enforces CSRF itself)
        vars(view).update(cls=cls, initkwargs=initkwargs, csrf_exempt=True)
        view.__doc__ = cls.__doc__
        return view

    async def long_poll(
        self, drf_view: Callable[..., Any], wait: int, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        release_request_thread()  # the thread Django made for request_started is idle from here on

        async def look() -> Response:
            async with _looks_here().slot():
                response: Response = await db_burst(drf_view, request, *args, **kwargs)
            request._longpoll_looked = True  # type: ignore[attr-defined]  # a marker check_throttles reads
            return response

        def answer(response: Response, applied: bool = True) -> Response:
            if applied:
                response["Preference-Applied"] = f"wait={wait}"
            patch_vary_headers(response, ("Prefer",))
            return response

        if not _presents_credentials(request):
            return answer(await look())  # DRF's 401; nothing to wait for
        # Subscribed before the one look, so a change between the look and the wait is not missed.
        events = listen(self.longpoll_group(request, **kwargs))
        try:
            await events.__aenter__()
        except Exception as exc:  # the channel layer is down: answer at once rather than fail
            logger.warning("long-poll cannot subscribe, answering without waiting: %s", exc.__class__.__name__)
            return answer(await look(), applied=False)  # no Preference-Applied: the wait was not honoured
        try:
            response = await look()
            if response.status_code != 200 or self.longpoll_settled(response.data):
                return answer(response)
            lease = await concurrency.acquire(
                "longpoll", request.user.pk or 0, settings.LONGPOLL_MAX_PER_USER, seconds=wait + 30
            )
            if lease is None:
                request._longpoll_refused = True  # type: ignore[attr-defined]  # a marker initial() reads
                return answer(await look(), applied=False)
            try:
                return answer(await self._wait(look, response, wait, events))
            finally:
                await lease.release()
        finally:
            await events.__aexit__(None, None, None)

    async def _wait(
        self, look: Callable[[], Awaitable[Response]], response: Response, wait: int, events: Waiter
    ) -> Response:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        first = self.longpoll_state(response.data)
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0 or await events.wait(remaining) is None:
                return response
            response = await look()  # any event means "look again"; only a changed state ends the wait
            if (
                response.status_code != 200
                or self.longpoll_state(response.data) != first
                or self.longpoll_settled(response.data)
            ):
                return response


def _presents_credentials(request: HttpRequest) -> bool:
    """Whether the request carries something that may authenticate it (checked by DRF in the look)."""
    return bool(request.headers.get("Authorization")) or settings.SESSION_COOKIE_NAME in request.COOKIES
