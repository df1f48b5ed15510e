"""The long-poll `GET tasks/{id}/` with `Prefer: wait=N`: woken by the task's event, holding no connection."""

import asyncio

import pytest
import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.test import AsyncClient

from apps.accounts.services import token_for_user
from apps.jobs.events import task_group
from apps.jobs.models import TaskStatus
from tests.accounts.factories import UserFactory
from tests.jobs.factories import (
    JobFactory,
    RoomFactory,
    RoomMemberFactory,
    TaskFactory,
    WorkerFactory,
    WorkerJobFactory,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis, pytest.mark.postgres]


def _setup():
    owner, member = UserFactory(), UserFactory()
    room = RoomFactory(name="lab", created_by=owner)
    RoomMemberFactory(room=room, user=owner)
    RoomMemberFactory(room=room, user=member)
    job = JobFactory(room="lab", name="rotate")
    worker = WorkerFactory(user=owner)
    WorkerJobFactory(worker=worker, job=job)
    task = TaskFactory(job=job, room="lab", worker=worker, status=TaskStatus.CLAIMED, created_by=member)
    return {
        "task_id": task.pk,
        "member_token": token_for_user(user=member),
        "owner_token": token_for_user(user=owner),
    }


setup = sync_to_async(_setup, thread_sensitive=False)


def _patch_from_another_connection(task_id: int, token: str, status: str) -> int:
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    try:
        return client.patch(f"/api/jobs/tasks/{task_id}/", {"status": status}, format="json").status_code
    finally:
        connection.close()


patch_elsewhere = sync_to_async(_patch_from_another_connection, thread_sensitive=False)


def _group_size(group: str) -> int:
    prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
    return redis.Redis.from_url(settings.REDIS_URL).zcard(f"{prefix}:group:{group}")


def _pool_in_use() -> tuple[int, int]:
    """(connections checked out of the pool, connection requests served so far)."""
    stats = connection.pool.get_stats()
    return stats["pool_size"] - stats["pool_available"], stats.get("requests_num", 0)


def _busy_backends() -> int:
    """Other backends of this database that are running a query or sit inside a transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')"
        )
        return cursor.fetchone()[0]


def _release_main_connection() -> None:
    connection.close()


async def _until(predicate, timeout: float = 10.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.05)
    return False


def _poll(task_id: int, token: str, wait: int):
    return AsyncClient().get(
        f"/api/jobs/tasks/{task_id}/", headers={"Prefer": f"wait={wait}", "Authorization": f"Token {token}"}
    )


async def test_a_patch_from_another_connection_wakes_the_long_poll():
    state = await setup()
    poll = asyncio.create_task(_poll(state["task_id"], state["member_token"], 30))
    group = task_group(state["task_id"])
    assert await _until(lambda: sync_to_async(_group_size)(group)), "the long-poll never subscribed"

    assert await patch_elsewhere(state["task_id"], state["owner_token"], "running") == 200

    response = await asyncio.wait_for(poll, 30)
    assert response.status_code == 200
    assert response.json()["status"] == "running"
    assert response.json()["started_at"] is not None
    assert response["Preference-Applied"] == "wait=30"


@pytest.mark.skipif("pool" not in settings.DATABASES["default"].get("OPTIONS", {}), reason="needs the pool")
async def test_a_waiting_long_poll_holds_no_database_connection():
    state = await setup()
    await sync_to_async(_release_main_connection)()
    in_use_before, requests_before = await sync_to_async(_pool_in_use)()

    poll = asyncio.create_task(_poll(state["task_id"], state["member_token"], 30))
    group = task_group(state["task_id"])

    async def waiting() -> bool:
        in_use, requests = await sync_to_async(_pool_in_use)()
        # subscribed, has read the task (one more pool request), and handed the connection back
        return await sync_to_async(_group_size)(group) > 0 and requests > requests_before and in_use <= in_use_before

    assert await _until(waiting), "the long-poll kept a pooled connection while waiting"
    assert not poll.done()
    in_use, _ = await sync_to_async(_pool_in_use)()
    assert in_use == in_use_before
    assert await sync_to_async(_busy_backends)() == 0  # nothing active or idle in transaction
    await sync_to_async(_release_main_connection)()

    assert await patch_elsewhere(state["task_id"], state["owner_token"], "running") == 200
    response = await asyncio.wait_for(poll, 30)
    assert response.json()["status"] == "running"


async def test_the_long_poll_times_out_with_the_unchanged_task():
    state = await setup()
    response = await _poll(state["task_id"], state["member_token"], 1)
    assert response.status_code == 200
    assert response.json()["status"] == "claimed"
    assert response["Preference-Applied"] == "wait=1"


async def test_the_long_poll_refuses_strangers_and_anonymous():
    state = await setup()
    stranger_token = await sync_to_async(lambda: token_for_user(user=UserFactory()), thread_sensitive=False)()
    stranger = await _poll(state["task_id"], stranger_token, 5)
    assert stranger.status_code == 404
    anonymous = await AsyncClient().get(f"/api/jobs/tasks/{state['task_id']}/", headers={"Prefer": "wait=5"})
    assert anonymous.status_code == 401
    group = task_group(state["task_id"])

    async def unsubscribed() -> bool:
        return await sync_to_async(_group_size)(group) == 0

    assert await _until(unsubscribed, timeout=5)  # the stranger's subscription is left on the way out


@pytest.mark.django_db
def test_without_a_channel_layer_the_long_poll_answers_at_once(cast, client_for, settings):
    from channels.layers import channel_layers

    task = TaskFactory(job=cast.job, room="lab", worker=cast.worker, status=TaskStatus.CLAIMED)
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    channel_layers.backends.pop("default", None)  # the next request builds a layer on the dead address
    response = client_for(cast.member).get(f"/api/jobs/tasks/{task.pk}/", HTTP_PREFER="wait=30")
    assert response.status_code == 200
    assert response.json()["status"] == "claimed"
    assert "Preference-Applied" not in response  # the wait was not honoured, and says so
