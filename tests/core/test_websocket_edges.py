"""The WebSocket edges: origin rules, token positions, unrouted paths, per-user limits, sockets that stay up."""

import asyncio
import logging

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from django.test import AsyncClient

from apps.accounts.services import token_for_user
from apps.core.realtime import TOKEN_SUBPROTOCOL, broadcast
from config.asgi import application
from tests.accounts.factories import UserFactory
from tests.jobs.factories import (
    JobFactory,
    RoomFactory,
    RoomMemberFactory,
    TaskFactory,
    WorkerFactory,
    WorkerJobFactory,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]

HOST = (b"host", b"testserver")


@database_sync_to_async
def member_of_a_room():
    user = UserFactory()
    room = RoomFactory(name="lab", created_by=user)
    RoomMemberFactory(room=room, user=user)
    return user, token_for_user(user=user)


@database_sync_to_async
def session_cookie_for(user) -> bytes:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"sessionid={session.session_key}".encode()


async def opened(path: str, headers, subprotocols=None):
    """(connected, the first thing the server sent after the handshake or None, communicator)."""
    communicator = WebsocketCommunicator(application, path, headers=headers, subprotocols=subprotocols)
    connected, subprotocol = await communicator.connect(timeout=5)
    if not connected:
        return False, None, communicator
    return True, await communicator.receive_output(timeout=5), communicator


# --- origin -------------------------------------------------------------------------------


async def test_a_token_socket_without_origin_is_accepted():
    _, token = await member_of_a_room()
    connected, first, socket = await opened(f"/ws/jobs/rooms/lab/?token={token}", [HOST])
    assert connected
    assert first["type"] == "websocket.send" and '"subscribed"' in first["text"]
    await socket.disconnect()


@pytest.mark.parametrize(
    "origin",
    [b"http://evil.example", b"http://testserver:8001", b"https://testserver", b"null", b"http://testserver.evil"],
)
async def test_a_token_socket_with_a_foreign_origin_is_refused(origin):
    _, token = await member_of_a_room()
    connected, _, _ = await opened(f"/ws/jobs/rooms/lab/?token={token}", [HOST, (b"origin", origin)])
    assert not connected


async def test_the_origin_check_compares_the_port():
    _, token = await member_of_a_room()
    host = (b"host", b"testserver:8000")
    same, _, socket = await opened(f"/ws/jobs/rooms/lab/?token={token}", [host, (b"origin", b"http://testserver:8000")])
    assert same
    await socket.disconnect()
    other, _, _ = await opened(f"/ws/jobs/rooms/lab/?token={token}", [host, (b"origin", b"http://testserver:9000")])
    assert not other


async def test_a_cookie_socket_needs_a_matching_origin():
    user, _ = await member_of_a_room()
    cookie = (b"cookie", await session_cookie_for(user))
    without, _, _ = await opened("/ws/jobs/rooms/lab/", [HOST, cookie])
    assert not without  # a cookie is an ambient credential: no Origin, no socket
    foreign, _, _ = await opened("/ws/jobs/rooms/lab/", [HOST, cookie, (b"origin", b"http://evil.example")])
    assert not foreign
    connected, first, socket = await opened("/ws/jobs/rooms/lab/", [HOST, cookie, (b"origin", b"http://testserver")])
    assert connected and '"subscribed"' in first["text"]
    await socket.disconnect()


async def test_a_trusted_origin_is_accepted(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example:8443"]
    _, token = await member_of_a_room()
    origin = (b"origin", b"https://app.example:8443")
    connected, _, socket = await opened(f"/ws/jobs/rooms/lab/?token={token}", [HOST, origin])
    assert connected
    await socket.disconnect()


# --- the token in Sec-WebSocket-Protocol --------------------------------------------------


async def test_the_token_in_the_subprotocol_header_authenticates_and_is_echoed_without_the_key():
    _, token = await member_of_a_room()
    communicator = WebsocketCommunicator(
        application, "/ws/jobs/rooms/lab/", headers=[HOST], subprotocols=[TOKEN_SUBPROTOCOL, token]
    )
    connected, subprotocol = await communicator.connect(timeout=5)
    assert connected
    assert subprotocol == TOKEN_SUBPROTOCOL  # the key itself never goes back in a header
    assert (await communicator.receive_json_from(timeout=5))["type"] == "subscribed"
    await communicator.disconnect()


async def test_a_bad_token_in_the_subprotocol_header_is_closed_4401_even_with_a_session():
    user, _ = await member_of_a_room()
    cookie = (b"cookie", await session_cookie_for(user))
    communicator = WebsocketCommunicator(
        application,
        "/ws/jobs/rooms/lab/",
        headers=[HOST, cookie, (b"origin", b"http://testserver")],
        subprotocols=[TOKEN_SUBPROTOCOL, "0" * 40],
    )
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert (await communicator.receive_output(timeout=5))["code"] == 4401


# --- paths no route matches ---------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/ws/nothing/", "/ws/projects/abc/", "/ws/projects/9999999999999999999/", "/ws/jobs/rooms/a/b/"]
)
async def test_an_unrouted_path_is_closed_4404(path):
    _, token = await member_of_a_room()
    communicator = WebsocketCommunicator(application, f"{path}?token={token}", headers=[HOST])
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4404}


