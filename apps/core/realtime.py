"""Realtime: broadcasts sent after commit in batches, and the WebSocket side (auth, origin, consumers).

`broadcast(group, type, data)` never blocks or fails the request that calls it: the
event is handed to the server's event loop after commit, and the loop's sender sends
what has piled up in batches: one channel-layer message per group per batch (every
process following the group has subscribed once, through `apps.core.hub`), the whole batch
in two Redis round trips (`_send_redis`). Each
event carries a per-group sequence number (`seq`, increasing by one per event), so a
client that sees a gap knows it missed something and refetches. Nothing is dropped
silently: a send that fails, or an event shed because the backlog is full, is counted
in `realtime_metrics()` and still consumes its sequence number.

Group names are `<app>.<kind>.<id>`; clients receive `{"type", "data", "seq"}`.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import json
import logging
import os
import threading
import time
import weakref
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from asgiref.sync import SyncToAsync, async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http.request import split_domain_port, validate_host
from redis.exceptions import NoScriptError

from apps.accounts.tokens import user_for_token
from apps.core import concurrency
from apps.core.asgitypes import ASGIApp, Message, Receive, Scope, Send
from apps.core.hub import BATCH, REVOKE, hub

logger = logging.getLogger("brisk.realtime")

SEND_TIMEOUT_SECONDS = 5.0
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_LARGE = 1009
CLOSE_TRY_AGAIN_LATER = 1013  # too many sockets for this user, or a socket too slow to keep up
# Events one channel-layer message carries at most (a burst is split into several messages).
BATCH_MAX_EVENTS = 200
# Groups one sender sends to at once (each is a few Redis round trips).
SEND_CONCURRENCY = 16

_metrics_lock = threading.Lock()
_metrics: collections.Counter[str] = collections.Counter()


def _count(name: str, n: int = 1) -> None:
    with _metrics_lock:
        _metrics[name] += n


def realtime_metrics() -> dict[str, int]:
    """This process's counters: `events_sent`, `messages_sent`, `events_dropped` (shed or failed)."""
    with _metrics_lock:
        return {"events_sent": 0, "messages_sent": 0, "events_dropped": 0, **_metrics}


def envelope(type: str, data: Any) -> dict[str, Any]:
    """The event as clients receive it (without its `seq`, given when it is sent)."""
    # Round-trip through Django's encoder so dates, UUIDs and Decimals survive msgpack.
    encoded: dict[str, Any] = json.loads(json.dumps({"type": type, "data": data}, cls=DjangoJSONEncoder))
    return encoded


# --- sequence numbers -----------------------------------------------------------

_local_seqs: collections.Counter[str] = collections.Counter()


async def _reserve_seqs(layer: Any, group: str, n: int) -> int:
    """Reserve `n` sequence numbers of `group`; returns the last one."""
    connection = getattr(layer, "connection", None)
    if connection is None:  # the in-memory layer: one process, one counter
        _local_seqs[group] += n
        return _local_seqs[group]
    client = connection(layer.consistent_hash(group))
    key = f"{layer.prefix}:seq:{group}"
    async with client.pipeline(transaction=False) as pipe:
        pipe.incrby(key, n)
        pipe.expire(key, layer.group_expiry)
        last, _ = await pipe.execute()
    return int(last)


def _number(items: list[dict[str, Any]], last: int) -> list[dict[str, Any]]:
    """`items` with the event numbers that end at `last` (hub control items take none)."""
    seq = last - sum(1 for item in items if item.get("type") != REVOKE) + 1
    numbered = []
    for item in items:
        if item.get("type") != REVOKE:
            item = {**item, "seq": seq}
            seq += 1
        numbered.append(item)
    return numbered


