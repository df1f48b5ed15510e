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


def test_comment_and_mention_pages_use_their_indexes(explain):
    """A task's comment page and a user's mention page among 20k comments."""
    from django.db import connection

    from apps.projects.models import Comment, CommentMention

    user = UserFactory()
    project = make_project(admin=user, key="CMT")
    bulk_tasks(project, 200)
    task_ids = list(Task.objects.filter(project=project).values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO projects_comment (task_id, author_id, body, created_at) "
            "SELECT (%s::bigint[])[1 + g %% 200], %s, 'c' || g, now() FROM generate_series(0, 19999) AS g",
            [task_ids, user.pk],
        )
        # each comment mentions one of 20 users: the caller's mentions are one in 20
        others = [UserFactory().pk for _ in range(19)]
        cursor.execute(
            "INSERT INTO projects_commentmention (comment_id, user_id, created_at) "
            "SELECT id, (%s::bigint[])[1 + id %% 20], now() FROM projects_comment",
            [[user.pk, *others]],
        )
    tables = ("projects_comment", "projects_commentmention")
    assert Comment.objects.count() == 20_000 and CommentMention.objects.exists()
    plan = explain(selectors.comment_rows(task_id=task_ids[0]).order_by("-id")[:51], analyze_tables=tables)
    assert "projects_comment_task_id" in plan, plan
    plan = explain(selectors.my_mention_rows(user=user).order_by("-id")[:51], analyze_tables=tables)
    assert "projects_mention_user_id" in plan or "projects_mention_unique_user" in plan, plan


def test_checklist_page_uses_its_index(explain):
    from django.db import connection

    user = UserFactory()
    project = make_project(admin=user, key="CHK")
    bulk_tasks(project, 200)
    task_ids = list(Task.objects.filter(project=project).values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO projects_checklistitem (task_id, text, done, rank, created_at) "
            "SELECT (%s::bigint[])[1 + g %% 200], 'i' || g, g %% 3 = 0, g, now() FROM generate_series(0, 19999) AS g",
            [task_ids],
        )
    plan = explain(selectors.checklist_rows(task_id=task_ids[0])[:50], analyze_tables=("projects_checklistitem",))
    assert "projects_checklist_task_rank" in plan, plan


def test_workspace_project_list_uses_its_index(explain):
    """20 workspaces of 500 projects each (10k projects); the caller is in 5 of them, a member
    of every project there: a workspace's page reads the (application, archived_at, id) index."""
    from django.db import connection

    from apps.projects.models import Application, ApplicationMember, Project

    user = UserFactory()
    workspaces = [Application.objects.create(name=f"w{i}", created_by=user) for i in range(20)]
    ApplicationMember.objects.bulk_create(
        [ApplicationMember(application=workspace, user=user, role="editor") for workspace in workspaces[:5]]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO projects_project (application_id, key, name, description, next_task_number, "
            "counts_version, created_at, override_reason) "
            "SELECT (%s::bigint[])[1 + g %% 20], 'X' || g, 'p', '', 1, 1, now(), '' "
            "FROM generate_series(0, 9999) AS g",
            [[workspace.pk for workspace in workspaces]],
        )
        cursor.execute(
            "INSERT INTO projects_projectmember (project_id, user_id, role, created_at) "
            "SELECT id, %s, 'editor', now() FROM projects_project WHERE application_id = ANY(%s)",
            [user.pk, [workspace.pk for workspace in workspaces[:5]]],
        )
        # an archived tail in the caller's workspace
        cursor.execute(
            "UPDATE projects_project SET archived_at = now() WHERE application_id = %s AND id %% 3 = 0",
            [workspaces[0].pk],
        )
    assert Project.objects.count() == 10_000
    tables = ("projects_project", "projects_projectmember", "projects_application", "projects_applicationmember")
    page = selectors.workspace_project_rows(user=user, application_id=workspaces[0].pk)[:50]
    plan = explain(page, analyze_tables=tables)
    assert "projects_project_app_live" in plan, plan
    archived = selectors.workspace_project_rows(user=user, application_id=workspaces[0].pk, archived=True)[:50]
    plan = explain(archived)
    assert "projects_project_app_live" in plan, plan
    assert len(list(page)) == 50
