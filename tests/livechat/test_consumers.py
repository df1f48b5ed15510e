"""The desk socket on the real channels-redis layer: agents only, events after commit, typing, presence."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from apps.accounts.services import token_for_user
from apps.livechat import services
from apps.livechat.consumers import online_agent_ids
from config.asgi import application
from tests.accounts.factories import UserFactory
from tests.livechat.factories import ChatSessionFactory, ContactFactory, make_agent

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ORIGIN = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


async def connect(user) -> WebsocketCommunicator:
    token = await database_sync_to_async(token_for_user)(user=user)
    communicator = WebsocketCommunicator(application, f"/ws/livechat/?token={token}", headers=ORIGIN)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def next_of(communicator, type_, **data):
    """The next event of `type_` whose data holds `data`; others (an agent's own presence, say) are skipped."""
    for _ in range(10):
        event = await communicator.receive_json_from(timeout=5)
        if event["type"] == type_ and all((event.get("data") or {}).get(k) == v for k, v in data.items()):
            return event
    raise AssertionError(f"no {type_} with {data}")


async def test_a_non_agent_is_refused():
    user = await database_sync_to_async(UserFactory)()
    socket = await connect(user)
    assert (await socket.receive_output(timeout=5))["code"] == 4403


async def test_agents_see_claims_presence_and_each_others_typing():
    ann = await database_sync_to_async(make_agent)()
    bob = await database_sync_to_async(make_agent)()
    first = await connect(ann)
    second = None
    try:
        # ann's own presence.changed may arrive before or after her "subscribed": the order is not promised
        await next_of(first, "subscribed")
        second = await connect(bob)
        presence = await next_of(first, "presence.changed", agent_id=bob.pk)
        assert presence["data"] == {"agent_id": bob.pk, "online": True}
        assert {ann.pk, bob.pk} <= await database_sync_to_async(online_agent_ids)()
        await second.send_json_to({"type": "typing", "data": {"contact_id": 7}})
        typing = await next_of(first, "agent.typing")
        assert typing["data"] == {"agent_id": bob.pk, "contact_id": 7}

        def claim():
            contact = ContactFactory()
            ChatSessionFactory(contact=contact)
            services.session_claim(agent=ann, contact_id=contact.pk)
            return contact

        contact = await database_sync_to_async(claim)()
        claimed = await next_of(second, "session.claimed")
        assert claimed["data"]["contact_id"] == contact.pk and claimed["data"]["operator_id"] == ann.pk
        await second.disconnect()
        second = None
        gone = await next_of(first, "presence.changed", agent_id=bob.pk, online=False)
        assert gone["data"] == {"agent_id": bob.pk, "online": False}
        assert bob.pk not in await database_sync_to_async(online_agent_ids)()
    finally:
        if second is not None:
            await second.disconnect()
        await first.disconnect()


async def test_an_agents_image_reaches_the_other_agents_as_message_new(settings, tmp_path):
    from tests.livechat.test_media import image_bytes

    settings.MEDIA_ROOT = str(tmp_path)
    ann = await database_sync_to_async(make_agent)()
    bob = await database_sync_to_async(make_agent)()
    socket = await connect(bob)
    try:
        await next_of(socket, "subscribed")

        def send_image():
            contact = ContactFactory()
            ChatSessionFactory(contact=contact, status="active", operator=ann)
            return services.agent_media_send(agent=ann, contact=contact, data=image_bytes())

        message = await database_sync_to_async(send_image)()
        event = await next_of(socket, "message.new")
        assert event["data"]["id"] == message.pk and event["data"]["message_type"] == "image"
        assert event["data"]["media_url"].endswith(message.media.name)
    finally:
        await socket.disconnect()


async def test_an_open_socket_stays_online_without_pings(monkeypatch):
    # the spec: an agent is online while a socket of theirs is open; the consumer renews its
    # presence itself, so a client that never pings is not dropped when the expiry passes
    from apps.livechat import presence

    monkeypatch.setattr(presence, "PRESENCE_TTL_S", 0.6)
    ann = await database_sync_to_async(make_agent)()
    socket = await connect(ann)
    try:
        await next_of(socket, "subscribed")
        await asyncio.sleep(1.5)  # two and a half expiries, no ping
        assert ann.pk in await database_sync_to_async(online_agent_ids)()
    finally:
        await socket.disconnect()
    assert ann.pk not in await database_sync_to_async(online_agent_ids)()