def _chunks(items: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [items[start : start + BATCH_MAX_EVENTS] for start in range(0, len(items), BATCH_MAX_EVENTS)]


def _events(items: list[dict[str, Any]]) -> int:
    return sum(1 for item in items if item.get("type") != REVOKE)


async def send_batch(group: str, items: list[dict[str, Any]], *, skipped: int = 0) -> None:
    """Send `items` (event envelopes and hub control items) to `group`, numbering the events.

    `skipped` events that were shed before this batch take the numbers before it, so the
    gap shows. Raises when the layer fails; the caller counts the loss.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    if _fused(layer):
        await _send_redis(layer, {group: items}, {group: skipped})
        return
    events = _events(items)
    if events or skipped:
        last = await asyncio.wait_for(_reserve_seqs(layer, group, events + skipped), SEND_TIMEOUT_SECONDS)
        items = _number(items, last)
    for chunk in _chunks(items):
        await asyncio.wait_for(
            layer.group_send(group, {"type": BATCH, "group": group, "items": chunk}), SEND_TIMEOUT_SECONDS
        )
        _count("messages_sent")
    _count("events_sent", events)


# --- the Redis send: two round trips per batch, whatever its number of groups ----------
#
# channels-redis' group_send costs three round trips per group (prune, list, send) and the
# sequence numbers a fourth; a create's event cost more CPU in redis-py than the create's SQL
# (issue 9). Here one script per Redis host reserves the numbers of every group of the batch
# and lists their channels, and one more delivers every message to the channels that follow
# (none when nobody does). Same keys, same message format, same capacity and expiry rules as
# channels-redis' own group_send (4.x), so its `receive` reads them unchanged.

_RESERVE_AND_LIST = """
local groups = #KEYS / 2
local seq_expiry = ARGV[groups + 1]
local group_cutoff = ARGV[groups + 2]
local out = {}
for i = 1, groups do
  local last = 0
  local n = tonumber(ARGV[i])
  if n > 0 then
    last = redis.call('INCRBY', KEYS[2 * i - 1], n)
    redis.call('EXPIRE', KEYS[2 * i - 1], seq_expiry)
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[2 * i], 0, group_cutoff)
  out[i] = {last, redis.call('ZRANGE', KEYS[2 * i], 0, -1)}
end
return out
"""

_DELIVER = """
local n = #KEYS
local expiry = ARGV[3 * n + 1]
local cutoff = ARGV[3 * n + 2]
local over_capacity = 0
for i = 1, n do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, cutoff)
  if redis.call('ZCARD', KEYS[i]) < tonumber(ARGV[3 * i - 1]) then
    redis.call('ZADD', KEYS[i], ARGV[3 * i], ARGV[3 * i - 2])
    redis.call('EXPIRE', KEYS[i], expiry)
  else
    over_capacity = over_capacity + 1
  end
end
return over_capacity
"""


def _fused(layer: Any) -> bool:
    """Whether `layer` is channels-redis' core layer with the internals the fused send relies on
    (pinned in requirements; any other layer, or a changed one, takes the stock group_send)."""
    return isinstance(layer, RedisChannelLayer) and all(
        hasattr(layer, name) for name in ("_group_key", "_map_channel_keys_to_connection", "connection")
    )


_SHA = {script: hashlib.sha1(script.encode()).hexdigest() for script in (_RESERVE_AND_LIST, _DELIVER)}  # noqa: S324 - Redis names scripts by SHA-1
_last_score = 0.0


async def _run_script(client: Any, script: str, keys: list[Any], args: list[Any]) -> Any:
    try:
        return await client.evalsha(_SHA[script], len(keys), *keys, *args)
    except NoScriptError:  # a restarted Redis forgot it: the first call sends the text
        return await client.eval(script, len(keys), *keys, *args)


def _next_score() -> float:
    # a channel's messages pop lowest score first: strictly increasing scores keep this
    # process's messages in send order (equal scores would order them by their random prefix)
    global _last_score
    _last_score = max(time.time(), _last_score + 1e-6)
    return _last_score


async def _send_redis(layer: RedisChannelLayer, by_group: dict[str, list[dict[str, Any]]], skipped: Any) -> None:
    """Number and send every group's items (see above). Raises when Redis fails; the caller counts the loss."""
    by_host: dict[int, list[str]] = {}
    for group in by_group:
        by_host.setdefault(layer.consistent_hash(group), []).append(group)
    now = int(time.time())

    async def reserve(index: int, groups: list[str]) -> list[Any]:
        keys: list[Any] = []
        for group in groups:
            keys += [f"{layer.prefix}:seq:{group}", layer._group_key(group)]
        counts = [_events(by_group[group]) + skipped.get(group, 0) for group in groups]
        return list(
            await _run_script(
                layer.connection(index),
                _RESERVE_AND_LIST,
                keys,
                [*counts, layer.group_expiry, now - layer.group_expiry],
            )
        )

    async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
        hosts = list(by_host.items())
        answers = await asyncio.gather(*(reserve(index, groups) for index, groups in hosts))
    deliveries: dict[int, list[Any]] = {}  # host -> [key, message, capacity, score, ...]
    messages = 0
    for (_, groups), answer in zip(hosts, answers, strict=True):
        for group, (last, channels) in zip(groups, answer, strict=True):
            items = by_group[group]
            if not items:
                continue
            if _events(items) or skipped.get(group, 0):
                items = _number(items, int(last))
            names = [name.decode("utf8") for name in channels]
            if not names:  # nobody follows the group: numbered and done
                continue
            for chunk in _chunks(items):
                to_host, to_message, capacity = layer._map_channel_keys_to_connection(
                    names, {"type": BATCH, "group": group, "items": chunk}
                )
                score = _next_score()
                for index, channel_keys in to_host.items():
                    for key in channel_keys:
                        deliveries.setdefault(index, []).append((key, to_message[key], capacity[key], score))
                messages += 1
    if deliveries:
        expiry = int(layer.expiry)

        async def deliver(index: int, entries: list[Any]) -> None:
            keys = [entry[0] for entry in entries]
            args = [value for entry in entries for value in entry[1:]]
            over = await _run_script(layer.connection(index), _DELIVER, keys, [*args, expiry, now - expiry])
            if over:
                logger.info("%s of %s channel messages over capacity", over, len(entries))

        async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
            await asyncio.gather(*(deliver(index, entries) for index, entries in deliveries.items()))
    _count("messages_sent", messages)
    _count("events_sent", sum(_events(items) for items in by_group.values()))


