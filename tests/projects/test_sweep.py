import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.projects import selectors
from apps.projects.models import Project, Task
from apps.projects.tasks import archive_done_tasks
from tests.projects.factories import make_task, make_team

pytestmark = pytest.mark.django_db(transaction=True)


def age(task, days):
    Task.objects.filter(pk=task.pk).update(completed_at=timezone.now() - datetime.timedelta(days=days))


def test_command_archives_done_tasks_older_than_seven_days():
    team = make_team()
    old = make_task(team.project, category="done")
    recent = make_task(team.project, category="done")
    open_task = make_task(team.project, category="todo")
    age(old, 8)
    age(recent, 6)
    assert selectors.project_stats_for_id(project_id=team.project.pk)["done"] == 2  # cached before the sweep
    call_command("projects_archive_done")
    assert Task.objects.get(pk=old.pk).archived_at is not None
    assert Task.objects.get(pk=recent.pk).archived_at is None
    assert Task.objects.get(pk=open_task.pk).archived_at is None
    stats = selectors.project_stats_for_id(project_id=team.project.pk)
    assert (stats["total"], stats["done"]) == (2, 1)  # archived tasks leave the counts; the cache was bumped


def test_celery_task_archives_and_refreshes_the_derived_status():
    team = make_team()
    only = make_task(team.project, category="done")
    assert Project.objects.get(pk=team.project.pk).derived_status.name == "Done"
    age(only, 30)
    from config.celery import app

    # the name Celery beat schedules resolves to this task; apply() runs it here, as a worker would
    assert app.tasks["apps.projects.tasks.archive_done_tasks"].apply().get() == 1
    assert Project.objects.get(pk=team.project.pk).derived_status.name == "Todo"  # no live tasks left
    assert archive_done_tasks() == 0
