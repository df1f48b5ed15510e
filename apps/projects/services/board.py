"""What every write shares: the project lock, the derived status, the events.

Every write that changes a project's live task counts takes the project's row lock
first (task creation takes it with the `next_task_number` UPDATE it needs anyway).
Count-changing writes of one project therefore run one after another, and each
recomputes the derived status from the project's columns as every earlier commit left
them. The derived status needs only which categories hold live tasks (one indexed
EXISTS per column), never a count over the project: a write costs the same at 100
tasks and at 100k. The counts themselves are the cached aggregate of selectors.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef

from apps.core.realtime import broadcast
from apps.projects.events import project_group, status_brief
from apps.projects.exceptions import ProjectNotFound
from apps.projects.models import Project, Task, TaskStatus
from apps.projects.selectors import (
    derived_category,
    empty_counts,
)

# --- counts and the derived status ------------------------------------------------------


def lock_project(project_id: int) -> Project:
    project = Project.objects.select_for_update().filter(pk=project_id, archived_at__isnull=True).first()
    if project is None:
        raise ProjectNotFound()
    return project


def live_in_column() -> Exists:
    # one probe of the partial live-column index per status, whatever the project's size:
    # the derived status depends on which categories have live tasks, not on how many
    return Exists(
        Task.objects.filter(project_id=OuterRef("project_id"), status=OuterRef("pk"), archived_at__isnull=True)
    )


def columns_with_presence(project_id: int) -> list[TaskStatus]:
    """The project's statuses, each with `has_live`: whether any live task is in it."""
    return list(
        TaskStatus.objects.filter(project_id=project_id).annotate(has_live=live_in_column()).order_by("rank", "id")
    )


def presence_by_category(columns: list[TaskStatus]) -> dict[str, int]:
    """1 for each category with a live task, 0 otherwise; `total` counts the categories present.

    The derived-status rules ask only "any task at all, any in issue, any active or in
    review, all done", which presence answers exactly as counts would.
    """
    presence = empty_counts()
    for column in columns:
        if column.has_live and not presence[column.category]:
            presence[column.category] = 1
            presence["total"] += 1
    return presence


def store_derived_status(
    *, project_id: int, current_id: int | None, columns: list[TaskStatus], presence, bump_counts: bool = False
) -> None:
    """Store the derived status when it changed (and the counts' version with `bump_counts`),
    and announce a changed status after commit."""
    category = derived_category(presence)
    target = next((column for column in columns if column.category == category), None)
    changes: dict[str, Any] = {"counts_version": F("counts_version") + 1} if bump_counts else {}
    if target is not None and target.pk != current_id:
        changes["derived_status"] = target
    if changes:
        # one UPDATE for both: the counts' version moves in the write's own transaction
        Project.objects.filter(pk=project_id).update(**changes)
    if target is None or "derived_status" not in changes:
        return
    old = next((column for column in columns if column.pk == current_id), None)
    broadcast(
        project_group(project_id),
        "project.status_changed",
        {
            "project_id": project_id,
            "old_status": None if old is None else status_brief(old),
            "new_status": status_brief(target),
        },
    )


def recount(project: Project) -> None:
    """After a count-changing write (under the project lock): bump the counts' version, refresh the derived status."""
    columns = columns_with_presence(project.pk)
    store_derived_status(
        project_id=project.pk,
        current_id=project.derived_status_id,
        columns=columns,
        presence=presence_by_category(columns),
        bump_counts=True,
    )


@transaction.atomic
def project_recount(*, project_id: int) -> None:
    """Recompute the derived status and invalidate the counts (after bulk loads or admin edits)."""
    project = Project.objects.select_for_update().filter(pk=project_id).first()  # archived ones too
    if project is not None:
        recount(project)