# --- per-user limits ------------------------------------------------------------------------


async def test_sockets_beyond_the_users_limit_are_closed_1013_and_a_place_frees_on_disconnect(settings):
    settings.WEBSOCKET_MAX_PER_USER = 2
    _, token = await member_of_a_room()
    sockets = []
    for _ in range(2):
        connected, first, socket = await opened(f"/ws/jobs/rooms/lab/?token={token}", [HOST])
        assert '"subscribed"' in first["text"]
        sockets.append(socket)
    _, refused, _ = await opened(f"/ws/jobs/rooms/lab/?token={token}", [HOST])
    assert refused == {"type": "websocket.close", "code": 1013}
    await sockets.pop().disconnect()
    await asyncio.sleep(0.1)
    _, first, socket = await opened(f"/ws/jobs/rooms/lab/?token={token}", [HOST])
    assert '"subscribed"' in first["text"]
    await socket.disconnect()
    await sockets.pop().disconnect()


@database_sync_to_async
def claimed_task_in(room_name: str):
    """(id of a claimed task in a new room, its member's token)."""
    user = UserFactory()
    room = RoomFactory(name=room_name, created_by=user)
    RoomMemberFactory(room=room, user=user)
    job = JobFactory(room=room_name, name="rotate")
    worker = WorkerFactory(user=user)
    WorkerJobFactory(worker=worker, job=job)
    task = TaskFactory(job=job, room=room_name, worker=worker, status="claimed", created_by=user)
    return task.pk, token_for_user(user=user)


async def test_long_polls_beyond_the_users_limit_answer_429(settings):
    settings.LONGPOLL_MAX_PER_USER = 2
    task_id, token = await claimed_task_in("lab")
    headers = {"Authorization": f"Token {token}", "Prefer": "wait=20"}
    waiting = [asyncio.create_task(AsyncClient().get(f"/api/jobs/tasks/{task_id}/", headers=headers)) for _ in range(2)]
    await asyncio.sleep(1.0)
    refused = await AsyncClient().get(f"/api/jobs/tasks/{task_id}/", headers=headers)
    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_long_polls"
    assert not any(poll.done() for poll in waiting)
    plain = await AsyncClient().get(f"/api/jobs/tasks/{task_id}/", headers={"Authorization": f"Token {token}"})
    assert plain.status_code == 200  # the limit is on waiting, not on reading
    for poll in waiting:
        poll.cancel()
    await asyncio.gather(*waiting, return_exceptions=True)


# --- sockets and long-polls outlive every timeout involved ----------------------------------


@database_sync_to_async
def broadcast_committed(group: str) -> None:
    with transaction.atomic():
        broadcast(group, "still.here", {})


async def test_a_socket_and_a_long_poll_outlive_the_layers_blocking_read(caplog):
    """channels-redis blocks 5 s per read; redis-py's default socket timeout was the same 5 s."""
    caplog.set_level(logging.WARNING, logger="brisk.hub")
    user, token = await member_of_a_room()
    task_id, poll_token = await claimed_task_in("lab2")
    connected, first, socket = await opened(f"/ws/jobs/rooms/lab/?token={token}", [HOST])
    assert connected and '"subscribed"' in first["text"]
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(
        AsyncClient().get(
            f"/api/jobs/tasks/{task_id}/", headers={"Authorization": f"Token {poll_token}", "Prefer": "wait=8"}
        )
    )
    assert await socket.receive_nothing(timeout=7, interval=0.5)  # still open: nothing, not a close
    await broadcast_committed(f"jobs.user.{user.pk}")
    event = await socket.receive_json_from(timeout=5)
    assert event["type"] == "still.here"
    response = await asyncio.wait_for(poll, 10)
    assert response.status_code == 200
    assert response["Preference-Applied"] == "wait=8"
    assert loop.time() - started >= 7.9  # waited its full time, not 5 s
    assert not [r for r in caplog.records if "receive failed" in r.getMessage()]  # the layer's read never broke
    await socket.disconnect()
