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
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from typing import Any, Protocol

from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder

logger = logging.getLogger("brisk.hub")

BATCH = "hub.batch"
REVOKE = "hub.revoke"
# channels-redis forgets group members after its group_expiry (a day); the hub re-joins
# its groups well before that while it is alive.
REJOIN_SECONDS = 3600.0


class Listener(Protocol):
    """Something local that follows a group: a socket or a waiting long-poll."""

    user_id: int | None

    def deliver(self, event: dict[str, Any], text: str) -> None: ...

    def revoke(self) -> None: ...


class Hub:
    """One per event loop (one per server process); see the module docstring."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.listeners: dict[str, set[Listener]] = {}
        self.joined: set[str] = set()
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._channel: str | None = None
        self._channel_lock = asyncio.Lock()
        self._pump: asyncio.Task[None] | None = None
        self._rejoin: asyncio.Task[None] | None = None

    # --- joining and leaving --------------------------------------------------------

    async def subscribe(self, group: str, listener: Listener) -> None:
        """Follow `group`; when this returns, every later event sent to it reaches `listener`.

        Raises what the layer raises when the group cannot be joined (Redis down); the
        listener is then not subscribed.
        """
        self.listeners.setdefault(group, set()).add(listener)
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
            asyncio.get_running_loop().create_task(self._leave_if_unused(group))

    async def _leave_if_unused(self, group: str) -> None:
        # Under the group's lock, so a leave and a later join reach the layer in order.
        async with self._lock(group):
            if group in self.listeners or group not in self.joined:
                return
            self.joined.discard(group)
            try:
                await self.layer.group_discard(group, await self.channel())
            except Exception as exc:  # the membership expires anyway; stray events find no listener
                logger.warning("hub group_discard failed: %s", exc.__class__.__name__)

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
                    self._channel = await self.layer.new_channel("hub.")
                    self._pump = asyncio.get_running_loop().create_task(self._receive_forever())
                    self._rejoin = asyncio.get_running_loop().create_task(self._rejoin_forever())
        return self._channel

    # --- receiving ------------------------------------------------------------------

    async def _receive_forever(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self._channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a layer hiccup must not end every local socket
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # the layer turned our cancellation into its own error: stop anyway
                logger.warning("hub receive failed: %s: %s", exc.__class__.__name__, exc)
                await asyncio.sleep(1)
                continue
            try:
                self.dispatch(message)
            except Exception:
                logger.exception("hub could not dispatch a message")

    async def _rejoin_forever(self) -> None:
        while True:
            await asyncio.sleep(REJOIN_SECONDS)
            for group in list(self.joined):
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
