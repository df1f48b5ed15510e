"""The live board: `/ws/projects/{id}/`, one socket per project, members only.

Events reach the socket through its process's hub (`apps.core.hub`): one channel-layer
subscription per watched project per process, however many boards are open on it.
A removed member's sockets are revoked by `member_remove` (they see the removal, then
close 4403). Board and task sockets are the project's presence (`apps.projects.presence`):
entered once the socket follows its groups, left on disconnect.
"""

from __future__ import annotations

import asyncio

from channels.db import database_sync_to_async

from apps.core.realtime import BriskConsumer
from apps.projects import presence
from apps.projects.events import project_group, task_group, user_group
from apps.projects.models import Project, Task


@database_sync_to_async
def _member_name(user, project_id: int) -> str | None:
    """The member's username (what presence shows), None for anyone else."""
    # the same scoping as the REST API: Project.objects.visible_to(user)
    if not Project.objects.visible_to(user).filter(pk=project_id).exists():
        return None
    return str(user.get_username())


class PresentConsumer(BriskConsumer):
    """A socket that counts as its user's presence at `spot` (set by `groups_for`) while open."""

    spot: tuple[int, int | None] | None = None  # (project id, task id or None for the board)
    username = ""
    presence_entry: presence.Entry | None = None

    async def join(self, groups: list[str]) -> None:
        await super().join(groups)
        if self.spot is not None and self.user_id is not None:
            project_id, task_id = self.spot
            self.presence_entry = await presence.enter(
                project_id=project_id, task_id=task_id, user_id=self.user_id, username=self.username
            )

    async def disconnect(self, code: int) -> None:
        entry, self.presence_entry = self.presence_entry, None
        try:
            if entry is not None:
                # shielded: a disconnect cut short (a server stopping) still removes the presence
                await asyncio.shield(asyncio.ensure_future(presence.leave(entry)))
        finally:
            await super().disconnect(code)


class ProjectConsumer(PresentConsumer):
    """Forwards task.*, project.status_changed, member.* and presence.changed events of one project to members."""

    async def groups_for(self, user) -> list[str] | None:
        project_id = int(self.scope["url_route"]["kwargs"]["project_id"])
        username = await _member_name(user, project_id)
        if username is None:
            return None
        self.spot, self.username = (project_id, None), username
        return [project_group(project_id)]


class MeConsumer(BriskConsumer):
    """`/ws/me/`: the caller's own events (`mention`), whoever they are; nothing of anyone else's."""

    async def groups_for(self, user) -> list[str] | None:
        return [user_group(user.pk)]


@database_sync_to_async
def _task_member_name(user, project_id: int, task_id: int) -> str | None:
    if not Task.objects.filter(pk=task_id, project__in=Project.objects.visible_to(user).filter(pk=project_id)).exists():
        return None
    return str(user.get_username())


class TaskConsumer(PresentConsumer):
    """`/ws/projects/{id}/tasks/{task_id}/`: a task's detail viewers (comment.*, task.updated), members only."""

    async def groups_for(self, user) -> list[str] | None:
        kwargs = self.scope["url_route"]["kwargs"]
        project_id, task_id = int(kwargs["project_id"]), int(kwargs["task_id"])
        username = await _task_member_name(user, project_id, task_id)
        if username is None:
            return None
        self.spot, self.username = (project_id, task_id), username
        return [task_group(task_id)]
