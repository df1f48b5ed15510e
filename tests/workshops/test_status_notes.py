"""The status endpoint (ETag/304, long-poll woken by the workshop's events), the socket, and notes."""

import asyncio

import pytest
import redis
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connection
from django.test import AsyncClient

from apps.accounts.services import token_for_user
from apps.workshops.events import workshop_group
from config.asgi import application
from tests.querybudget import assert_queries, assert_query_budget, declared, page_size
from tests.workshops.factories import TraceFactory, bulk_traces, make_team

ORIGIN = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


@pytest.mark.django_db
def test_status_etag_and_304(client_for):
    team = make_team()
    bulk_traces(team.workshop, 3)
    url = f"/api/workshops/{team.workshop.pk}/status/"
    alice = client_for(team.alice)
    first = assert_queries(lambda: alice.get(url), declared("GET", url).queries)
    body = first.json()
    assert body["current_phase"] == "intake" and body["trace_count"] == 3
    assert body["discovery"]["participants"] == 2 and body["annotation"]["assigned"] == 0
    etag = first["ETag"]
    unchanged = alice.get(url, HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged["ETag"] == etag
    client_for(team.facilitator).post(f"/api/workshops/{team.workshop.pk}/phase/", {"action": "advance"}, format="json")
    changed = alice.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert changed.json()["current_phase"] == "discovery" and changed.json()["discovery"]["active_traces"] == 3
    assert client_for(team.stranger).get(url).status_code == 404


def _setup():
    team = make_team()
    TraceFactory(workshop=team.workshop)
    return {
        "workshop_id": team.workshop.pk,
        "alice": token_for_user(user=team.alice),
        "facilitator": token_for_user(user=team.facilitator),
    }


def _advance(workshop_id: int, token: str) -> int:
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    try:
        return client.post(f"/api/workshops/{workshop_id}/phase/", {"action": "advance"}, format="json").status_code
    finally:
        connection.close()


def _group_size(group: str) -> int:
    prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
    return redis.Redis.from_url(settings.REDIS_URL).zcard(f"{prefix}:group:{group}")


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
async def test_a_phase_change_wakes_the_status_long_poll_and_reaches_the_socket():
    state = await sync_to_async(_setup, thread_sensitive=False)()
    workshop_id = state["workshop_id"]
    communicator = WebsocketCommunicator(
        application, f"/ws/workshops/{workshop_id}/?token={state['alice']}", headers=ORIGIN
    )
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["type"] == "subscribed"
    poll = asyncio.create_task(
        AsyncClient().get(
            f"/api/workshops/{workshop_id}/status/",
            headers={"Prefer": "wait=30", "Authorization": f"Token {state['alice']}"},
        )
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while await sync_to_async(_group_size)(workshop_group(workshop_id)) < 2 and loop.time() < deadline:
        await asyncio.sleep(0.05)  # the socket's and the poll's subscriptions
    assert await sync_to_async(_advance, thread_sensitive=False)(workshop_id, state["facilitator"]) == 200
    response = await asyncio.wait_for(poll, 30)
    assert response.status_code == 200 and response.json()["current_phase"] == "discovery"
    assert response["Preference-Applied"] == "wait=30"
    event = await communicator.receive_json_from(timeout=5)
    assert event["type"] == "workshop.phase_changed" and event["data"]["phase"] == "discovery"
    assert event["data"]["completed_phases"] == ["intake"]
    await communicator.disconnect()


def _post(workshop_id: int, token: str, path: str, body: dict) -> int:
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    try:
        return client.post(f"/api/workshops/{workshop_id}/{path}", body, format="json").status_code
    finally:
        connection.close()


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
async def test_progress_writes_reach_the_socket():
    state = await sync_to_async(_setup, thread_sensitive=False)()
    workshop_id = state["workshop_id"]
    communicator = WebsocketCommunicator(
        application, f"/ws/workshops/{workshop_id}/?token={state['alice']}", headers=ORIGIN
    )
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["type"] == "subscribed"
    # a participant finishing discovery, then the facilitator loading traces: one event each, after commit
    assert await sync_to_async(_post, thread_sensitive=False)(
        workshop_id, state["alice"], "discovery/complete/", {}
    ) in (
        200,
        204,
    )
    event = await communicator.receive_json_from(timeout=5)
    assert event["type"] == "workshop.progress" and event["data"] == {"kind": "discovery"}
    traces = {"traces": [{"external_id": "late", "input": "i", "output": "o"}]}
    assert await sync_to_async(_post, thread_sensitive=False)(workshop_id, state["facilitator"], "traces/", traces) in (
        200,
        201,
    )
    event = await communicator.receive_json_from(timeout=5)
    assert event["type"] == "workshop.progress" and event["data"] == {"kind": "traces"}
    await communicator.disconnect()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
async def test_a_stranger_cannot_open_the_socket():
    team = await database_sync_to_async(make_team)()
    token = await database_sync_to_async(token_for_user)(user=team.stranger)
    communicator = WebsocketCommunicator(
        application, f"/ws/workshops/{team.workshop.pk}/?token={token}", headers=ORIGIN
    )
    connected, _ = await communicator.connect()
    if connected:
        message = await communicator.receive_output(timeout=5)
        assert message["type"] == "websocket.close"
    await communicator.disconnect()


@pytest.mark.django_db
def test_notes_are_own_append_only_and_can_be_hidden(client_for):
    team = make_team()
    trace = TraceFactory(workshop=team.workshop)
    url = f"/api/workshops/{team.workshop.pk}/notes/"
    alice, bob, facilitator = client_for(team.alice), client_for(team.bob), client_for(team.facilitator)
    created = alice.post(url, {"content": "tone is off", "trace_id": trace.pk}, format="json")
    assert created.status_code == 201 and created.json()["phase"] == "intake"
    bob.post(url, {"content": "bob's"}, format="json")
    assert [n["content"] for n in alice.get(url).json()["items"]] == ["tone is off"]
    assert facilitator.get(url).json()["total"] == 2
    assert alice.post(url, {"content": "x", "trace_id": 10**12}, format="json").json()["code"] == "unknown_trace"
    note = created.json()["id"]
    assert bob.delete(f"{url}{note}/").status_code == 404  # not bob's
    facilitator.patch(f"/api/workshops/{team.workshop.pk}/", {"show_participant_notes": False}, format="json")
    assert alice.get(url).json()["code"] == "notes_hidden"
    assert alice.post(url, {"content": "x"}, format="json").status_code == 403
    assert alice.delete(f"{url}{note}/").status_code == 403
    assert facilitator.get(url).status_code == 200
    facilitator.patch(f"/api/workshops/{team.workshop.pk}/", {"show_participant_notes": True}, format="json")
    assert assert_queries(lambda: alice.delete(f"{url}{note}/"), declared("DELETE", f"{url}{note}/").queries)
    assert alice.get(url).json()["total"] == 0


@pytest.mark.django_db
def test_notes_list_budget(client_for):
    team = make_team()
    client = client_for(team.facilitator)
    url = f"/api/workshops/{team.workshop.pk}/notes/?limit=200"

    def add(n):
        for _ in range(n):
            client_for(team.alice).post(url.split("?")[0], {"content": "n"}, format="json")

    assert_query_budget(
        request=lambda: client.get(url), add_rows=add, budget=declared("GET", url), expect_items=page_size
    )
    trace = TraceFactory(workshop=team.workshop)
    post = url.split("?")[0]
    body = {"content": "c", "trace_id": trace.pk}
    assert_queries(lambda: client.post(post, body, format="json"), declared("POST", post).queries)
