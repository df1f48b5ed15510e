"""Per-request query accounting, Server-Timing, slow-query records and sampled silk.

The query wrapper is installed on every database connection when it is created
(see CoreConfig.ready) and reports into a context variable the middleware sets
for each request. Context variables follow a request into the threads that
sync_to_async runs it on, so the count includes queries from sync views, async
views and the async ORM alike.
"""

from __future__ import annotations

import contextvars
import copy
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from asgiref.sync import async_to_sync, iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.utils.datastructures import MultiValueDict

slow_query_logger = logging.getLogger("brisk.slow_query")
silk_logger = logging.getLogger("brisk.silk")


# Transaction control is not a query (the one counting rule, shared by Server-Timing and the
# budget tests): a service's nested `atomic` sends SAVEPOINT/RELEASE, its outermost BEGIN/COMMIT
# go through the driver unseen, so counting neither keeps the figure the same everywhere.
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def counts_as_query(sql: str) -> bool:
    return not sql.lstrip()[:17].upper().startswith(TRANSACTION_CONTROL)


@dataclass
class QueryStats:
    endpoint: str
    count: int = 0
    duration: float = 0.0  # seconds
    slow: list[dict[str, Any]] = field(default_factory=list)
    # silk's own work on a sampled request (its saves and EXPLAINs): never the endpoint's
    silk_count: int = 0
    silk_duration: float = 0.0  # seconds


_current: contextvars.ContextVar[QueryStats | None] = contextvars.ContextVar("brisk_query_stats", default=None)
# True while silk does its bookkeeping: those queries are silk's, not the endpoint's
_in_silk: contextvars.ContextVar[bool] = contextvars.ContextVar("brisk_in_silk", default=False)
# True while a sampled request runs: only then does silk see its SQL (install_silk_sql_hook)
_silk_recording: contextvars.ContextVar[bool] = contextvars.ContextVar("brisk_silk_recording", default=False)


