"""The hub reads its own channel on channels-redis: every waiting message in one read, no back-up queue."""

import asyncio

import pytest
from channels.layers import get_channel_layer

from apps.core.hub import BATCH, RECEIVE_BATCH, Hub, Waiter

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


def batch(group: str, n: int) -> dict:
    return {"type": BATCH, "group": group, "items": [{"type": "thing.changed", "data": {"n": n}, "seq": n}]}


async def test_a_waiter_wakes_on_a_group_send_through_the_hubs_own_channel():
    layer = get_channel_layer()
    hub = Hub(layer)
    waiter = Waiter("test.hub.one")
    await hub.subscribe(waiter.group, waiter)
    try:
        channel = await hub.channel()
        assert "!" not in channel  # an ordinary channel of its own: one Redis key only this hub reads
        await layer.group_send("test.hub.one", batch("test.hub.one", 1))
        event = await waiter.wait(5)
        assert event is not None and event["data"] == {"n": 1}
        client = layer.connection(layer.consistent_hash(channel))
        assert not await client.exists(layer.prefix + channel + "$inflight")  # no back-up queue written
    finally:
        hub.unsubscribe(waiter.group, waiter)
        hub._pump.cancel()
        hub._rejoin.cancel()


async def test_one_read_takes_every_waiting_message_in_order_up_to_the_batch():
    layer = get_channel_layer()
    hub = Hub(layer)
    channel = await hub.channel()
    hub._pump.cancel()  # read by hand below
    hub._rejoin.cancel()
    await asyncio.gather(hub._pump, hub._rejoin, return_exceptions=True)
    await layer.group_add("test.hub.many", channel)
    for n in range(3):
        await layer.group_send("test.hub.many", batch("test.hub.many", n))
    await layer.send(channel, batch("test.hub.many", 3))  # a plain send to the channel reads the same
    messages = await hub._receive()
    assert [m["items"][0]["seq"] for m in messages] == [0, 1, 2, 3]
    assert all("__asgi_channel__" not in m for m in messages)
    for n in range(RECEIVE_BATCH + 5):
        await layer.send(channel, batch("test.hub.many", n))
    assert len(await hub._receive()) == RECEIVE_BATCH
    assert len(await hub._receive()) == 5
    await layer.group_discard("test.hub.many", channel)


async def test_the_pump_dispatches_each_message_of_a_read():
    layer = get_channel_layer()
    hub = Hub(layer)
    waiters = [Waiter("test.hub.a"), Waiter("test.hub.b")]
    for waiter in waiters:
        await hub.subscribe(waiter.group, waiter)
    try:
        await asyncio.gather(
            layer.group_send("test.hub.a", batch("test.hub.a", 1)),
            layer.group_send("test.hub.b", batch("test.hub.b", 2)),
        )
        events = [await waiter.wait(5) for waiter in waiters]
        assert [event["seq"] for event in events] == [1, 2]
    finally:
        for waiter in waiters:
            hub.unsubscribe(waiter.group, waiter)
        hub._pump.cancel()
        hub._rejoin.cancel()


def _members(layer, group: str) -> set[str]:
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    return {name.decode() for name in client.zrange(layer._group_key(group), 0, -1)}


async def test_a_group_nobody_follows_is_left_a_little_later_and_many_at_once():
    layer = get_channel_layer()
    hub = Hub(layer)
    hub.leave_after = 0.3
    waiters = [Waiter(f"test.hub.leave.{n}") for n in range(5)]
    try:
        for waiter in waiters:
            await hub.subscribe(waiter.group, waiter)
        channel = await hub.channel()
        for waiter in waiters:
            hub.unsubscribe(waiter.group, waiter)
        assert all(channel in _members(layer, w.group) for w in waiters)  # not yet: still joined
        await asyncio.sleep(0.6)
        assert not any(channel in _members(layer, w.group) for w in waiters)  # all left, in one pipeline
        assert hub.joined == set() and not hub._leaving
    finally:
        hub._pump.cancel()
        hub._rejoin.cancel()


async def test_a_listener_back_before_the_leave_keeps_the_group_joined_and_hears_its_events():
    layer = get_channel_layer()
    hub = Hub(layer)
    hub.leave_after = 0.3
    first, again = Waiter("test.hub.back"), Waiter("test.hub.back")
    try:
        await hub.subscribe(first.group, first)
        hub.unsubscribe(first.group, first)
        await hub.subscribe(again.group, again)  # a client polling again at once: no group_add needed
        await asyncio.sleep(0.6)  # past the leave: it was called off
        channel = await hub.channel()
        assert channel in _members(layer, "test.hub.back")
        await layer.group_send("test.hub.back", batch("test.hub.back", 7))
        event = await again.wait(5)
        assert event is not None and event["seq"] == 7
        assert first.events.empty()
    finally:
        hub.unsubscribe(again.group, again)
        hub._pump.cancel()
        hub._rejoin.cancel()


async def test_a_leave_racing_a_join_ends_joined_on_the_layer():
    """The leave runs under the group's lock: a join that comes during it reaches Redis after the ZREM."""
    layer = get_channel_layer()
    hub = Hub(layer)
    hub.leave_after = 0.0
    first, again = Waiter("test.hub.race"), Waiter("test.hub.race")
    try:
        await hub.subscribe(first.group, first)
        hub.unsubscribe(first.group, first)
        await asyncio.sleep(0)  # the leaver starts and takes the lock
        await hub.subscribe(again.group, again)
        await asyncio.sleep(0.2)
        assert await hub.channel() in _members(layer, "test.hub.race")
        assert "test.hub.race" in hub.joined
    finally:
        hub.unsubscribe(again.group, again)
        hub._pump.cancel()
        hub._rejoin.cancel()


async def test_a_cancelled_pump_stops_even_when_the_client_swallows_the_cancellation():
    # redis-py can retry a read whose cancellation it turned into a connection error, and return
    # normally: a pump that trusted the CancelledError to arrive read on for ever and hung the
    # event loop's shutdown (CI once stalled an hour on it).
    class SwallowingHub(Hub):
        async def _receive(self) -> list[dict]:
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                pass
            return []

    hub = SwallowingHub(get_channel_layer())
    await hub.channel()
    await asyncio.sleep(0.02)  # the pump is inside a read
    hub._pump.cancel()
    hub._rejoin.cancel()
    done, _ = await asyncio.wait({hub._pump, hub._rejoin}, timeout=2)
    assert hub._pump in done and hub._pump.cancelled()
    assert hub._rejoin in done
