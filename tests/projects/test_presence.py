"""Presence: who has a board or a task open, across server processes (Redis with expiry).

Every socket is disconnected in a `finally`, every receive has a timeout, and the server
process of the two-process tests is killed in a `finally` too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid

import pytest
import websockets
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings

from apps.accounts.services import token_for_user
from apps.projects import presence
from config.asgi import application
from tests.liveserver import ROOT, _database_url, free_port
from tests.projects.factories import add_member, make_project, make_task, make_team
from tests.querybudget import assert_query_budget, declared

ORIGIN = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
TTL = 2  # PROJECTS_PRESENCE_TTL_S in these tests: expiry within seconds


@pytest.fixture(autouse=True)
def _short_ttl(settings):
    settings.PROJECTS_PRESENCE_TTL_S = TTL


def url(project) -> str:
    return f"/api/projects/{project.pk}/presence/"


async def subscribed(path: str, user) -> WebsocketCommunicator:
    token = await database_sync_to_async(token_for_user)(user=user)
    communicator = WebsocketCommunicator(application, f"{path}?token={token}", headers=ORIGIN)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["type"] == "subscribed"
    return communicator


async def get_presence(client_for, user, project) -> dict:
    def get():
        response = client_for(user).get(url(project))
        assert response.status_code == 200, response.content
        return response.json()

    return await database_sync_to_async(get)()


async def presence_event(socket: WebsocketCommunicator, timeout: float = 5) -> dict:
    event = await socket.receive_json_from(timeout=timeout)
    assert event["type"] == "presence.changed", event
    return event["data"]


async def events_of(socket: WebsocketCommunicator, user_id: int, n: int, timeout: float = 5) -> list[dict]:
    """The next `n` presence events about `user_id` (others', e.g. a loaded machine's late
    renewal of the watcher itself, are skipped)."""
    found: list[dict] = []
    while len(found) < n:
        data = await presence_event(socket, timeout)
        if data["user"]["id"] == user_id:
            found.append(data)
    return found


def names(users: list[dict]) -> list[str]:
    return [user["username"] for user in users]


def inject(project_id: int, user, *, task_id: int | None = None) -> str:
    """A member entered as another process would (its renewals are then up to that process)."""
    client = presence._sync_client()[0]
    member = f"{presence._spot(task_id)}|{user.pk}|{uuid.uuid4().hex}"
    client.register_script(presence._ENTER)(keys=presence.keys(project_id), args=[member, user.username, TTL])
    return member


# --- one process ------------------------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
async def test_board_and_task_presence_with_events_only_when_a_users_presence_changes(client_for):
    def setup():
        team = make_team()
        return team, make_task(team.project)

    team, task = await database_sync_to_async(setup)()
    project = team.project
    watcher = await subscribed(f"/ws/projects/{project.pk}/", team.admin)
    tabs: list[WebsocketCommunicator] = []
    try:
        me = await presence_event(watcher)  # the watcher's own arrival
        assert me["user"] == {"id": team.admin.pk, "username": team.admin.username} and me["present"] is True

        tabs.append(await subscribed(f"/ws/projects/{project.pk}/", team.viewer))
        joined = await presence_event(watcher)
        assert joined["user"]["id"] == team.viewer.pk and joined["present"] is True and joined["task_id"] is None
        assert joined["project_id"] == project.pk and joined["since"]
        tabs.append(await subscribed(f"/ws/projects/{project.pk}/", team.viewer))  # a second tab
        assert await watcher.receive_nothing(timeout=0.5)  # says nothing

        tabs.append(await subscribed(f"/ws/projects/{project.pk}/tasks/{task.pk}/", team.editor))
        on_task = await presence_event(watcher)
        assert on_task["user"]["id"] == team.editor.pk and on_task["task_id"] == task.pk

        body = await get_presence(client_for, team.viewer, project)
        assert names(body["board"]) == [team.admin.username, team.viewer.username]  # earliest first
        assert body["board"][1]["since"] == joined["since"]  # the first tab's, not the second's
        assert body["tasks"] == {str(task.pk): [{"id": team.editor.pk, "username": team.editor.username,
                                                 "since": on_task["since"]}]}  # fmt: skip

        await tabs.pop(1).disconnect(timeout=5)  # one of the viewer's two tabs closes: still there
        assert await watcher.receive_nothing(timeout=0.5)
        assert names((await get_presence(client_for, team.viewer, project))["board"])[1] == team.viewer.username

        await tabs.pop(0).disconnect(timeout=5)  # the last one
        left = await presence_event(watcher)
        assert left["user"]["id"] == team.viewer.pk and left["present"] is False and left["since"] is None
        await tabs.pop(0).disconnect(timeout=5)
        left = await presence_event(watcher)
        assert left["user"]["id"] == team.editor.pk and left["task_id"] == task.pk and left["present"] is False

        body = await get_presence(client_for, team.admin, project)
        assert names(body["board"]) == [team.admin.username] and body["tasks"] == {}
    finally:
        for tab in (*tabs, watcher):
            await tab.disconnect(timeout=5)
    assert presence.for_this_loop().renewer is None  # the last socket's disconnect stopped the renewal
    assert presence.for_this_loop().entries == {}


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
async def test_an_open_socket_stays_present_past_the_ttl(client_for):
    team = await database_sync_to_async(make_team)()
    board = await subscribed(f"/ws/projects/{team.project.pk}/", team.viewer)
    try:
        await asyncio.sleep(TTL * 2)  # renewed every TTL / 3
        body = await get_presence(client_for, team.admin, team.project)
        assert names(body["board"]) == [team.viewer.username]
    finally:
        await board.disconnect(timeout=5)
    assert (await get_presence(client_for, team.admin, team.project))["board"] == []


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
async def test_a_members_of_a_dead_process_expire_and_a_live_process_announces_it(client_for):
    team = await database_sync_to_async(make_team)()
    watcher = await subscribed(f"/ws/projects/{team.project.pk}/", team.admin)
    try:
        await presence_event(watcher)  # the watcher itself
        await database_sync_to_async(inject)(team.project.pk, team.viewer)  # nobody renews it
        body = await get_presence(client_for, team.admin, team.project)
        assert team.viewer.username in names(body["board"])
        started = time.monotonic()
        [gone] = await events_of(watcher, team.viewer.pk, 1, timeout=TTL * 3)  # swept by this process's renewal
        assert gone["user"]["id"] == team.viewer.pk and gone["present"] is False
        assert (
            time.monotonic() - started < TTL * 3
        )  # within the TTL plus a renewal round, with slack for a loaded machine
        assert names((await get_presence(client_for, team.admin, team.project))["board"]) == [team.admin.username]
    finally:
        await watcher.disconnect()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
async def test_strangers_sockets_leave_no_presence(client_for):
    def setup():
        team = make_team()
        return team, make_task(team.project)

    team, task = await database_sync_to_async(setup)()
    token = await database_sync_to_async(token_for_user)(user=team.stranger)
    for path in (f"/ws/projects/{team.project.pk}/", f"/ws/projects/{team.project.pk}/tasks/{task.pk}/"):
        refused = WebsocketCommunicator(application, f"{path}?token={token}", headers=ORIGIN)
        try:
            await refused.connect(timeout=5)
            assert (await refused.receive_output(timeout=5))["code"] == 4403
        finally:
            await refused.disconnect()
    assert await get_presence(client_for, team.admin, team.project) == {"board": [], "tasks": {}}


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
async def test_a_removed_members_socket_leaves_presence(client_for):
    from apps.projects import services

    team = await database_sync_to_async(make_team)()
    watcher = await subscribed(f"/ws/projects/{team.project.pk}/", team.admin)
    board: WebsocketCommunicator | None = await subscribed(f"/ws/projects/{team.project.pk}/", team.viewer)
    try:
        await presence_event(watcher)
        await presence_event(watcher)
        assert (await presence_event(board))["user"]["id"] == team.viewer.pk  # its own arrival

        def remove():
            services.member_remove(project=team.project, actor=team.admin, user_id=team.viewer.pk)

        await database_sync_to_async(remove)()
        assert (await board.receive_json_from(timeout=5))["type"] == "member.removed"
        assert (await board.receive_output(timeout=5))["code"] == 4403
        closed, board = board, None
        await closed.disconnect(timeout=5)  # the server's side of the close
        events = [await watcher.receive_json_from(timeout=5) for _ in range(2)]
        left = next(event["data"] for event in events if event["type"] == "presence.changed")
        assert left["user"]["id"] == team.viewer.pk and left["present"] is False
    finally:
        if board is not None:
            await board.disconnect()
        await watcher.disconnect()


# --- REST: access and budget ----------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_presence_is_for_members_only(client_for):
    team = make_team()
    assert client_for(team.stranger).get(url(team.project)).status_code == 404
    assert client_for(team.viewer).get(url(team.project)).status_code == 200
    other = make_project()
    inject(other.pk, other.created_by)
    assert client_for(team.viewer).get(url(other)).status_code == 404


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_presence_budget_at_1_and_50_users(client_for):
    team = make_team()
    task = make_task(team.project)
    client = client_for(team.viewer)

    def add_rows(n):
        for _ in range(n):
            user = add_member(team.project)
            inject(team.project.pk, user)
            inject(team.project.pk, user, task_id=task.pk)

    # token, project with role; the presence is one Redis script call
    assert_query_budget(
        request=lambda: client.get(url(team.project)),
        add_rows=add_rows,
        budget=declared("GET", url(team.project)),
        expect_items=lambda response: len(response.json()["board"]),
    )
    assert len(client.get(url(team.project)).json()["tasks"][str(task.pk)]) == 50


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_presence_without_redis_is_503(client_for, settings):
    team = make_team()
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    presence._read_client = None
    try:
        response = client_for(team.viewer).get(url(team.project))
    finally:
        presence._read_client = None
    assert response.status_code == 503 and response.json()["code"] == "presence_unavailable"


# --- two processes ---------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def second_process(**env: str):
    """uvicorn serving config.asgi on a free port (the test database and Redis); killed, not
    stopped, at the end if still alive. Waits without blocking this loop: its sockets' presence
    must keep being renewed meanwhile."""
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": django_settings.REDIS_URL, **env}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
        + ["--lifespan", "off", "--no-access-log", "--log-level", "warning"],
        cwd=ROOT,
        env=environment,
    )

    def listening() -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return True
        return False

    try:
        deadline = time.monotonic() + 30
        while not await asyncio.to_thread(listening):
            if process.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start within 30 s")
            await asyncio.sleep(0.1)
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        await asyncio.to_thread(process.wait, 10)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
async def test_presence_across_two_processes_and_expiry_when_one_dies(client_for):
    def setup():
        team = make_team()
        return team, make_task(team.project), token_for_user(user=team.viewer)

    team, task, token = await database_sync_to_async(setup)()
    project = team.project
    watcher = await subscribed(f"/ws/projects/{project.pk}/", team.admin)  # in this process
    try:
        await presence_event(watcher)
        async with second_process(PROJECTS_PRESENCE_TTL_S=str(TTL), SILK_ENABLED="0") as (process, port):
            base = f"ws://127.0.0.1:{port}/ws/projects/{project.pk}"
            board = await websockets.connect(f"{base}/?token={token}", open_timeout=10, close_timeout=1)
            detail = await websockets.connect(f"{base}/tasks/{task.pk}/?token={token}", open_timeout=10)
            try:
                for client in (board, detail):
                    assert '"subscribed"' in await asyncio.wait_for(client.recv(), 5)
                # the other process's sockets reach this process's board over the channel layer
                arrivals = await events_of(watcher, team.viewer.pk, 2)
                assert {(a["user"]["id"], a["task_id"], a["present"]) for a in arrivals} == {
                    (team.viewer.pk, None, True),
                    (team.viewer.pk, task.pk, True),
                }
                # and this process's REST read sees what the other process wrote
                body = await get_presence(client_for, team.admin, project)
                assert sorted(names(body["board"])) == sorted([team.admin.username, team.viewer.username])
                assert names(body["tasks"][str(task.pk)]) == [team.viewer.username]

                await asyncio.sleep(TTL * 1.5)  # the other process renews its sockets past the TTL
                body = await get_presence(client_for, team.admin, project)
                assert team.viewer.username in names(body["board"]) and str(task.pk) in body["tasks"]

                process.kill()  # dies without closing anything
                await asyncio.to_thread(process.wait, 10)
                killed = time.monotonic()
            finally:
                for client in (board, detail):
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(client.close(), 2)
        # within the TTL its presence is gone from the read, and this process announces it
        departures = await events_of(watcher, team.viewer.pk, 2, timeout=TTL * 3)
        assert {(d["user"]["id"], d["task_id"], d["present"]) for d in departures} == {
            (team.viewer.pk, None, False),
            (team.viewer.pk, task.pk, False),
        }
        assert time.monotonic() - killed < TTL * 3  # within the TTL plus a renewal round, with slack
        body = await get_presence(client_for, team.admin, project)
        assert names(body["board"]) == [team.admin.username] and body["tasks"] == {}
    finally:
        await watcher.disconnect()


# --- the embedded default: this process's memory ---------------------------------------------


@pytest.mark.django_db  # no query runs; the session fixtures expect the test database
def test_local_store_has_the_scripts_semantics(monkeypatch):
    store = presence._LocalStore()
    clock = [1000.0]
    monkeypatch.setattr(presence.time, "time", lambda: clock[0])
    first, since, gone = store.enter(7, "b|1|a", "ann", TTL)
    assert first and since == 1000.0 and gone == []
    assert store.enter(7, "b|1|b", "ann", TTL)[0] is False  # a second tab
    assert store.enter(7, "t9|1|c", "ann", TTL)[0] is True  # a task is another spot
    assert store.leave(7, "b|1|a") == (False, [])
    assert store.leave(7, "b|1|b") == (True, [])
    clock[0] += 1
    came, gone = store.renew(7, [presence.Entry(7, None, 2, "bob", "b|2|x")], TTL)  # swept earlier: re-enters
    assert came == ["b|2|1001.000000|bob"] and gone == []
    clock[0] += TTL + 0.5  # nobody renewed ann's task socket or bob's board
    assert store.read(7) == []
    first, _, gone = store.enter(7, "b|3|y", "cy", TTL)
    assert sorted(gone) == ["b|2|1001.000000|bob", "t9|1|1000.000000|ann"]
    assert store.read(7) == [("b|3|y", f"{clock[0]:.6f}|cy")]


EMBEDDED = r"""
import asyncio, django, json
django.setup()
from io import StringIO
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.management import call_command
from django.test import Client
assert not settings.REDIS_URL
settings.ALLOWED_HOSTS = ["*"]
call_command("migrate", stdout=StringIO(), verbosity=0)
from channels.routing import URLRouter
from apps.accounts.models import User
from apps.projects import services
from apps.projects.routing import websocket_urlpatterns