def _record_query(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    stats = _current.get()
    if stats is None:
        return execute(sql, params, many, context)
    if _in_silk.get():
        stats.silk_count += 1  # its time is inside the silk section's
        return execute(sql, params, many, context)
    start = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        elapsed = time.perf_counter() - start
        if counts_as_query(sql):
            stats.count += 1
        stats.duration += elapsed
        elapsed_ms = elapsed * 1000
        if elapsed_ms >= settings.SLOW_QUERY_MS:
            # `sql` holds placeholders only: parameter values never reach the log.
            slow_query_logger.warning(
                "slow query",
                extra={
                    "endpoint": stats.endpoint,
                    "duration_ms": round(elapsed_ms, 1),
                    "sql": sql,
                    "alias": context["connection"].alias,
                },
            )


def install_query_wrapper(sender: Any = None, connection: BaseDatabaseWrapper | None = None, **kwargs: Any) -> None:
    if connection is not None and _record_query not in connection.execute_wrappers:
        connection.execute_wrappers.append(_record_query)


def _server_timing(stats: QueryStats, started: float) -> str:
    total_ms = (time.perf_counter() - started) * 1000
    db_ms = stats.duration * 1000
    silk_ms = stats.silk_duration * 1000
    timing = f'db;dur={db_ms:.1f};desc="{stats.count} queries", app;dur={max(total_ms - db_ms - silk_ms, 0):.1f}'
    if stats.silk_count or silk_ms:
        timing += f', silk;dur={silk_ms:.1f};desc="{stats.silk_count} queries"'
    return timing


class ProfilingMiddleware:
    """Counts every request's queries; adds Server-Timing when SERVER_TIMING or DEBUG is on.

    Async-capable, so async views (long-polls) stay on the event loop.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.emit = settings.SERVER_TIMING or settings.DEBUG
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if iscoroutinefunction(self):
            return self.__acall__(request)
        started = time.perf_counter()
        stats = QueryStats(endpoint=f"{request.method} {request.path}")
        token = _current.set(stats)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        return self._finish(response, stats, started)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        stats = QueryStats(endpoint=f"{request.method} {request.path}")
        token = _current.set(stats)
        try:
            response = await self.get_response(request)
        finally:
            _current.reset(token)
        return self._finish(response, stats, started)

    def _finish(self, response: HttpResponseBase, stats: QueryStats, started: float) -> HttpResponseBase:
        if self.emit:
            response["Server-Timing"] = _server_timing(stats, started)
        return response


def _excluded(path: str) -> bool:
    return path.startswith(settings.PROFILING_EXCLUDED_PREFIXES) or "/wait" in path


# Paths whose request and response bodies silk never stores: logins send passwords and
# token responses carry keys. Their timing and SQL are still recorded.
SILK_BODILESS_PREFIXES = ("/api/auth/", "/admin/login/", "/api-auth/")


def _carries_secret(request: HttpRequest, response: HttpResponseBase) -> bool:
    """Bodies silk must not store: the auth endpoints', and any response marked not to be stored."""
    return request.path.startswith(SILK_BODILESS_PREFIXES) or "no-store" in response.get("Cache-Control", "")


def _request_without_body(request: HttpRequest) -> HttpRequest:
    seen = copy.copy(request)
    seen._body = b""  # HttpRequest.body returns _body once read: silk sees an empty body
    seen._post, seen._files = QueryDict(), MultiValueDict()  # type: ignore[attr-defined]  # Django's private cache
    return seen


def _response_without_body(response: HttpResponseBase) -> HttpResponse:
    shown = HttpResponse(b"", status=response.status_code)
    for name, value in response.items():
        shown[name] = value
    return shown


def silk_is_recording() -> bool:
    """Whether silk records this request's SQL (a sampled request): compiled queries then run
    through the ORM, so silk's record shows every query of the request."""
    return _silk_recording.get()


def install_silk_sql_hook() -> None:
    """silk's SQL recorder, for sampled requests only.

    silk replaces `SQLCompiler.execute_sql` for the whole process at its first sampled
    request, and its replacement compiles and interpolates every query of every request
    before it checks whether that request is sampled. Installed here first (silk sees
    `_execute_sql` set and leaves the class alone), an unsampled request's query costs one
    context-variable read. Its EXPLAINs count as silk's queries, not the endpoint's.
    """
    from django.db.models.sql.compiler import SQLCompiler
    from silk import sql as silk_sql

    if getattr(SQLCompiler, "_brisk_silk_hook", False):
        return
    original = SQLCompiler.execute_sql

    def execute_sql(self: SQLCompiler, *args: Any, **kwargs: Any) -> Any:
        if _silk_recording.get():
            return silk_sql.execute_sql(self, *args, **kwargs)
        return original(self, *args, **kwargs)

    explain = silk_sql._explain_query

    def explain_as_silk(*args: Any, **kwargs: Any) -> Any:
        with _silk_section():
            return explain(*args, **kwargs)

    # Patching the class is the point (see above); the stubs type methods as read-only.
    SQLCompiler._execute_sql = original  # type: ignore[attr-defined]
    SQLCompiler.execute_sql = execute_sql  # type: ignore[method-assign]
    SQLCompiler._brisk_silk_hook = True  # type: ignore[attr-defined]
    silk_sql._explain_query = explain_as_silk
    # silk stores each query with its parameters interpolated (`q % params`): a token
    # lookup would store the key. It stores the placeholders instead, as the slow-query
    # log does; its EXPLAIN still runs with the real parameters.
    silk_sql.force_str = lambda param: "%s"


class _silk_section:
    """silk's bookkeeping: its queries and time go to the `silk` metric, not the endpoint's."""

    def __enter__(self) -> None:
        self.token = _in_silk.set(True)
        self.started = time.perf_counter()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        _in_silk.reset(self.token)
        stats = _current.get()
        if stats is not None:
            stats.silk_duration += time.perf_counter() - self.started


class SampledSilkMiddleware:
    """Runs silk for a sample of requests, never for long-polls; an unsampled request pays nothing.

    silk's own middleware is sync-only; installed directly it would force every
    async view (long-poll) onto a worker thread for the whole wait. This wrapper is
    async-capable and sends only the sampled, non-excluded requests through silk.
    silk's SQL hook records only while a sampled request runs, its bookkeeping is
    counted apart (`silk` in Server-Timing), secrets' bodies are not stored, and a
    failure of silk's is logged, never raised into the request.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        from django.db import router
        from silk.middleware import SilkyMiddleware
        from silk.models import Request as SilkRequest

        install_silk_sql_hook()
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
            self.sync_get_response = async_to_sync(get_response)
        else:
            self.sync_get_response = get_response
        self.silk = SilkyMiddleware(self.sync_get_response)
        self.silk_database = router.db_for_write(SilkRequest)

    def _sample(self, request: HttpRequest) -> bool:
        if _excluded(request.path) or request.headers.get("Prefer", "").startswith("wait"):
            return False
        return random.random() * 100 < settings.SILK_SAMPLE_PERCENT

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        # the marker settings.SILKY_INTERCEPT_FUNC reads; not an HttpRequest attribute
        sampled = request._brisk_silk_sampled = self._sample(request)  # type: ignore[attr-defined]
        if sampled:
            return self._through_silk(request)
        return self.get_response(request)

    def _silk_step(self, step: Callable[..., Any], *args: Any) -> bool:
        from django.db import transaction

        try:
            # a savepoint: a failed silk write never breaks a transaction around the request
            with _silk_section(), transaction.atomic(using=self.silk_database):
                step(*args)
        except Exception:
            silk_logger.warning("silk failed to record %s; the request goes on unrecorded", args[0].path, exc_info=True)
            return False
        return True

    def _through_silk(self, request: HttpRequest) -> HttpResponseBase:
        from silk.collector import DataCollector

        bodiless = request.path.startswith(SILK_BODILESS_PREFIXES)
        seen = _request_without_body(request) if bodiless else request
        try:
            recording = self._silk_step(self.silk.process_request, seen)
            recording = recording and getattr(seen, "silk_is_intercepted", False)
            token = _silk_recording.set(recording)
            try:
                response: HttpResponseBase = self.sync_get_response(request)
            finally:
                _silk_recording.reset(token)
            if recording:
                shown = response
                if _carries_secret(request, response):
                    shown = _response_without_body(response)
                    record = DataCollector().request
                    if record is not None:
                        record.body, record.raw_body = "", ""
                self._silk_step(self.silk.process_response, seen, shown)
            return response
        finally:
            # silk keeps the request in a thread-local collector after it is done; left
            # there, it would record (and EXPLAIN) the queries of the next, unsampled
            # request that runs on this thread.
            DataCollector().clear()

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        sampled = request._brisk_silk_sampled = self._sample(request)  # type: ignore[attr-defined]
        if sampled:
            return await sync_to_async(self._through_silk)(request)
        response: HttpResponseBase = await self.get_response(request)
        return response
