"""Long-poll without holding a database connection or a thread while waiting.

An async view subscribes to the object's group *first*, then checks the database
in a short burst (`apps.core.db.db_burst`, which hands the connection back), and
only then waits on the channel layer. Subscribing before the check means an event
sent between the check and the wait is not missed.

    async with subscription(f"jobs.task.{pk}") as events:
        task = await db_burst(load_task, pk)
        if not changed(task):
            await events.wait(timeout)
            task = await db_burst(load_task, pk)
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings

from apps.core.exceptions import ApplicationError

logger = logging.getLogger("brisk.longpoll")

_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*([^,;\s]*)", re.IGNORECASE)


class Subscription:
    def __init__(self, group: str):
        self.group = group
        self.layer = get_channel_layer()
        self.channel: str | None = None

    async def __aenter__(self) -> Subscription:
        if self.layer is not None:
            self.channel = await self.layer.new_channel("longpoll.")
            await self.layer.group_add(self.group, self.channel)
        return self

    async def __aexit__(self, *exc) -> None:
        if self.layer is not None and self.channel is not None:
            try:
                await self.layer.group_discard(self.group, self.channel)
            except Exception as error:  # the group entry expires anyway
                logger.warning("longpoll group_discard failed: %s", error.__class__.__name__)

    async def wait(self, timeout: float) -> dict[str, Any] | None:
        """The next event sent to the group, or None after `timeout` seconds."""
        if self.layer is None or self.channel is None:
            await asyncio.sleep(timeout)
            return None
        try:
            message = await asyncio.wait_for(self.layer.receive(self.channel), timeout)
        except TimeoutError:
            return None
        return message.get("event", message)


def subscription(group: str) -> Subscription:
    return Subscription(group)


async def wait_for_event(group: str, timeout: float) -> dict[str, Any] | None:
    """Wait for one event on `group` (subscribe-then-check callers should use `subscription`)."""
    async with subscription(group) as events:
        return await events.wait(timeout)


class BadPreferWait(ApplicationError):
    code = "invalid_prefer_wait"


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


def authenticate_sync(request):
    """The caller by DRF token or session, as DRF views see them; None when anonymous."""
    from rest_framework.authentication import SessionAuthentication
    from rest_framework.exceptions import AuthenticationFailed
    from rest_framework.request import Request

    from apps.accounts.authentication import TokenAuthentication

    drf_request = Request(request)
    for authenticator in (TokenAuthentication(), SessionAuthentication()):
        try:
            result = authenticator.authenticate(drf_request)
        except AuthenticationFailed:
            return None
        if result is not None:
            return result[0]
    return None


async def authenticate(request):
    """Authenticate an async view's request in one short database burst."""
    from apps.core.db import db_burst

    return await db_burst(authenticate_sync, request)


def error_response(status: int, detail: str, code: str, **extra: Any):
    """The same body shape the DRF exception handler produces, for plain async views."""
    from django.http import JsonResponse

    return JsonResponse({"detail": detail, "code": code, **extra}, status=status)
