"""Events under load: a burst of submits with sockets connected, every event counted at every socket."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from apps.accounts.services import token_for_user
from apps.core import realtime
from apps.core.realtime import envelope, send_now
from apps.jobs import services
from config.asgi import application
from tests.accounts.factories import UserFactory
from tests.jobs.factories import JobFactory, RoomFactory, RoomMemberFactory, WorkerFactory, WorkerJobFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]

HOST = [(b"host", b"testserver")]
OWNERS = 10
SUBMITS = 150


@sync_to_async(thread_sensitive=False)
def room_with_workers():
    """A room whose job is served by OWNERS workers of OWNERS users: each submit sends 2 + OWNERS events."""
    submitter = UserFactory()
    room = RoomFactory(name="load", created_by=submitter)
    RoomMemberFactory(room=room, user=submitter)
    job = JobFactory(room="load", name="crunch")
    owners = []
    for _ in range(OWNERS):
        owner = UserFactory()
        RoomMemberFactory(room=room, user=owner)
        WorkerJobFactory(worker=WorkerFactory(user=owner), job=job)
        owners.append(token_for_user(user=owner))
    return submitter, job, owners


@sync_to_async(thread_sensitive=False)
def submit_many(submitter, job, count: int) -> None:
    from django.db import connection

    for i in range(count):
        services.task_submit(user=submitter, room="load", job=job, payload={"i": i})
    connection.close()


async def collect(socket, count: int, timeout: float = 10.0) -> list[dict]:
    events = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(events) < count and loop.time() < deadline:
        try:
            events.append(await socket.receive_json_from(timeout=max(0.1, deadline - loop.time())))
        except TimeoutError:
            break
    return events


async def test_a_burst_of_submits_reaches_every_socket_in_full_with_fewer_messages_than_events():
    submitter, job, owner_tokens = await room_with_workers()
    sockets = []
    for token in owner_tokens:
        socket = WebsocketCommunicator(application, f"/ws/jobs/rooms/load/?token={token}", headers=HOST)
        assert (await socket.connect(timeout=5))[0]
        assert (await socket.receive_json_from(timeout=5))["type"] == "subscribed"
        sockets.append(socket)
    before = realtime.realtime_metrics()

    await submit_many(submitter, job, SUBMITS)

    # each owner: SUBMITS task.status (room group) + SUBMITS task.available (its own user group)
    received = await asyncio.gather(*(collect(socket, 2 * SUBMITS) for socket in sockets))
    after = realtime.realtime_metrics()
    for events in received:
        by_type = {"task.status": [], "task.available": []}
        for event in events:
            by_type[event["type"]].append(event)
        assert len(by_type["task.status"]) == SUBMITS
        assert len(by_type["task.available"]) == SUBMITS
        for same_group in by_type.values():  # numbered one by one, in order, no gap
            numbers = [event["seq"] for event in same_group]
            assert numbers == list(range(numbers[0], numbers[0] + SUBMITS))
        ids = [event["data"]["id"] for event in by_type["task.available"]]
        assert ids == sorted(ids)  # commit order
    sent = after["events_sent"] - before["events_sent"]
    assert sent == SUBMITS * (2 + OWNERS)  # task.status to the room and to the task, task.available to each owner
    assert after["events_dropped"] == before["events_dropped"]
    assert after["messages_sent"] - before["messages_sent"] < sent  # batched: one message carries many events
    for socket in sockets:
        await socket.disconnect()


async def test_shed_events_are_counted_and_leave_a_gap_in_seq(settings):
    settings.REALTIME_MAX_BACKLOG = 100
    user = await sync_to_async(UserFactory, thread_sensitive=False)()
    room = await sync_to_async(RoomFactory, thread_sensitive=False)(name="shed", created_by=user)
    await sync_to_async(RoomMemberFactory, thread_sensitive=False)(room=room, user=user)
    token = await sync_to_async(token_for_user, thread_sensitive=False)(user=user)
    socket = WebsocketCommunicator(application, f"/ws/jobs/rooms/shed/?token={token}", headers=HOST)
    assert (await socket.connect(timeout=5))[0]
    await socket.receive_json_from(timeout=5)
    before = realtime.realtime_metrics()

    # 150 events handed over at once, faster than any send: 100 wait, 50 are shed
    for i in range(150):
        send_now("jobs.room.shed", envelope("tick", {"i": i}))
    events = await collect(socket, 100)
    send_now("jobs.room.shed", envelope("tick", {"i": "after"}))
    events += await collect(socket, 1)

    assert realtime.realtime_metrics()["events_dropped"] - before["events_dropped"] == 50
    assert [event["data"]["i"] for event in events] == [*range(100), "after"]
    numbers = [event["seq"] for event in events]
    assert numbers[0] == 51  # 50 numbers skipped: the client sees the gap before the first it gets
    assert numbers == list(range(51, 152))
    await socket.disconnect()
