"""The live board on a real channels-redis layer: events arrive after commit, never after rollback."""

import asyncio
import threading

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from apps.accounts.services import token_for_user
from apps.projects import services
from apps.projects.consumers import ProjectConsumer
from apps.projects.models import TaskStatus
from config.asgi import application
from tests.projects.factories import make_team
from tests.projects.sockets import QuietCommunicator

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ORIGIN = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


async def connect(project_id: int, user) -> WebsocketCommunicator:
    token = await database_sync_to_async(token_for_user)(user=user)
    communicator = QuietCommunicator(application, f"/ws/projects/{project_id}/?token={token}", headers=ORIGIN)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def subscribed(project_id: int, user) -> WebsocketCommunicator:
    communicator = await connect(project_id, user)
    assert (await communicator.receive_json_from(timeout=5))["type"] == "subscribed"
    return communicator


async def test_task_created_arrives_after_commit_and_not_before():
    team = await database_sync_to_async(make_team)()
    board = await subscribed(team.project.pk, team.viewer)
    created, release = threading.Event(), threading.Event()

    def create_and_hold_the_transaction():
        with transaction.atomic():
            services.task_create(project=team.project, reporter=team.editor, title="live")
            created.set()
            release.wait(10)

    writer = asyncio.ensure_future(database_sync_to_async(create_and_hold_the_transaction)())
    assert await asyncio.get_running_loop().run_in_executor(None, created.wait, 10)
    assert await board.receive_nothing(timeout=0.5)  # written, not committed: nothing sent
    release.set()
    await writer
    event = await board.receive_json_from(timeout=5)
    assert event["type"] == "task.created"
    assert event["data"]["task"]["title"] == "live"
    assert event["data"]["task"]["key"] == f"{team.project.key}-1"
    assert event["data"]["changed_by"]["id"] == team.editor.pk
    await board.disconnect()


async def test_nothing_is_sent_after_a_rollback():
    team = await database_sync_to_async(make_team)()
    board = await subscribed(team.project.pk, team.editor)

    def create_then_fail():
        with pytest.raises(RuntimeError), transaction.atomic():
            services.task_create(project=team.project, reporter=team.editor, title="doomed")
            raise RuntimeError("the request failed after the write")

    await database_sync_to_async(create_then_fail)()
    assert await board.receive_nothing(timeout=1.0)
    await board.disconnect()


async def test_move_and_status_change_events():
    team = await database_sync_to_async(make_team)()
    board = await subscribed(team.project.pk, team.viewer)

    def write():
        task = services.task_create(project=team.project, reporter=team.editor, title="t", assignee_id=team.editor.pk)
        issue = TaskStatus.objects.get(project=team.project, category="issue")
        services.task_move(project=team.project, actor=team.editor, task_id=task.pk, status_id=issue.pk)
        return task, issue

    task, issue = await database_sync_to_async(write)()
    received = {event["type"]: event for event in [await board.receive_json_from(timeout=5) for _ in range(3)]}
    assert set(received) == {"task.created", "project.status_changed", "task.moved"}
    changed, moved = received["project.status_changed"]["data"], received["task.moved"]["data"]
    assert changed["old_status"]["name"] == "Todo" and changed["new_status"]["name"] == "Issue"
    assert moved["old_status"]["category"] == "todo" and moved["new_status"]["id"] == issue.pk
    assert moved["task"]["id"] == task.pk and moved["task"]["status"]["id"] == issue.pk
    await board.disconnect()


async def test_member_and_delete_events():
    team = await database_sync_to_async(make_team)()
    board = await subscribed(team.project.pk, team.admin)

    def write():
        from tests.accounts.factories import UserFactory

        newcomer = UserFactory()
        services.member_add(project=team.project, username=newcomer.username, role="editor")
        services.member_remove(project=team.project, actor=team.admin, user_id=newcomer.pk)
        task = services.task_create(project=team.project, reporter=team.admin, title="gone soon")
        services.task_delete(project=team.project, actor=team.admin, task_id=task.pk)
        return newcomer

    newcomer = await database_sync_to_async(write)()
    events = {event["type"]: event for event in [await board.receive_json_from(timeout=5) for _ in range(4)]}
    # each broadcast is its own fire-and-forget send: events of separate commits may overtake each other
    assert set(events) == {"member.added", "member.removed", "task.created", "task.deleted"}
    assert events["member.added"]["data"]["user"]["id"] == newcomer.pk
    assert events["member.removed"]["data"]["user"]["id"] == newcomer.pk
    assert events["task.deleted"]["data"]["task"]["title"] == "gone soon"
    await board.disconnect()


