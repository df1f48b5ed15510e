"""`task.updated` with the whole task to its detail viewers (`projects.task.<id>`) on every edit,
and the board's task events carrying the comment and checklist figures, on the real
channels-redis layer."""

import datetime

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from apps.accounts.services import token_for_user
from apps.projects import services
from apps.projects.models import Task, TaskStatus
from config.asgi import application
from tests.projects.factories import make_task, make_team
from tests.projects.sockets import QuietCommunicator

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ORIGIN = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


async def subscribed(path: str, user) -> WebsocketCommunicator:
    token = await database_sync_to_async(token_for_user)(user=user)
    communicator = QuietCommunicator(application, f"{path}?token={token}", headers=ORIGIN)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["type"] == "subscribed"
    return communicator


async def next_of(socket: WebsocketCommunicator, type_: str, *, limit: int = 6) -> dict:
    """The next event of `type_` (others, such as the partial counters, are skipped)."""
    for _ in range(limit):
        event = await socket.receive_json_from(timeout=5)
        if event["type"] == type_:
            return event
    raise AssertionError(f"no {type_} within {limit} events")


def _setup():
    team = make_team()
    task = make_task(team.project, assignee=team.editor)
    return team, task


def _row_version(task_id: int) -> int:
    return Task.objects.get(pk=task_id).row_version


async def test_detail_viewers_get_the_whole_task_on_every_edit():
    team, task = await database_sync_to_async(_setup)()
    detail = await subscribed(f"/ws/projects/{team.project.pk}/tasks/{task.pk}/", team.viewer)
    board = await subscribed(f"/ws/projects/{team.project.pk}/", team.viewer)
    try:
        project, editor = team.project, team.editor

        def edit(**data):
            row_version = _row_version(task.pk)
            services.task_update(project=project, actor=editor, task_id=task.pk, row_version=row_version, data=data)

        # PATCH of a field
        await database_sync_to_async(edit)(title="renamed", description="why")
        event = await detail.receive_json_from(timeout=5)
        assert event["type"] == "task.updated"
        assert event["data"]["task"]["title"] == "renamed" and event["data"]["task"]["description"] == "why"
        assert event["data"]["changed_by"]["id"] == editor.pk and "partial" not in event["data"]
        assert (await board.receive_json_from(timeout=5))["data"]["task"] == event["data"]["task"]

        # assignee change
        await database_sync_to_async(edit)(assignee_id=team.admin.pk)
        event = await detail.receive_json_from(timeout=5)
        assert event["type"] == "task.updated" and event["data"]["task"]["assignee"]["id"] == team.admin.pk

        # move to another column: the board gets task.moved, the detail task.updated with the new status
        active = await database_sync_to_async(TaskStatus.objects.get)(project=project, category="active")
        await database_sync_to_async(services.task_move)(
            project=project, actor=editor, task_id=task.pk, status_id=active.pk
        )
        event = await detail.receive_json_from(timeout=5)
        assert event["type"] == "task.updated" and event["data"]["task"]["status"]["id"] == active.pk
        assert event["data"]["new_status"]["id"] == active.pk

        # archive (PATCH archived) and unarchive
        await database_sync_to_async(edit)(archived=True)
        event = await detail.receive_json_from(timeout=5)
        assert event["type"] == "task.updated" and event["data"]["task"]["archived_at"] is not None
        await database_sync_to_async(services.task_unarchive)(project=project, actor=editor, task_id=task.pk)
        event = await detail.receive_json_from(timeout=5)
        assert event["type"] == "task.updated" and event["data"]["task"]["archived_at"] is None
        assert event["data"]["task"]["row_version"] == await database_sync_to_async(_row_version)(task.pk)

        # delete: the detail viewers learn the task is gone
        await database_sync_to_async(services.task_delete)(project=project, actor=editor, task_id=task.pk)
        event = await next_of(detail, "task.deleted")
        assert event["data"]["task"]["id"] == task.pk
    finally:
        await detail.disconnect()
        await board.disconnect()


async def test_another_tasks_viewers_get_nothing():
    team, task = await database_sync_to_async(_setup)()
    other = await database_sync_to_async(make_task)(team.project)
    detail = await subscribed(f"/ws/projects/{team.project.pk}/tasks/{other.pk}/", team.viewer)
    try:
        row_version = await database_sync_to_async(_row_version)(task.pk)
        await database_sync_to_async(services.task_update)(
            project=team.project, actor=team.editor, task_id=task.pk, row_version=row_version, data={"title": "x"}
        )
        assert await detail.receive_nothing(timeout=0.5)
    finally:
        await detail.disconnect()


async def test_board_task_updated_carries_comment_and_checklist_figures():
    team, task = await database_sync_to_async(_setup)()

    def counters():
        services.comment_create(project=team.project, author=team.editor, task_id=task.pk, body="one")
        services.comment_create(project=team.project, author=team.editor, task_id=task.pk, body="two")
        item = services.checklist_item_create(project=team.project, actor=team.editor, task_id=task.pk, text="a")
        services.checklist_item_create(project=team.project, actor=team.editor, task_id=task.pk, text="b")
        services.checklist_item_update(
            project=team.project, actor=team.editor, task_id=task.pk, item_id=item.pk, data={"done": True}
        )

    await database_sync_to_async(counters)()
    board = await subscribed(f"/ws/projects/{team.project.pk}/", team.viewer)
    try:
        row_version = await database_sync_to_async(_row_version)(task.pk)
        await database_sync_to_async(services.task_update)(
            project=team.project, actor=team.editor, task_id=task.pk, row_version=row_version, data={"priority": "high"}
        )
        event = await board.receive_json_from(timeout=5)
        assert event["type"] == "task.updated"
        figures = {name: event["data"]["task"][name] for name in ("comment_count", "checklist_total", "checklist_done")}
        assert figures == {"comment_count": 2, "checklist_total": 2, "checklist_done": 1}
    finally:
        await board.disconnect()


async def test_the_sweep_tells_each_archived_tasks_viewers():
    def setup():
        team = make_team()
        done = make_task(team.project, category="done")
        Task.objects.filter(pk=done.pk).update(completed_at=timezone.now() - datetime.timedelta(days=30))
        return team, done, Task.objects.get(pk=done.pk).row_version

    team, done, row_version = await database_sync_to_async(setup)()
    detail = await subscribed(f"/ws/projects/{team.project.pk}/tasks/{done.pk}/", team.viewer)
    board = await subscribed(f"/ws/projects/{team.project.pk}/", team.viewer)
    try:
        assert await database_sync_to_async(services.tasks_archive_done)() == 1
        event = await detail.receive_json_from(timeout=5)
        assert event["type"] == "task.updated" and event["data"]["task"]["id"] == done.pk
        assert event["data"]["task"]["archived_at"] is not None
        assert (
            event["data"]["task"]["row_version"]
            == row_version + 1
            == await database_sync_to_async(_row_version)(done.pk)
        )
        assert (await next_of(board, "tasks.archived"))["data"] == {"project_id": team.project.pk, "count": 1}
    finally:
        await detail.disconnect()
        await board.disconnect()
