"""The per-process fan-out hub: one channel-layer subscription per group per process.

Every WebSocket and every waiting long-poll in a server process listens through its
event loop's `Hub`. The hub owns one channel-layer channel and one receive loop; a
group is joined on the layer (`group_add`) once, when its first local listener
arrives, and left when its last one goes. An event batch sent to a group is decoded
once, each event is encoded to JSON once, and the text is handed to every local
listener: a socket's outbox (sent from the socket's own task, so a slow client
delays only itself) or a long-poll's wake-up. A thousand sockets on one board, or
two thousand long-polls, cost the layer one subscription per group, not one each.

The layer messages (built by `apps.core.realtime`'s sender):
    {"type": "hub.batch", "group": g, "items": [envelope, ...]}
where an envelope is an event `{"type", "data", "seq"}` or the control item
`{"type": "hub.revoke", "user_id": n}`: that user's listeners on the group are
revoked (a socket sees the events queued before it, then closes 4403).

On channels-redis the hub reads its channel itself: its channel is an ordinary one of
its own (`hub.<uuid>`, one Redis sorted set only it reads) and one `BZMPOP` takes every
message waiting there, up to `RECEIVE_BATCH`, in one round trip. The layer's `receive`
made four per message (a clean-up script, `BZPOPMIN`, then `ZADD` and `ZPOPMIN` on a
back-up queue that keeps a message when a consumer is cancelled mid-read; the hub's
messages are only ever for this process, which a cancelled read means is stopping).
Any other layer (the in-memory one) is read through its `receive`.

A group whose last local listener goes is left `LEAVE_AFTER_SECONDS` later, together
with every other group due by then (one pipelined `ZREM` per Redis host on
channels-redis): a long-poll leaves its task's group when it answers, and a client that
polls again at once finds the group still joined (no `group_add`); two thousand polls
answering together leave in a few round trips, not two thousand. Until then the group's
events still reach the hub and find no listener.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
import weakref
from typing import Any, Protocol

from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.core.serializers.json import DjangoJSONEncoder

logger = logging.getLogger("brisk.hub")

BATCH = "hub.batch"
REVOKE = "hub.revoke"
# channels-redis forgets group members after its group_expiry (a day); the hub re-joins
# its groups well before that while it is alive.
REJOIN_SECONDS = 3600.0
# A group nobody follows any more is left this long after, with the others due by then.
LEAVE_AFTER_SECONDS = 2.0
RECEIVE_BATCH = 100  # messages taken off the hub's channel in one read (channels-redis)


class Listener(Protocol):
    """Something local that follows a group: a socket or a waiting long-poll."""

    user_id: int | None

    def deliver(self, event: dict[str, Any], text: str) -> None: ...

    def revoke(self) -> None: ...


class Hub:
    """One per event loop (one per server process); see the module docstring."""

    leave_after = LEAVE_AFTER_SECONDS

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.listeners: dict[str, set[Listener]] = {}
        self.joined: set[str] = set()
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._channel: str | None = None
        self._channel_lock = asyncio.Lock()
        self._pump: asyncio.Task[None] | None = None
        self._rejoin: asyncio.Task[None] | None = None
        self._leaving: dict[str, float] = {}  # group -> when to leave it (loop time), earliest first
        self._leaver: asyncio.Task[None] | None = None

    # --- joining and leaving --------------------------------------------------------

    async def subscribe(self, group: str, listener: Listener) -> None:
        """Follow `group`; when this returns, every later event sent to it reaches `listener`.

        Raises what the layer raises when the group cannot be joined (Redis down); the
        listener is then not subscribed.
        """
        self.listeners.setdefault(group, set()).add(listener)
        self._leaving.pop(group, None)
        if group in self.joined:
            return
        try:
            async with self._lock(group):
                if group not in self.joined:
                    await self.layer.group_add(group, await self.channel())
                    self.joined.add(group)
        except BaseException:
            self.unsubscribe(group, listener)
            raise

    def unsubscribe(self, group: str, listener: Listener) -> None:
        listeners = self.listeners.get(group)
        if listeners is None:
            return
        listeners.discard(listener)
        if not listeners:
            del self.listeners[group]
            # Left a little later, with the others due then: a listener that comes back
            # meanwhile (a client polling again) finds the group still joined.
            loop = asyncio.get_running_loop()
            self._leaving.pop(group, None)  # re-inserted last: the dict stays in deadline order
            self._leaving[group] = loop.time() + self.leave_after
            if self._leaver is None or self._leaver.done():
                self._leaver = loop.create_task(self._leave_later())

    async def _leave_later(self) -> None:
        loop = asyncio.get_running_loop()
        while self._leaving:
            first = next(iter(self._leaving.values()))
            await asyncio.sleep(max(0.0, first - loop.time()))
            now = loop.time()
            due = []
            for group, at in list(self._leaving.items()):
                if at > now:
                    break
                del self._leaving[group]
                due.append(group)
            try:
                await self._leave_if_unused(due)
            except Exception as exc:  # the memberships expire anyway; stray events find no listener
                logger.warning("hub group_discard failed: %s", exc.__class__.__name__)

    async def _leave_if_unused(self, groups: list[str]) -> None:
        """Leave those of `groups` nobody follows any more, in one round trip per Redis host."""
        # Under each group's lock, so a leave and a later join reach the layer in order.
        async with contextlib.AsyncExitStack() as stack:
            leaving = []
            for group in groups:
                if group in self.listeners or group not in self.joined:
                    continue
                await stack.enter_async_context(self._lock(group))
                if group in self.listeners or group not in self.joined:
                    continue
                self.joined.discard(group)
                leaving.append(group)
            if not leaving:
                return
            channel = await self.channel()
            if not _reads_redis(self.layer):
                await asyncio.gather(*(self.layer.group_discard(group, channel) for group in leaving))
                return
            by_host: dict[int, list[str]] = {}
            for group in leaving:
                by_host.setdefault(self.layer.consistent_hash(group), []).append(group)
            await asyncio.gather(
                *(self._discard(index, host_groups, channel) for index, host_groups in by_host.items())
            )

    async def _discard(self, index: int, groups: list[str], channel: str) -> None:
        """channels-redis' `group_discard` (a ZREM of the channel from the group's set) for many groups at once."""
        pipe = self.layer.connection(index).pipeline(transaction=False)
        for group in groups:
            pipe.zrem(self.layer._group_key(group), channel)
        await pipe.execute()

    def _lock(self, group: str) -> asyncio.Lock:
        lock = self._locks.get(group)
        if lock is None:
            lock = self._locks[group] = asyncio.Lock()
        return lock

    async def channel(self) -> str:
        """The hub's channel on the layer, created (with its receive loop) on first use."""
        if self._channel is None:
            async with self._channel_lock:
                if self._channel is None:
                    self._channel = (
                        f"hub.{uuid.uuid4().hex}" if _reads_redis(self.layer) else await self.layer.new_channel("hub.")
                    )
                    self._pump = asyncio.get_running_loop().create_task(self._receive_forever())
                    self._rejoin = asyncio.get_running_loop().create_task(self._rejoin_forever())
        return self._channel

    # --- receiving ------------------------------------------------------------------

    async def _receive(self) -> list[dict[str, Any]]:
        """The next messages on the hub's channel (waits for at least one; see the module docstring)."""
        assert self._channel is not None
        if not _reads_redis(self.layer):
            return [await self.layer.receive(self._channel)]
        client = self.layer.connection(self.layer.consistent_hash(self._channel))
        key = self.layer.prefix + self._channel
        popped = await client.bzmpop(self.layer.brpop_timeout, 1, [key], min=True, count=RECEIVE_BATCH)
        if popped is None:
            return []  # the blocking read timed out: read again
        messages = []
        for member, _score in popped[1]:
            message = self.layer.deserialize(member)
            message.pop("__asgi_channel__", None)  # the layer's routing list: always this channel
            messages.append(message)
        return messages

    async def _receive_forever(self) -> None:
        task = asyncio.current_task()
        while True:
            # redis-py can swallow a cancellation (a retry after the cancelled read's disconnect)
            # and hand back a normal result: the loop would then read forever and hang a loop's
            # shutdown. A cancelled hub stops at the next turn whatever the client did with it.
            if task is not None and task.cancelling():
                raise asyncio.CancelledError
            try:
                messages = await self._receive()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a layer hiccup must not end every local socket
                if task is not None and task.cancelling():
                    raise  # the layer turned our cancellation into its own error: stop anyway
                logger.warning("hub receive failed: %s: %s", exc.__class__.__name__, exc)
                await asyncio.sleep(1)
                continue
            for message in messages:
                try:
                    self.dispatch(message)
                except Exception:
                    logger.exception("hub could not dispatch a message")

    async def _rejoin_forever(self) -> None:
        task = asyncio.current_task()
        while True:
            await asyncio.sleep(REJOIN_SECONDS)
            for group in list(self.joined):
                if task is not None and task.cancelling():
                    raise asyncio.CancelledError  # as in _receive_forever
                try:
                    await self.layer.group_add(group, self._channel)
                except Exception as exc:
                    logger.warning("hub rejoin failed: %s", exc.__class__.__name__)

    def dispatch(self, message: dict[str, Any]) -> None:
        if message.get("type") != BATCH:
            return
        group = str(message.get("group"))
        for item in message.get("items") or ():
            listeners = list(self.listeners.get(group, ()))
            if not listeners:
                return
            if item.get("type") == REVOKE:
                user_id = item.get("user_id")
                for listener in listeners:
                    if listener.user_id == user_id:
                        listener.revoke()
                continue
            text = json.dumps(item, cls=DjangoJSONEncoder)  # once for all local listeners
            for listener in listeners:
                listener.deliver(item, text)


