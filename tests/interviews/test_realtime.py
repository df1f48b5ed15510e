"""Operation events: the owner's WebSocket and a long-poll on the operation hear the outcome; no one else does."""

import asyncio

import pytest
import redis
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connection
from django.test import AsyncClient

from apps.accounts.services import token_for_user
from apps.interviews.events import operation_group
from apps.interviews.services import operation_run
from config.asgi import application
from tests.accounts.factories import UserFactory
from tests.interviews.factories import OperationFactory

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ORIGIN = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


def _setup():
    op = OperationFactory(status="pending", error_code="")
    return {
        "op": op.pk,
        "owner": token_for_user(user=op.user),
        "stranger": token_for_user(user=UserFactory()),
    }


def _run(op_id: int) -> str:
    try:
        return operation_run(operation_id=op_id).status
    finally:
        connection.close()


def _group_size(group: str) -> int:
    prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
    return redis.Redis.from_url(settings.REDIS_URL).zcard(f"{prefix}:group:{group}")


async def _socket(token: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, f"/ws/interviews/?token={token}", headers=ORIGIN)
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["type"] == "subscribed"
    return communicator


async def test_the_owner_hears_the_outcome_by_socket_and_long_poll():
    state = await sync_to_async(_setup, thread_sensitive=False)()
    owner, stranger = await _socket(state["owner"]), await _socket(state["stranger"])
    poll = asyncio.create_task(
        AsyncClient().get(
            f"/api/interviews/operations/{state['op']}/",
            headers={"Prefer": "wait=20", "Authorization": f"Token {state['owner']}"},
        )
    )
    group = operation_group(state["op"])
    for _ in range(200):
        if await sync_to_async(_group_size)(group):
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the long-poll never subscribed")

    assert await sync_to_async(_run, thread_sensitive=False)(state["op"]) == "completed"

    response = await asyncio.wait_for(poll, 20)
    assert response.status_code == 200 and response.json()["status"] == "completed"
    event = await owner.receive_json_from(timeout=5)
    assert event["type"] == "operation.completed" and event["data"]["id"] == state["op"]
    assert event["data"]["result"]["question_type"] == "technical"
    assert await stranger.receive_nothing(timeout=0.5)
    await owner.disconnect()
    await stranger.disconnect()


async def test_a_stranger_long_poll_is_404():
    state = await sync_to_async(_setup, thread_sensitive=False)()
    response = await AsyncClient().get(
        f"/api/interviews/operations/{state['op']}/",
        headers={"Prefer": "wait=1", "Authorization": f"Token {state['stranger']}"},
    )
    assert response.status_code == 404


def _setup_failing():
    """A pending question for a session paused meanwhile: the run fails it (session_not_active)."""
    state = _setup()
    from apps.interviews.models import InterviewSession, Operation

    InterviewSession.objects.filter(operations__pk=state["op"]).update(status="paused")
    assert Operation.objects.get(pk=state["op"]).status == "pending"
    return state


async def test_the_owner_hears_a_failure_by_socket():
    state = await sync_to_async(_setup_failing, thread_sensitive=False)()
    owner, stranger = await _socket(state["owner"]), await _socket(state["stranger"])
    assert await sync_to_async(_run, thread_sensitive=False)(state["op"]) == "failed"
    event = await owner.receive_json_from(timeout=5)
    assert event["type"] == "operation.failed" and event["data"]["id"] == state["op"]
    assert event["data"]["error_code"] == "session_not_active"
    assert await stranger.receive_nothing(timeout=0.5)
    await owner.disconnect()
    await stranger.disconnect()
