"""The live board: `/ws/projects/{id}/`, one socket per project, members only.

Events reach the socket through its process's hub (`apps.core.hub`): one channel-layer
subscription per watched project per process, however many boards are open on it.
A removed member's sockets are revoked by `member_remove` (they see the removal, then
close 4403).
"""

from __future__ import annotations

from channels.db import database_sync_to_async

from apps.core.realtime import BriskConsumer
from apps.projects.events import project_group
from apps.projects.models import Project


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
