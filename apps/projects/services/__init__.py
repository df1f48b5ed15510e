"""Writes: one function per use case (see board.py for how they keep counts and boards right)."""

from apps.projects.events import project_group
from apps.projects.services.board import project_recount
from apps.projects.services.projects import (
    member_add,
    member_remove,
    member_update,
    project_archive,
    project_create,
    project_update,
)
from apps.projects.services.sweep import tasks_archive_done
from apps.projects.services.tasks import task_create, task_delete, task_move, task_update

__all__ = [
    "member_add",
    "member_remove",
    "member_update",
    "project_archive",
    "project_create",
    "project_group",
    "project_recount",
    "project_update",
    "task_create",
    "task_delete",
    "task_move",
    "task_update",
    "tasks_archive_done",
]