ann, bob = User.objects.create_user("ann"), User.objects.create_user("bob")
project = services.project_create(user=ann, key="EMB", name="embedded")
services.member_add(project=project, username="bob", role="viewer")
users = {"ann": ann, "bob": bob}
rest = Client()
rest.force_login(ann)  # a session: the sockets below get their user in the scope
url = f"/api/projects/{project.pk}/presence/"
router = URLRouter(websocket_urlpatterns)

async def main():
    sockets = []
    async def open_board(name):
        socket = WebsocketCommunicator(router, f"/ws/projects/{project.pk}/")
        socket.scope["user"] = users[name]
        assert (await socket.connect(timeout=5))[0]
        assert (await socket.receive_json_from(timeout=5))["type"] == "subscribed"
        sockets.append(socket)
        return socket
    try:
        watcher = await open_board("ann")
        assert (await watcher.receive_json_from(timeout=5))["data"]["user"]["username"] == "ann"
        board = await open_board("bob")
        event = await watcher.receive_json_from(timeout=5)
        assert event["type"] == "presence.changed" and event["data"]["present"], event
        body = (await database_sync_to_async(rest.get)(url)).json()
        assert [user["username"] for user in body["board"]] == ["ann", "bob"], body
        await board.disconnect()
        sockets.remove(board)
        event = await watcher.receive_json_from(timeout=5)
        assert event["data"]["user"]["username"] == "bob" and not event["data"]["present"], event
        body = (await database_sync_to_async(rest.get)(url)).json()
        assert [user["username"] for user in body["board"]] == ["ann"], body
    finally:
        for socket in sockets:
            await socket.disconnect()

asyncio.run(main())
print("embedded presence ok")
"""


@pytest.mark.django_db  # no query runs here; the session fixtures expect the test database
def test_presence_on_the_embedded_default(tmp_path):
    """Without Redis (SQLite, the in-memory layer: one process) presence lives in the process."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'brisk.sqlite3'}", DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", EMBEDDED], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "embedded presence ok" in result.stdout
