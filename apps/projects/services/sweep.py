"""The periodic sweep: archive old done tasks."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.projects.builders import task_detail_item
from apps.projects.events import tasks_archived_event
from apps.projects.models import Project, Task, TaskStatus
from apps.projects.selectors import TASK_DETAIL_ROW_FIELDS, subtask_count
from apps.projects.services.board import recount
from apps.projects.services.projects import overrides_clear_expired

# --- the sweep --------------------------------------------------------------------------------


def tasks_archive_done(*, now: datetime.datetime | None = None, older_than_days: int | None = None) -> int:
    """Archive done tasks completed more than PROJECTS_ARCHIVE_DONE_AFTER_DAYS ago; one transaction per project.
    Expired status overrides are cleared on the same round (`overrides_clear_expired`)."""
    now = now or timezone.now()
    overrides_clear_expired(now=now)
    days = older_than_days if older_than_days is not None else settings.PROJECTS_ARCHIVE_DONE_AFTER_DAYS
    cutoff = now - datetime.timedelta(days=days)
    due = Task.objects.filter(
        archived_at__isnull=True, completed_at__lt=cutoff, status__category=TaskStatus.Category.DONE
    )
    project_ids = list(due.order_by().values_list("project_id", flat=True).distinct())
    archived = 0
    for project_id in project_ids:
        with transaction.atomic():
            project = Project.objects.select_for_update().filter(pk=project_id).first()
            if project is None:
                continue
            # the tasks as they will be (their detail viewers get each one), read under the project's lock
            rows = list(
                due.filter(project_id=project_id)
                .annotate(subtask_count=subtask_count())
                .values(*TASK_DETAIL_ROW_FIELDS)
            )
            if not rows:
                continue
            n = Task.objects.filter(pk__in=[row["id"] for row in rows]).update(
                archived_at=now, updated_at=now, row_version=F("row_version") + 1
            )
            archived += n
            recount(project)
            for row in rows:
                row.update(archived_at=now, updated_at=now, row_version=row["row_version"] + 1)
            tasks_archived_event(project_id=project_id, tasks=[task_detail_item(row) for row in rows])
    return archived
