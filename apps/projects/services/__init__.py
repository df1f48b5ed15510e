"""Writes: one function per use case (see board.py for how they keep counts and boards right)."""

from apps.projects.events import project_group
from apps.projects.services.board import project_recount
from apps.projects.services.checklists import (
    checklist_item_create,
    checklist_item_delete,
    checklist_item_move,
    checklist_item_update,
)
from apps.projects.services.comments import comment_create, comment_delete, comment_update
from apps.projects.services.projects import (
    member_add,
    member_remove,
    member_update,
    overrides_clear_expired,
    project_archive,
    project_create,
    project_override_clear,
    project_override_set,
    project_unarchive,
    project_update,
)
from apps.projects.services.sweep import tasks_archive_done
from apps.projects.services.tasks import task_create, task_delete, task_move, task_unarchive, task_update
from apps.projects.services.workspaces import (
    application_create,
    application_delete,
    application_member_add,
    application_member_remove,
    application_member_update,
    application_update,
    workspace_member_ensure,
)

__all__ = [
    "application_create",
    "application_delete",
    "application_member_add",
    "application_member_remove",
    "application_member_update",
    "application_update",
    "workspace_member_ensure",
    "checklist_item_create",
    "checklist_item_delete",
    "checklist_item_move",
    "checklist_item_update",
    "comment_create",
    "comment_delete",
    "comment_update",
    "member_add",
    "member_remove",
    "member_update",
    "overrides_clear_expired",
    "project_override_clear",
    "project_override_set",
    "project_unarchive",
    "project_archive",
    "project_create",
    "project_group",
    "project_recount",
    "project_update",
    "task_create",
    "task_delete",
    "task_move",
    "task_unarchive",
    "task_update",
    "tasks_archive_done",
]
