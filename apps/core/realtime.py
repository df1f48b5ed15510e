"""Realtime: broadcasts scheduled on commit, and the base WebSocket consumer.

`broadcast(group, type, data)` never blocks or fails the request that calls it:
the event is handed to the server's event loop after commit (fire and forget),
and a channel-layer failure is logged. Group names are `<app>.<kind>.<id>`;
clients receive `{"type": ..., "data": ...}`.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import threading
import weakref
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import SyncToAsync, async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

logger = logging.getLogger("brisk.realtime")

SEND_TIMEOUT_SECONDS = 2.0
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_LARGE = 1009


def event_message(type: str, data: Any) -> dict[str, Any]:
    """The channel-layer message for an event; consumers forward `event` as it is."""
    # Round-trip through Django's encoder so dates, UUIDs and Decimals survive msgpack.
    import json

    payload = json.loads(json.dumps({"type": type, "data": data}, cls=DjangoJSONEncoder))
    return {"type": "broadcast.event", "event": payload}


async def group_send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    await asyncio.wait_for(layer.group_send(group, message), SEND_TIMEOUT_SECONDS)


def _server_loop() -> asyncio.AbstractEventLoop | None:
    # Sync code under ASGI runs in sync_to_async threads that remember the loop that
    # called them; handing the send to that loop keeps it off the request's thread.
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    pid = getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None)
    if loop is not None and pid == os.getpid() and loop.is_running() and not loop.is_closed():
        return loop
    return None


class _OrderedSender:
    """One per event loop: sends that loop's events one after another, in the order they
    were handed over, so a group's events arrive in commit order. It lives on the loop
    and never blocks a request; a full backlog drops the event with a warning."""

    MAX_BACKLOG = 10_000

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.backlog: collections.deque[tuple[str, dict[str, Any]]] = collections.deque()
        self.draining = False

    def submit(self, group: str, message: dict[str, Any]) -> None:
        """Runs on the loop's thread."""
        if len(self.backlog) >= self.MAX_BACKLOG:
            logger.warning("broadcast dropped: %s events waiting to be sent", len(self.backlog))
            return
        self.backlog.append((group, message))
        if not self.draining:
            self.draining = True
            self.loop.create_task(self._drain())

    async def _drain(self) -> None:
        # Stops when the backlog is empty (no await between the check and the flag), so an
        # idle loop holds no pending task; the next submit starts a new drain.
        while self.backlog:
            group, message = self.backlog.popleft()
            try:
                await group_send(group, message)
            except Exception as exc:
                logger.warning("broadcast failed: %s: %s", exc.__class__.__name__, exc)
        self.draining = False


_senders: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _OrderedSender] = weakref.WeakKeyDictionary()
_senders_lock = threading.Lock()


def _sender_for(loop: asyncio.AbstractEventLoop) -> _OrderedSender:
    with _senders_lock:
        sender = _senders.get(loop)
        if sender is None:
            sender = _senders[loop] = _OrderedSender(loop)
        return sender


def send_now(group: str, type: str, data: Any) -> None:
    """Send an event now, without waiting for delivery where an event loop is running."""
    message = event_message(type, data)
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is not None:
        _sender_for(running).submit(group, message)
        return
    loop = _server_loop()
    if loop is not None:
        loop.call_soon_threadsafe(_sender_for(loop).submit, group, message)
        return
    # No server loop (management command, Celery worker, sync test): send inline.
    try:
        async_to_sync(group_send)(group, message)
    except Exception as exc:
        logger.warning("broadcast failed: %s: %s", exc.__class__.__name__, exc)


def broadcast(group: str, type: str, data: Any, *, using: str | None = None) -> None:
    """Send `{"type": type, "data": data}` to `group` after the transaction commits; never on rollback."""
    transaction.on_commit(lambda: send_now(group, type, data), using=using)


# --- WebSocket side ---------------------------------------------------------


@database_sync_to_async
def _user_for_token(key: str):
    from apps.accounts.tokens import user_for_token

    return user_for_token(key) or AnonymousUser()


class TokenAuthMiddleware:
    """`?token=<key>` authenticates a socket; otherwise the session user stays."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            keys = query.get("token")
            if keys:
                scope = dict(scope, user=await _user_for_token(keys[0][:64]))
        return await self.app(scope, receive, send)


class BriskConsumer(AsyncJsonWebsocketConsumer):
    """Authenticates, checks access, joins groups and forwards events; nothing else.

    Subclasses implement `groups_for(user)`: the groups the user may follow on this
    socket, or None when the user may not (closes 4403). It should use the same
    selector as the REST API.
    """

    joined: list[str]

    async def groups_for(self, user) -> Iterable[str] | None:
        raise NotImplementedError

    async def connect(self) -> None:
        self.joined = []
        user = self.scope.get("user")
        # Accept first so the client sees the close code (a close before accept is a bare 403).
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        groups = await self.groups_for(user)
        if groups is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.join(list(groups))

    async def join(self, groups: list[str]) -> None:
        """Follow `groups` and tell the client; a subclass may route events another way."""
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.append(group)
        await self.send_json({"type": "subscribed", "data": {"groups": self.joined}})

    async def leave(self) -> None:
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def disconnect(self, code) -> None:
        await self.leave()

    async def websocket_receive(self, message) -> None:
        text = message.get("text") or ""
        data = message.get("bytes") or b""
        if len(text.encode("utf-8")) + len(data) > settings.WEBSOCKET_MAX_MESSAGE_BYTES:
            await self.close(code=CLOSE_TOO_LARGE)
            return
        await super().websocket_receive(message)

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong", "data": {}})
        else:
            await self.send_json({"type": "error", "data": {"detail": 'Only {"type": "ping"} is accepted.'}})

    async def broadcast_event(self, message) -> None:
        await self.send_json(message["event"])