def _reads_redis(layer: Any) -> bool:
    """Whether the hub reads its channel from Redis itself: channels-redis' core layer, with the internals used."""
    return isinstance(layer, RedisChannelLayer) and all(
        hasattr(layer, name) for name in ("connection", "consistent_hash", "prefix", "deserialize", "brpop_timeout")
    )


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """This event loop's hub (one per server process; tests get one per loop)."""
    loop = asyncio.get_running_loop()
    current = _hubs.get(loop)
    if current is None:
        current = _hubs[loop] = Hub(get_channel_layer())
    return current


class Waiter:
    """A long-poll's listener: collects the group's events until the poll stops waiting."""

    user_id: int | None = None

    def __init__(self, group: str) -> None:
        self.group = group
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=100)

    def deliver(self, event: dict[str, Any], text: str) -> None:
        # Any event means "look again": a full queue already says so.
        if not self.events.full():
            self.events.put_nowait(event)

    def revoke(self) -> None:  # a poll re-reads the object through its scoped selector anyway
        pass

    async def __aenter__(self) -> Waiter:
        await hub().subscribe(self.group, self)
        return self

    async def __aexit__(self, *exc: object) -> None:
        hub().unsubscribe(self.group, self)

    async def wait(self, timeout: float) -> dict[str, Any] | None:
        """The next event of the group, or None after `timeout` seconds."""
        try:
            return await asyncio.wait_for(self.events.get(), timeout)
        except TimeoutError:
            return None


def listen(group: str) -> Waiter:
    """`async with listen(group) as events: ... await events.wait(timeout)`"""
    return Waiter(group)
