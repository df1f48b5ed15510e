"""The live board: `/ws/projects/{id}/`, one socket per project, members only.

Events reach the socket through its process's hub (`apps.core.hub`): one channel-layer
subscription per watched project per process, however many boards are open on it.
A removed member's sockets are revoked by `member_remove` (they see the removal, then
close 4403).
"""

from __future__ import annotations

from channels.db import database_sync_to_async

from apps.core.realtime import BriskConsumer
from apps.projects.events import project_group, task_group, user_group
from apps.projects.models import Project, Task


@database_sync_to_async
def _is_member(user, project_id: int) -> bool:
    # the same scoping as the REST API: Project.objects.visible_to(user)
    return Project.objects.visible_to(user).filter(pk=project_id).exists()


class ProjectConsumer(BriskConsumer):
    """Forwards task.*, project.status_changed and member.* events of one project to members."""

    async def groups_for(self, user) -> list[str] | None:
        project_id = int(self.scope["url_route"]["kwargs"]["project_id"])
        if not await _is_member(user, project_id):
            return None
        return [project_group(project_id)]


class MeConsumer(BriskConsumer):
    """`/ws/me/`: the caller's own events (`mention`), whoever they are; nothing of anyone else's."""

    async def groups_for(self, user) -> list[str] | None:
        return [user_group(user.pk)]


@database_sync_to_async
def _task_of_member(user, project_id: int, task_id: int) -> bool:
    return Task.objects.filter(pk=task_id, project__in=Project.objects.visible_to(user).filter(pk=project_id)).exists()


class TaskConsumer(BriskConsumer):
    """`/ws/projects/{id}/tasks/{task_id}/`: a task's detail viewers (comment.*, task.updated), members only."""

    async def groups_for(self, user) -> list[str] | None:
        kwargs = self.scope["url_route"]["kwargs"]
        if not await _task_of_member(user, int(kwargs["project_id"]), int(kwargs["task_id"])):
            return None
        return [task_group(int(kwargs["task_id"]))]