def _server_loop() -> asyncio.AbstractEventLoop | None:
    # Sync code under ASGI runs in sync_to_async threads that remember the loop that
    # called them; handing the send to that loop keeps it off the request's thread.
    loop: asyncio.AbstractEventLoop | None = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    pid = getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None)
    if loop is not None and pid == os.getpid() and loop.is_running() and not loop.is_closed():
        return loop
    return None


class _Sender:
    """One per event loop: sends what piled up since the last send, one message per group.

    Batches go one after another, so a group's events arrive in commit order (within
    this process); the groups of one batch go out concurrently. A full backlog sheds
    the event, counted, and its number is skipped, so clients see the gap.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.backlog: list[tuple[str, dict[str, Any]]] = []
        self.skipped: collections.Counter[str] = collections.Counter()
        self.draining = False
        self.last_warning = 0.0

    def submit(self, group: str, item: dict[str, Any]) -> None:
        """Runs on the loop's thread."""
        if len(self.backlog) >= settings.REALTIME_MAX_BACKLOG and item.get("type") != REVOKE:
            self.skipped[group] += 1
            _count("events_dropped")
            now = time.monotonic()
            if now - self.last_warning > 1:
                self.last_warning = now
                logger.warning("realtime backlog full (%s events): shedding events, counted", len(self.backlog))
            return
        self.backlog.append((group, item))
        if not self.draining:
            self.draining = True
            self.loop.create_task(self._drain())

    async def _drain(self) -> None:
        # Stops when the backlog is empty (no await between the check and the flag), so an
        # idle loop holds no pending task; the next submit starts a new drain.
        limit = asyncio.Semaphore(SEND_CONCURRENCY)
        while self.backlog or self.skipped:
            batch, self.backlog = self.backlog, []
            by_group: dict[str, list[dict[str, Any]]] = {}
            for group, item in batch:
                by_group.setdefault(group, []).append(item)
            for group in self.skipped:
                by_group.setdefault(group, [])
            skipped, self.skipped = self.skipped, collections.Counter()
            layer = get_channel_layer()
            if _fused(layer):  # every group of the batch in two round trips
                try:
                    await _send_redis(layer, by_group, skipped)
                except Exception as exc:
                    lost = sum(_events(items) for items in by_group.values())
                    _count("events_dropped", lost)
                    logger.warning("broadcast failed (%s events lost): %s: %s", lost, exc.__class__.__name__, exc)
                continue

            async def send(group: str, items: list[dict[str, Any]], skipped: int) -> None:
                async with limit:
                    try:
                        await send_batch(group, items, skipped=skipped)
                    except Exception as exc:
                        lost = sum(1 for item in items if item.get("type") != REVOKE)
                        _count("events_dropped", lost)
                        logger.warning("broadcast failed (%s events lost): %s: %s", lost, exc.__class__.__name__, exc)

            await asyncio.gather(*(send(group, items, skipped[group]) for group, items in by_group.items()))
        self.draining = False


_senders: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Sender] = weakref.WeakKeyDictionary()
_senders_lock = threading.Lock()


def _sender_for(loop: asyncio.AbstractEventLoop) -> _Sender:
    with _senders_lock:
        sender = _senders.get(loop)
        if sender is None:
            sender = _senders[loop] = _Sender(loop)
        return sender