async def test_stranger_is_refused_and_viewer_accepted():
    team = await database_sync_to_async(make_team)()
    stranger = await connect(team.project.pk, team.stranger)
    closed = await stranger.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4403}
    viewer = await subscribed(team.project.pk, team.viewer)
    await viewer.disconnect()


async def test_anonymous_is_refused():
    team = await database_sync_to_async(make_team)()
    communicator = QuietCommunicator(application, f"/ws/projects/{team.project.pk}/", headers=ORIGIN)
    await communicator.connect()
    assert (await communicator.receive_output(timeout=5))["code"] == 4401


def _group_members(group: str) -> int:
    import redis
    from django.conf import settings

    return redis.Redis.from_url(settings.REDIS_URL).zcard(f"{settings.CHANNEL_LAYER_PREFIX}:group:{group}")


async def test_sockets_of_one_board_share_one_subscription_and_survive_each_other():
    from apps.core.hub import hub

    team = await database_sync_to_async(make_team)()
    first = await subscribed(team.project.pk, team.viewer)
    second = await subscribed(team.project.pk, team.editor)
    group = f"projects.project.{team.project.pk}"
    assert len(hub().listeners[group]) == 2
    assert await database_sync_to_async(_group_members)(group) == 1  # one channel-layer member for both sockets

    def create(title):
        services.task_create(project=team.project, reporter=team.editor, title=title)

    await database_sync_to_async(create)("both")
    assert (await first.receive_json_from(timeout=5))["data"]["task"]["title"] == "both"
    assert (await second.receive_json_from(timeout=5))["data"]["task"]["title"] == "both"
    await first.disconnect()
    await database_sync_to_async(create)("second only")
    assert (await second.receive_json_from(timeout=5))["data"]["task"]["title"] == "second only"
    await second.disconnect()
    assert group not in hub().listeners  # the last socket out leaves the group
    # on the layer a little later (apps.core.hub.LEAVE_AFTER_SECONDS), with the others due by then
    assert await database_sync_to_async(_group_members)(group) == 1
    await asyncio.sleep(hub().leave_after + 0.5)
    assert await database_sync_to_async(_group_members)(group) == 0


async def test_a_socket_that_falls_behind_is_closed(monkeypatch, settings):
    from apps.core import realtime
    from apps.core.hub import hub

    async def stuck_send(self, text_data=None, bytes_data=None, close=False):
        await asyncio.Event().wait()  # a client that stopped reading: the socket's send never completes

    settings.WEBSOCKET_OUTBOX_SIZE = 2
    monkeypatch.setattr(ProjectConsumer, "send", stuck_send)
    team = await database_sync_to_async(make_team)()
    board = await connect(team.project.pk, team.viewer)
    group = f"projects.project.{team.project.pk}"
    for _ in range(100):  # on the board (its "subscribed" is stuck in the outbox like the rest)
        if group in hub().listeners:
            break
        await asyncio.sleep(0.05)

    def create_many():
        for i in range(6):
            services.task_create(project=team.project, reporter=team.editor, title=f"t{i}")

    await database_sync_to_async(create_many)()
    outputs = []
    for _ in range(10):
        try:
            outputs.append(await board.receive_output(timeout=2))
        except TimeoutError:
            break
        if outputs[-1]["type"] == "websocket.close":
            break
    assert outputs[-1] == {"type": "websocket.close", "code": realtime.CLOSE_TRY_AGAIN_LATER}
    assert f"projects.project.{team.project.pk}" not in hub().listeners  # off the board at once
    await board.disconnect()


async def test_a_removed_members_socket_sees_the_removal_then_closes():
    team = await database_sync_to_async(make_team)()
    leaving = await subscribed(team.project.pk, team.viewer)
    staying = await subscribed(team.project.pk, team.editor)

    def remove_viewer():
        project = type(team.project).objects.get(pk=team.project.pk)
        project.my_role = "admin"
        services.member_remove(project=project, actor=team.admin, user_id=team.viewer.pk)

    await database_sync_to_async(remove_viewer)()
    assert (await leaving.receive_json_from(timeout=5))["type"] == "member.removed"
    assert await leaving.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}
    assert (await staying.receive_json_from(timeout=5))["type"] == "member.removed"
    await staying.send_json_to({"type": "ping"})
    assert (await staying.receive_json_from(timeout=5))["type"] == "pong"
    await staying.disconnect()
