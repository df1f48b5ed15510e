"""Query plans at 100k tasks: the hot queries read through their indexes."""

import datetime

import pytest
from django.utils import timezone

from apps.projects import selectors
from apps.projects.models import Task, TaskStatus
from tests.accounts.factories import UserFactory
from tests.projects.factories import bulk_tasks, make_project

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db]

TABLES = ("projects_task", "projects_taskstatus", "projects_project", "projects_projectmember")


def test_hot_queries_use_their_indexes_at_100k_tasks(explain):
    """90k tasks in one project, 10k over ten others; one user is assigned 1 task in 1000.

    One test, so the 100k rows are inserted once (one INSERT ... SELECT generate_series each).
    """
    user = UserFactory()
    big = make_project(admin=user, key="BIG")
    bulk_tasks(big, 90_000, assignee=user, assigned_every=1000)
    small = [make_project(admin=user, key=f"SM{chr(65 + i)}") for i in range(10)]
    for project in small:
        bulk_tasks(project, 1_000)
    assert Task.objects.count() == 100_000

    # the board page: read in (project, status, rank) order, no sort of 90k rows
    page = selectors.task_list_rows(project_id=big.pk, filters={"archived": False})[:50]
    plan = explain(page, analyze_tables=TABLES)
    assert "projects_task_column_rank" in plan, plan

    # one column of the board
    status = TaskStatus.objects.filter(project=big, category="active").first()
    page = selectors.task_list_rows(project_id=big.pk, filters={"archived": False, "status": status.pk})[:50]
    plan = explain(page)
    assert "projects_task_column_rank" in plan or "projects_task_proj_status" in plan, plan

    # the stats' grouped count for a small project among 100k rows
    plan = explain(selectors.counts_queryset([small[0].pk]))
    assert "Seq Scan on projects_task " not in plan + " ", plan
    assert "Index Scan" in plan or "Bitmap Index Scan" in plan, plan

    # a write's derived status: one EXISTS per column on the partial index of live tasks
    from apps.projects.services.board import columns_with_presence, live_in_column

    Task.objects.filter(project=big, status__category="done").update(archived_at=timezone.now())
    plan = explain(TaskStatus.objects.filter(project=big).annotate(has_live=live_in_column()), analyze_tables=TABLES)
    assert "projects_task_live_column" in plan, plan
    assert [column.has_live for column in columns_with_presence(big.pk)] == [True, True, True, True, False]

    # my tasks: the assignee's live tasks
    plan = explain(selectors.my_open_task_rows(user=user).order_by("-id")[:51])
    assert "projects_task_assignee_arch" in plan, plan

    # the archive sweep reads only the partial index of live completed tasks
    cutoff = timezone.now() - datetime.timedelta(days=7)
    due = Task.objects.filter(archived_at__isnull=True, completed_at__lt=cutoff, status__category="done")
    plan = explain(due.values("project_id"))
    assert "projects_task_done_live" in plan, plan
