"""Comment events on the real channels-redis layer: the task's viewers, the board, the mentioned user's `/ws/me/`."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from apps.accounts.services import token_for_user
from apps.projects import services
from config.asgi import application
from tests.projects.factories import make_task, make_team
from tests.projects.sockets import QuietCommunicator

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ORIGIN = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


async def connect(path: str, user) -> WebsocketCommunicator:
    token = await database_sync_to_async(token_for_user)(user=user)
    communicator = QuietCommunicator(application, f"{path}?token={token}", headers=ORIGIN)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def subscribed(path: str, user) -> WebsocketCommunicator:
    communicator = await connect(path, user)
    assert (await communicator.receive_json_from(timeout=5))["type"] == "subscribed"
    return communicator


def _setup():
    team = make_team()
    return team, make_task(team.project)


async def test_comment_reaches_task_viewers_board_and_the_mentioned_user_after_commit():
    team, task = await database_sync_to_async(_setup)()
    viewer_task = await subscribed(f"/ws/projects/{team.project.pk}/tasks/{task.pk}/", team.viewer)
    board = await subscribed(f"/ws/projects/{team.project.pk}/", team.admin)
    me = await subscribed("/ws/me/", team.viewer)

    def comment():
        return services.comment_create(
            project=team.project, author=team.editor, task_id=task.pk, body=f"look @{team.viewer.username}"
        )

    created = await database_sync_to_async(comment)()
    mention = await me.receive_json_from(timeout=5)
    assert mention["type"] == "mention"
    assert mention["data"]["comment"]["id"] == created.pk
    assert mention["data"]["task"] == {"id": task.pk, "key": task.key}
    received = {e["type"]: e for e in [await viewer_task.receive_json_from(timeout=5) for _ in range(2)]}
    assert set(received) == {"comment.added", "task.updated"}
    assert received["comment.added"]["data"]["comment"]["body"] == f"look @{team.viewer.username}"
    updated = await board.receive_json_from(timeout=5)
    assert updated["type"] == "task.updated"
    assert updated["data"]["task"] == {"id": task.pk, "comment_count": 1} and updated["data"]["partial"] is True

    def delete():
        services.comment_delete(project=team.project, actor=team.editor, task_id=task.pk, comment_id=created.pk)

    await database_sync_to_async(delete)()
    received = {e["type"]: e for e in [await viewer_task.receive_json_from(timeout=5) for _ in range(2)]}
    assert set(received) == {"comment.deleted", "task.updated"}
    assert received["task.updated"]["data"]["task"]["comment_count"] == 0
    for socket in (viewer_task, board, me):
        await socket.disconnect()


async def test_nothing_is_sent_after_a_rollback():
    team, task = await database_sync_to_async(_setup)()
    me = await subscribed("/ws/me/", team.viewer)
    viewer_task = await subscribed(f"/ws/projects/{team.project.pk}/tasks/{task.pk}/", team.viewer)

    def comment_then_fail():
        with pytest.raises(RuntimeError), transaction.atomic():
            services.comment_create(
                project=team.project, author=team.editor, task_id=task.pk, body=f"@{team.viewer.username}"
            )
            raise RuntimeError("the request failed after the write")

    await database_sync_to_async(comment_then_fail)()
    assert await me.receive_nothing(timeout=1.0)
    assert await viewer_task.receive_nothing(timeout=0.2)
    await me.disconnect()
    await viewer_task.disconnect()


async def test_task_socket_refuses_strangers_and_other_projects_tasks():
    team, task = await database_sync_to_async(_setup)()
    stranger = await connect(f"/ws/projects/{team.project.pk}/tasks/{task.pk}/", team.stranger)
    assert (await stranger.receive_output(timeout=5)) == {"type": "websocket.close", "code": 4403}
    other, elsewhere = await database_sync_to_async(_setup)()
    wrong = await connect(f"/ws/projects/{team.project.pk}/tasks/{elsewhere.pk}/", team.viewer)
    assert (await wrong.receive_output(timeout=5))["code"] == 4403


async def test_me_socket_refuses_the_anonymous():
    communicator = WebsocketCommunicator(application, "/ws/me/", headers=ORIGIN)
    await communicator.connect()
    assert (await communicator.receive_output(timeout=5))["code"] == 4401
