"""Archive done tasks completed more than PROJECTS_ARCHIVE_DONE_AFTER_DAYS ago (also run hourly by Celery beat)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from apps.projects.services import tasks_archive_done


class Command(BaseCommand):
    help = "Archive done tasks older than PROJECTS_ARCHIVE_DONE_AFTER_DAYS (default 7)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="override PROJECTS_ARCHIVE_DONE_AFTER_DAYS")

    def handle(self, *args, days=None, **options):
        if days is not None and days < 0:
            self.stderr.write("--days must be 0 or more")
            return
        archived = tasks_archive_done(older_than_days=days)
        self.stdout.write(f"archived {archived} done task(s)")
