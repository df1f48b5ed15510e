"""Per-request query accounting, Server-Timing, slow-query records and sampled silk.

The query wrapper is installed on every database connection when it is created
(see CoreConfig.ready) and reports into a context variable the middleware sets
for each request. Context variables follow a request into the threads that
sync_to_async runs it on, so the count includes queries from sync views, async
views and the async ORM alike.
"""

from __future__ import annotations

import contextvars
import logging
import random
import time
from dataclasses import dataclass, field

from asgiref.sync import async_to_sync, iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings

slow_query_logger = logging.getLogger("brisk.slow_query")


@dataclass
class QueryStats:
    endpoint: str
    count: int = 0
    duration: float = 0.0  # seconds
    slow: list[dict] = field(default_factory=list)


_current: contextvars.ContextVar[QueryStats | None] = contextvars.ContextVar("brisk_query_stats", default=None)


def _record_query(execute, sql, params, many, context):
    stats = _current.get()
    if stats is None:
        return execute(sql, params, many, context)
    start = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        elapsed = time.perf_counter() - start
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


def install_query_wrapper(sender=None, connection=None, **kwargs) -> None:
    if connection is not None and _record_query not in connection.execute_wrappers:
        connection.execute_wrappers.append(_record_query)


class QueryCounter:
    """Count the queries run inside the block, wherever they run (a test and bench helper)."""

    def __init__(self, endpoint: str = "-"):
        self.stats = QueryStats(endpoint=endpoint)

    def __enter__(self) -> QueryStats:
        from django.db import connections

        for conn in connections.all(initialized_only=True):
            install_query_wrapper(connection=conn)
        self._token = _current.set(self.stats)
        return self.stats

    def __exit__(self, *exc) -> None:
        _current.reset(self._token)


def _server_timing(stats: QueryStats, started: float) -> str:
    total_ms = (time.perf_counter() - started) * 1000
    db_ms = stats.duration * 1000
    return f'db;dur={db_ms:.1f};desc="{stats.count} queries", app;dur={max(total_ms - db_ms, 0):.1f}'


class ProfilingMiddleware:
    """Counts every request's queries; adds Server-Timing when SERVER_TIMING or DEBUG is on.

    Async-capable, so async views (long-polls) stay on the event loop.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.emit = settings.SERVER_TIMING or settings.DEBUG
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
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

    async def __acall__(self, request):
        started = time.perf_counter()
        stats = QueryStats(endpoint=f"{request.method} {request.path}")
        token = _current.set(stats)
        try:
            response = await self.get_response(request)
        finally:
            _current.reset(token)
        return self._finish(response, stats, started)

    def _finish(self, response, stats: QueryStats, started: float):
        if self.emit:
            response["Server-Timing"] = _server_timing(stats, started)
        return response


def _excluded(path: str) -> bool:
    return path.startswith(settings.PROFILING_EXCLUDED_PREFIXES) or "/wait" in path


class SampledSilkMiddleware:
    """Runs silk's sync-only middleware for a sample of requests, never for long-polls.

    silk's own middleware is sync-only; installed directly it would force every
    async view (long-poll) onto a worker thread for the whole wait. This wrapper is
    async-capable and sends only the sampled, non-excluded requests through silk.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        from silk.middleware import SilkyMiddleware

        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
            self.silk = SilkyMiddleware(async_to_sync(get_response))
        else:
            self.silk = SilkyMiddleware(get_response)

    def _sample(self, request) -> bool:
        if _excluded(request.path) or request.headers.get("Prefer", "").startswith("wait"):
            return False
        return random.random() * 100 < settings.SILK_SAMPLE_PERCENT

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        request._brisk_silk_sampled = self._sample(request)
        if request._brisk_silk_sampled:
            return self._through_silk(request)
        return self.get_response(request)

    def _through_silk(self, request):
        from silk.collector import DataCollector

        try:
            return self.silk(request)
        finally:
            # silk keeps the request in a thread-local collector after it is done; left
            # there, it would record (and EXPLAIN) the queries of the next, unsampled
            # request that runs on this thread.
            DataCollector().clear()

    async def __acall__(self, request):
        request._brisk_silk_sampled = self._sample(request)
        if request._brisk_silk_sampled:
            return await sync_to_async(self._through_silk)(request)
        return await self.get_response(request)
