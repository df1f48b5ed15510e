"""A workspace member's removal on the real channels-redis layer: the boards hear
`member.removed` and `task.updated` (the task unassigned) after commit, never after a rollback,
and the removed user's board socket closes."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from apps.accounts.services import token_for_user
from apps.projects import services
from apps.projects.models import Application
from config.asgi import application
from tests.projects.factories import make_task, make_team
from tests.projects.sockets import QuietCommunicator

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ORIGIN = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


async def subscribed(path: str, user) -> WebsocketCommunicator:
    token = await database_sync_to_async(token_for_user)(user=user)
    communicator = QuietCommunicator(application, f"{path}?token={token}", headers=ORIGIN)
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["type"] == "subscribed"
    return communicator


def _setup():
    team = make_team()
    task = make_task(team.project, category="active", assignee=team.editor)
    workspace = Application.objects.get(pk=team.project.application_id)
    workspace.my_role, workspace.my_is_manager = "owner", False
    return team, task, workspace


class Abort(Exception):
    pass


async def test_removal_events_arrive_after_commit_and_not_after_rollback():
    team, task, workspace = await database_sync_to_async(_setup)()
    board = await subscribed(f"/ws/projects/{team.project.pk}/", team.admin)
    leaving = await subscribed(f"/ws/projects/{team.project.pk}/", team.editor)
    try:

        def remove_then_roll_back():
            with transaction.atomic():
                services.application_member_remove(application=workspace, actor=team.admin, user_id=team.editor.pk)
                raise Abort

        with pytest.raises(Abort):
            await database_sync_to_async(remove_then_roll_back)()
        assert await board.receive_nothing(timeout=0.5)  # nothing was committed: nothing is sent

        def remove():
            services.application_member_remove(application=workspace, actor=team.admin, user_id=team.editor.pk)

        await database_sync_to_async(remove)()
        events = {}
        for _ in range(2):
            event = await board.receive_json_from(timeout=5)
            events[event["type"]] = event
        assert events["task.updated"]["data"]["task"]["id"] == task.pk
        assert events["task.updated"]["data"]["task"]["assignee"] is None
        assert events["task.updated"]["data"]["task"]["row_version"] == task.row_version + 1
        assert events["member.removed"]["data"]["user"]["id"] == team.editor.pk
        # the removed user's socket on the board is closed (4403) after the events
        while (output := await leaving.receive_output(timeout=5))["type"] != "websocket.close":
            pass
        assert output["code"] == 4403
    finally:
        await board.disconnect()
        await leaving.disconnect()