def send_now(group: str, item: dict[str, Any]) -> None:
    """Send an item now, without waiting for delivery where an event loop is running."""
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is not None:
        _sender_for(running).submit(group, item)
        return
    loop = _server_loop()
    if loop is not None:
        loop.call_soon_threadsafe(_sender_for(loop).submit, group, item)
        return
    # No server loop (management command, Celery worker, sync test): send inline.
    try:
        async_to_sync(send_batch)(group, [item])
    except Exception as exc:
        _count("events_dropped")
        logger.warning("broadcast failed: %s: %s", exc.__class__.__name__, exc)


def broadcast(group: str, type: str, data: Any, *, using: str | None = None) -> None:
    """Send `{"type": type, "data": data}` to `group` after the transaction commits; never on rollback."""
    item = envelope(type, data)
    transaction.on_commit(lambda: send_now(group, item), using=using)


def revoke(group: str, user_id: int, *, using: str | None = None) -> None:
    """After commit, close `user_id`'s sockets on `group` (4403) once the events before it are sent."""
    item = {"type": REVOKE, "user_id": user_id}
    transaction.on_commit(lambda: send_now(group, item), using=using)


# --- WebSocket side: token, origin, routing ----------------------------------------

# A client offers the subprotocols ["brisk.token", "<key>"]; the server answers "brisk.token".
TOKEN_SUBPROTOCOL = "brisk.token"  # noqa: S105 - a protocol name, not a secret


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def token_from_scope(scope: Scope) -> str | None:
    """The key a socket presents: subprotocols `["brisk.token", key]`, else `?token=key`."""
    subprotocols = list(scope.get("subprotocols") or ())
    if TOKEN_SUBPROTOCOL in subprotocols:
        index = subprotocols.index(TOKEN_SUBPROTOCOL)
        if index + 1 < len(subprotocols):
            return str(subprotocols[index + 1])
    keys = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
    return keys[0] if keys else None


@database_sync_to_async  # type: ignore[untyped-decorator]  # channels ships no type information
def _user_for_token(key: str) -> AbstractBaseUser | AnonymousUser:
    return user_for_token(key[:64]) or AnonymousUser()


class TokenAuthMiddleware:
    """A presented token authenticates the socket (`scope["auth"] = "token"`); otherwise the session user stays.

    A presented but unknown token leaves the socket anonymous (closed 4401), never
    falling back to the session.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> Any:
        if scope["type"] == "websocket":
            key = token_from_scope(scope)
            if key is not None:
                scope = dict(scope, user=await _user_for_token(key), auth="token")
            else:
                scope = dict(scope, auth="session")
        return await self.app(scope, receive, send)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_tuple(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[parts.scheme]


def socket_origin(scope: Scope) -> tuple[str, str, int] | None:
    """The socket's own origin: the scheme it arrived on and its `Host` header (port included)."""
    host = _header(scope, b"host")
    if not host:
        return None
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
    return _origin_tuple(f"{scheme}://{host}")


def origin_allowed(scope: Scope) -> bool:
    """Token sockets may omit `Origin`; a present one, and any cookie socket's, must be ours.

    "Ours" is the socket's own scheme, host and port, or an entry of CSRF_TRUSTED_ORIGINS
    (exact scheme, host and port). A token carries no ambient credential, so a script
    client without `Origin` is not a cross-site risk; a session cookie is.
    """
    origin = _header(scope, b"origin")
    if origin is None:
        return bool(scope.get("auth") == "token")
    presented = _origin_tuple(origin)
    if presented is None:
        return False
    trusted = {_origin_tuple(url) for url in settings.CSRF_TRUSTED_ORIGINS}
    return presented == socket_origin(scope) or presented in trusted


async def _deny(receive: Receive, send: Send) -> None:
    """Refuse at the handshake (the client sees HTTP 403)."""
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close"})


class OriginValidator:
    """Refuses sockets whose `Origin` is not ours (see `origin_allowed`); sits inside TokenAuthMiddleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> Any:
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await _deny(receive, send)
        return await self.app(scope, receive, send)


class CloseUnrouted:
    """A path no route matches (or with a malformed id) is accepted and closed 4404, never a 500."""

    def __init__(self, router: ASGIApp, patterns: list[Any]) -> None:
        self.router = router
        self.patterns = patterns

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> Any:
        path: str = scope["path_remaining"] if "path_remaining" in scope else scope.get("path", "")
        path = path.lstrip("/")
        if not any(pattern.pattern.match(path) for pattern in self.patterns):
            message = await receive()
            if message["type"] == "websocket.connect":
                await send({"type": "websocket.accept"})
                await send({"type": "websocket.close", "code": CLOSE_NOT_FOUND})
            return None
        return await self.router(scope, receive, send)


def websocket_application(patterns: list[Any]) -> ASGIApp:
    """The WebSocket stack every app's routes sit behind: session, token, origin, routing."""
    from channels.auth import AuthMiddlewareStack
    from channels.routing import URLRouter

    stack: ASGIApp = AuthMiddlewareStack(
        TokenAuthMiddleware(OriginValidator(CloseUnrouted(URLRouter(patterns), patterns)))
    )
    return stack


