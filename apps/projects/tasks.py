"""Celery tasks of the project tracker (scheduled by CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from apps.projects.services import tasks_archive_done


@shared_task(name="apps.projects.tasks.archive_done_tasks")
def archive_done_tasks() -> int:
    """Archive done tasks older than PROJECTS_ARCHIVE_DONE_AFTER_DAYS; returns how many."""
    return tasks_archive_done()
