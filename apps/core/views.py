"""Service-level endpoints: health, and the small home page at `/`."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from apps.core.db import db_burst

CHECK_TIMEOUT_SECONDS = 2.0


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return what was stored")
    cache.delete(key)


async def _check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    channel = await layer.new_channel("healthz.")
    await layer.send(channel, {"type": "healthz.ping"})
    message = await layer.receive(channel)
    if message.get("type") != "healthz.ping":
        raise RuntimeError("channel layer returned another message")


async def _run(check: Callable[[], Awaitable[None]] | Callable[[], None]) -> str:
    try:
        if asyncio.iscoroutinefunction(check):
            await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS)
        else:
            await asyncio.wait_for(db_burst(check), CHECK_TIMEOUT_SECONDS)
    except Exception as exc:
        return f"down: {exc.__class__.__name__}"
    return "ok"


async def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database, the cache and the channel layer all answer; 503 naming what is down."""
    database, cache_status, channel_layer = await asyncio.gather(
        _run(_check_database), _run(_check_cache), _run(_check_channel_layer)
    )
    body = {"database": database, "cache": cache_status, "channel_layer": channel_layer}
    healthy = all(value == "ok" for value in body.values())
    return JsonResponse(body, status=200 if healthy else 503)


def home(request: HttpRequest) -> HttpResponse:
    """`/`: where to go next (docs, browsable API, admin, silk, health)."""
    return render(request, "core/home.html", {"silk_enabled": settings.SILK_ENABLED})
