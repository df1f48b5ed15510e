import logging

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.urls import path

from apps.accounts.services import token_for_user
from apps.core.realtime import (
    CLOSE_FORBIDDEN,
    CLOSE_UNAUTHENTICATED,
    BriskConsumer,
    broadcast,
    websocket_application,
)
from tests.accounts.factories import UserFactory

ORIGIN = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


class OwnGroupConsumer(BriskConsumer):
    """Follows `test.user.<id>` for the caller; users named `outsider*` are refused."""

    async def groups_for(self, user):
        if user.username.startswith("outsider"):
            return None
        return [f"test.user.{user.pk}"]


application = websocket_application([path("ws/test/", OwnGroupConsumer.as_asgi())])


@database_sync_to_async
def make_user(**kwargs):
    user = UserFactory(**kwargs)
    return user, token_for_user(user=user)


async def connect(token: str | None):
    url = "/ws/test/" + (f"?token={token}" if token else "")
    communicator = WebsocketCommunicator(application, url, headers=ORIGIN)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


@database_sync_to_async
def write_and_broadcast(user_id: int, *, fail: bool = False):
    with transaction.atomic():
        broadcast(f"test.user.{user_id}", "user.renamed", {"id": user_id})
        if fail:
            raise RuntimeError("roll back")


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
async def test_broadcast_reaches_the_socket_after_commit():
    user, token = await make_user()
    communicator = await connect(token)
    assert await communicator.receive_json_from() == {
        "type": "subscribed",
        "data": {"groups": [f"test.user.{user.pk}"]},
    }
    await write_and_broadcast(user.pk)
    event = await communicator.receive_json_from(timeout=3)
    assert {"type": event["type"], "data": event["data"]} == {"type": "user.renamed", "data": {"id": user.pk}}
    assert isinstance(event["seq"], int)
    await communicator.disconnect()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
async def test_no_broadcast_after_rollback():
    user, token = await make_user()
    communicator = await connect(token)
    await communicator.receive_json_from()
    with pytest.raises(RuntimeError):
        await write_and_broadcast(user.pk, fail=True)
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_anonymous_socket_is_closed_4401():
    communicator = await connect(None)
    assert await communicator.receive_output(timeout=2) == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}


@pytest.mark.django_db(transaction=True)
async def test_bad_token_is_closed_4401():
    communicator = await connect("0" * 40)
    assert (await communicator.receive_output(timeout=2))["code"] == CLOSE_UNAUTHENTICATED


@pytest.mark.django_db(transaction=True)
async def test_socket_of_a_user_without_access_is_closed_4403():
    _, token = await make_user(username="outsider1")
    communicator = await connect(token)
    assert (await communicator.receive_output(timeout=2))["code"] == CLOSE_FORBIDDEN


@pytest.mark.django_db(transaction=True)
async def test_foreign_origin_is_refused():
    _, token = await make_user()
    communicator = WebsocketCommunicator(
        application, f"/ws/test/?token={token}", headers=[(b"origin", b"http://evil.example")]
    )
    connected, _ = await communicator.connect()
    assert not connected


@pytest.mark.django_db(transaction=True)
async def test_oversized_frame_closes_the_socket(settings):
    settings.WEBSOCKET_MAX_MESSAGE_BYTES = 1024
    _, token = await make_user()
    communicator = await connect(token)
    await communicator.receive_json_from()
    await communicator.send_to(text_data="x" * 2048)
    assert (await communicator.receive_output(timeout=2))["code"] == 1009


@pytest.mark.django_db(transaction=True)
async def test_ping_and_garbage():
    _, token = await make_user()
    communicator = await connect(token)
    await communicator.receive_json_from()
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong", "data": {}}
    await communicator.send_to(text_data="{not json")
    assert (await communicator.receive_json_from())["type"] == "error"
    await communicator.disconnect()


@pytest.mark.redis
@pytest.mark.django_db
@pytest.mark.urls("tests.core.urls")
def test_a_broken_channel_layer_does_not_fail_the_request(
    client_for, settings, caplog, django_capture_on_commit_callbacks
):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    client = client_for(UserFactory())
    with caplog.at_level(logging.WARNING, logger="brisk.realtime"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/t/rename/")
    assert response.status_code == 200
    assert any("broadcast failed" in r.getMessage() for r in caplog.records)


@database_sync_to_async
def broadcast_in_own_transaction(user_id: int, seq: int):
    with transaction.atomic():
        broadcast(f"test.user.{user_id}", "counter", {"seq": seq})


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
async def test_a_groups_events_arrive_in_commit_order():
    user, token = await make_user()
    communicator = await connect(token)
    await communicator.receive_json_from()
    for seq in range(30):
        await broadcast_in_own_transaction(user.pk, seq)
    events = [await communicator.receive_json_from(timeout=3) for _ in range(30)]
    assert [event["data"]["seq"] for event in events] == list(range(30))
    # the group's sequence numbers: one more per event, no gap
    numbers = [event["seq"] for event in events]
    assert numbers == list(range(numbers[0], numbers[0] + 30))
    await communicator.disconnect()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
async def test_one_batch_to_many_groups_numbers_each_group_and_reaches_only_followers():
    # one transaction, five groups: one drain sends them together (one script numbers every
    # group and lists its followers, one delivers); a group nobody follows still uses numbers
    user, token = await make_user()
    communicator = await connect(token)
    await communicator.receive_json_from()
    followed = f"test.user.{user.pk}"
    unfollowed = [f"test.nobody.{user.pk}.{i}" for i in range(4)]

    @database_sync_to_async
    def burst(count: int) -> None:
        with transaction.atomic():
            for i in range(count):
                for group in (followed, *unfollowed):
                    broadcast(group, "tick", {"i": i, "group": group})

    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    client = layer.connection(layer.consistent_hash(unfollowed[0]))
    seq_key = f"{layer.prefix}:seq:{unfollowed[0]}"
    before = int(await client.get(seq_key) or 0)

    await burst(3)
    events = [await communicator.receive_json_from(timeout=3) for _ in range(3)]
    assert [(event["data"]["group"], event["data"]["i"]) for event in events] == [(followed, i) for i in range(3)]
    numbers = [event["seq"] for event in events]
    assert numbers == list(range(numbers[0], numbers[0] + 3))
    assert await communicator.receive_nothing(timeout=0.3)

    # the groups nobody followed consumed their numbers too: a follower joining later sees them go on
    assert int(await client.get(seq_key)) - before == 3
    await communicator.disconnect()
