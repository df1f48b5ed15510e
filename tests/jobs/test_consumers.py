"""WebSocket `/ws/jobs/rooms/{room}/` through the real ASGI stack and the channels-redis layer."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from apps.accounts.services import token_for_user
from apps.jobs import services
from apps.jobs.models import JobCategory
from config.asgi import application
from tests.accounts.factories import UserFactory
from tests.jobs.factories import JobFactory, RoomFactory, RoomMemberFactory, WorkerFactory, WorkerJobFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]

ORIGIN = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


@sync_to_async(thread_sensitive=False)
def make_cast():
    owner, member, stranger = UserFactory(), UserFactory(), UserFactory()
    room = RoomFactory(name="lab", created_by=owner)
    RoomMemberFactory(room=room, user=owner)
    RoomMemberFactory(room=room, user=member)
    job = JobFactory(room="lab", name="rotate")
    worker = WorkerFactory(user=owner)
    WorkerJobFactory(worker=worker, job=job)
    tokens = {
        name: token_for_user(user=u) for name, u in [("owner", owner), ("member", member), ("stranger", stranger)]
    }
    return {"owner": owner, "member": member, "job": job, "worker": worker, "tokens": tokens}


async def connect(room: str, token: str | None):
    query = f"?token={token}" if token else ""
    communicator = WebsocketCommunicator(application, f"/ws/jobs/rooms/{room}/{query}", headers=ORIGIN)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def test_a_member_follows_task_status(monkeypatch):
    cast = await make_cast()
    socket = await connect("lab", cast["tokens"]["member"])
    subscribed = await socket.receive_json_from()
    assert subscribed["type"] == "subscribed"
    assert "jobs.room.lab" in subscribed["data"]["groups"]

    task = await sync_to_async(services.task_submit, thread_sensitive=False)(
        user=cast["member"], room="lab", job=cast["job"], payload={"a": 1}
    )
    event = await socket.receive_json_from(timeout=5)
    assert event["type"] == "task.status"
    assert event["data"]["id"] == str(task.pk)
    assert event["data"]["status"] == "pending"
    assert event["data"]["queue_position"] == 1
    assert "payload" not in event["data"]
    await socket.disconnect()


async def test_the_workers_owner_hears_task_available():
    cast = await make_cast()
    socket = await connect("lab", cast["tokens"]["owner"])
    await socket.receive_json_from()
    task = await sync_to_async(services.task_submit, thread_sensitive=False)(
        user=cast["member"], room="lab", job=cast["job"], payload={}
    )
    events = {}
    for _ in range(2):
        event = await socket.receive_json_from(timeout=5)
        events[event["type"]] = event["data"]
    assert events["task.available"] == {"id": str(task.pk), "job_name": "lab:modifiers:rotate", "room": "lab"}
    assert events["task.status"]["id"] == str(task.pk)
    await socket.disconnect()


async def test_registering_a_job_invalidates_the_job_list():
    cast = await make_cast()
    socket = await connect("lab", cast["tokens"]["member"])
    await socket.receive_json_from()
    await sync_to_async(services.job_register, thread_sensitive=False)(
        user=cast["owner"], room="lab", category=JobCategory.ANALYSIS, name="energy", schema={}
    )
    event = await socket.receive_json_from(timeout=5)
    assert event.pop("seq") >= 1
    assert event == {"type": "jobs.invalidate", "data": {"room": "lab", "full_name": "lab:analysis:energy"}}
    await socket.disconnect()


async def test_a_stranger_is_refused():
    cast = await make_cast()
    socket = await connect("lab", cast["tokens"]["stranger"])
    assert (await socket.receive_output(timeout=5))["code"] == 4403
    await socket.disconnect()


async def test_anonymous_is_refused():
    await make_cast()
    socket = await connect("lab", None)
    assert (await socket.receive_output(timeout=5))["code"] == 4401
    await socket.disconnect()


async def test_a_bad_room_name_is_refused():
    cast = await make_cast()
    socket = await connect("bad:room", cast["tokens"]["member"])
    assert (await socket.receive_output(timeout=5))["code"] == 4403
    await socket.disconnect()


async def test_a_disconnected_worker_fails_its_task_and_invalidates_the_job_list():
    cast = await make_cast()
    task = await sync_to_async(services.task_submit, thread_sensitive=False)(
        user=cast["member"], room="lab", job=cast["job"], payload={}
    )
    await sync_to_async(services.task_claim, thread_sensitive=False)(user=cast["owner"], worker_id=cast["worker"].pk)
    socket = await connect("lab", cast["tokens"]["member"])
    await socket.receive_json_from()

    await sync_to_async(services.worker_delete, thread_sensitive=False)(user=cast["owner"], worker_id=cast["worker"].pk)

    # the claim's own task.status may still be on its way: read until the failure
    first = await socket.receive_json_from(timeout=5)
    while first["type"] == "task.status" and first["data"]["status"] == "claimed":
        first = await socket.receive_json_from(timeout=5)
    second = await socket.receive_json_from(timeout=5)
    assert first["type"] == "task.status"
    assert (first["data"]["id"], first["data"]["status"], first["data"]["error"]) == (
        str(task.pk),
        "failed",
        "Worker disconnected",
    )
    assert second["seq"] == first["seq"] + 1  # the room's events, numbered without a gap
    second.pop("seq")
    assert second == {"type": "jobs.invalidate", "data": {"room": "lab", "full_name": "lab:modifiers:rotate"}}
    await socket.disconnect()