# --- the base consumer ---------------------------------------------------------------

_REVOKED = object()  # outbox marker: close 4403 once what is queued before it has been sent


class BriskConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]  # channels ships no type information
    """Authenticates, checks access, follows groups through the process hub, forwards events.

    Subclasses implement `groups_for(user)`: the groups the user may follow on this
    socket, or None when the user may not (closes 4403). It should use the same
    selector as the REST API. Events reach the socket through its process's hub and
    its own outbox (no channel-layer channel per socket); a socket that falls
    `WEBSOCKET_OUTBOX_SIZE` events behind is closed 1013 and reconnects.
    """

    # No channel of its own: an alias that names no layer gives the consumer none.
    channel_layer_alias = "brisk.hub-only"

    joined: list[str]

    async def groups_for(self, user: Any) -> Iterable[str] | None:
        raise NotImplementedError

    @property
    def user_id(self) -> int | None:
        return getattr(self.scope.get("user"), "pk", None)

    async def connect(self) -> None:
        self.joined = []
        self.outbox: asyncio.Queue[Any] = asyncio.Queue(maxsize=settings.WEBSOCKET_OUTBOX_SIZE)
        self.sender: asyncio.Task[None] | None = None
        self.lease: concurrency.Lease | None = None
        self.too_slow = False
        user = self.scope.get("user")
        subprotocol = TOKEN_SUBPROTOCOL if TOKEN_SUBPROTOCOL in (self.scope.get("subprotocols") or ()) else None
        # Accept first so the client sees the close code (a close before accept is a bare 403).
        await self.accept(subprotocol)
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.lease = await concurrency.acquire("ws", user.pk, settings.WEBSOCKET_MAX_PER_USER, refresh=True)
        if self.lease is None:
            await self.close(code=CLOSE_TRY_AGAIN_LATER)
            return
        groups = await self.groups_for(user)
        if groups is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.join(list(groups))

    async def join(self, groups: list[str]) -> None:
        # "subscribed" goes first into the outbox, and the outbox is sent only once the
        # socket follows every group: a client that read "subscribed" misses no later event.
        self.enqueue(json.dumps({"type": "subscribed", "data": {"groups": groups}}))
        for group in groups:
            await hub().subscribe(group, self)
            self.joined.append(group)
        self.sender = asyncio.create_task(self._send_outbox())

    # Listener side (called by the hub, on the loop, never blocking)

    def deliver(self, event: dict[str, Any], text: str) -> None:
        self.enqueue(text)

    def revoke(self) -> None:
        self.enqueue(_REVOKED)

    def enqueue(self, item: Any) -> None:
        if self.too_slow:
            return
        try:
            self.outbox.put_nowait(item)
        except asyncio.QueueFull:
            logger.warning("closing a socket that fell %s events behind", settings.WEBSOCKET_OUTBOX_SIZE)
            self.too_slow = True
            asyncio.get_running_loop().create_task(self._close_too_slow())

    async def _close_too_slow(self) -> None:
        await self.leave()
        await self.close(code=CLOSE_TRY_AGAIN_LATER)

    async def _send_outbox(self) -> None:
        while True:
            item = await self.outbox.get()
            if item is _REVOKED:
                self.sender = None  # this task: leave() must not cancel it before the close
                await self.leave()
                await self.close(code=CLOSE_FORBIDDEN)
                return
            await self.send(text_data=item)

    async def leave(self) -> None:
        for group in getattr(self, "joined", ()):
            hub().unsubscribe(group, self)
        self.joined = []
        sender = getattr(self, "sender", None)
        if sender is not None:
            self.sender = None
            sender.cancel()

    async def disconnect(self, code: int) -> None:
        await self.leave()
        lease = getattr(self, "lease", None)
        if lease is not None:
            self.lease = None
            await lease.release()

    async def websocket_receive(self, message: Message) -> None:
        text = message.get("text") or ""
        data = message.get("bytes") or b""
        if len(text.encode("utf-8")) + len(data) > settings.WEBSOCKET_MAX_MESSAGE_BYTES:
            await self.close(code=CLOSE_TOO_LARGE)
            return
        await super().websocket_receive(message)

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong", "data": {}})
        else:
            await self.send_json({"type": "error", "data": {"detail": 'Only {"type": "ping"} is accepted.'}})
