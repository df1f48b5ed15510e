"""Each hot list's builder writes exactly what its documented serializer writes for the same rows.

The serializers are the schema (drf-spectacular); the builders are what the views send.
If a field is added to one and not the other, or formatted differently, these fail.
"""

import datetime

import pytest
from django.utils import timezone

from apps.core.renderers import FastJSONRenderer
from apps.projects import builders, selectors
from apps.projects.models import Project, Task
from apps.projects.serializers import ProjectSerializer, TaskDetailSerializer, TaskSerializer
from tests.accounts.factories import UserFactory
from tests.projects.factories import add_member, make_project, make_task

pytestmark = pytest.mark.django_db

ALL = {"archived": None}


def _json(data) -> bytes:
    return FastJSONRenderer().render(data)


def _tasks_as_the_serializer_reads_them(ids: list[int]) -> list[Task]:
    by_id = (
        Task.objects.filter(pk__in=ids)
        .select_related("status", "assignee", "reporter")
        .annotate(subtask_count=selectors.subtask_count())
        .in_bulk()
    )
    return [by_id[pk] for pk in ids]


@pytest.fixture
def edge_tasks():
    """Tasks covering every null and edge value an item can carry."""
    admin = UserFactory(username="ädmin-✓")
    project = make_project(admin=admin)
    other = add_member(project)
    plain = make_task(project, title="plain")  # unassigned, no points, no due date
    full = make_task(
        project,
        title='quotes " and \\ and \u2028 and 日本',
        category="done",
        assignee=other,
        story_points=0,
        due_date=datetime.date(2026, 2, 28),
        task_type="bug",
        priority="highest",
    )
    make_task(project, title="child", parent_id=full.pk, story_points=1000)
    make_task(project, title="second child", parent_id=full.pk)
    Task.objects.filter(pk=full.pk).update(comment_count=3, checklist_total=4, checklist_done=1)
    # a reporter deleted (SET NULL), an archived task, a timestamp without microseconds
    Task.objects.filter(pk=plain.pk).update(
        reporter=None,
        archived_at=timezone.now(),
        created_at=datetime.datetime(2026, 1, 1, 0, 0, 0, tzinfo=datetime.UTC),
    )
    return project, admin


def test_task_list_builder_equals_task_serializer(edge_tasks):
    project, _ = edge_tasks
    rows = list(selectors.task_list_rows(project_id=project.pk, filters=ALL))
    assert len(rows) == 4
    assert any(row["reporter_id"] is None for row in rows)
    assert any(row["subtask_count"] == 2 for row in rows)
    assert any(row["comment_count"] == 3 and row["checklist_total"] == 4 for row in rows)
    instances = _tasks_as_the_serializer_reads_them([row["id"] for row in rows])
    assert _json([builders.task_item(row) for row in rows]) == _json(TaskSerializer(instances, many=True).data)


def test_task_detail_builder_equals_task_detail_serializer(edge_tasks):
    project, _ = edge_tasks
    for task in Task.objects.filter(project=project):
        Task.objects.filter(pk=task.pk).update(description=f"described {task.pk} \u2029")
        row = selectors.task_detail_row(project_id=project.pk, task_id=task.pk)
        [instance] = _tasks_as_the_serializer_reads_them([task.pk])
        assert _json(builders.task_detail_item(row)) == _json(TaskDetailSerializer(instance).data)


def test_my_tasks_builder_equals_task_serializer(edge_tasks):
    project, admin = edge_tasks
    make_task(project, title="mine", category="active", assignee=admin)
    rows = list(selectors.my_open_task_rows(user=admin).order_by("-id"))
    assert rows
    instances = _tasks_as_the_serializer_reads_them([row["id"] for row in rows])
    assert _json([builders.task_item(row) for row in rows]) == _json(TaskSerializer(instances, many=True).data)


def test_project_list_builder_equals_project_serializer(edge_tasks):
    project, admin = edge_tasks
    empty = make_project(admin=admin)  # no tasks: its counts come back empty
    Project.objects.filter(pk=empty.pk).update(derived_status=None)  # the join finds nothing
    # overrides: one that applies (no expiry), one expired, one whose author was deleted
    issue = project.statuses.get(category="issue")
    Project.objects.filter(pk=project.pk).update(override_status=issue, override_reason="outage ✓", override_by=admin)
    expired = make_project(admin=admin)
    Project.objects.filter(pk=expired.pk).update(
        override_status=expired.statuses.get(category="done"),
        override_reason="r",
        override_by=admin,
        override_expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    orphan = make_project(admin=admin)
    Project.objects.filter(pk=orphan.pk).update(
        override_status=orphan.statuses.get(category="review"),
        override_reason="gone",
        override_by=None,
        override_expires_at=datetime.datetime(2999, 1, 1, 0, 0, 0, 123456, tzinfo=datetime.UTC),
    )
    rows = list(selectors.project_list_rows(user=admin))
    assert {row["id"] for row in rows} == {project.pk, empty.pk, expired.pk, orphan.pk}
    counts = {project.pk: selectors.project_counts_for_id(project_id=project.pk)}  # the others: a miss
    instances = list(
        Project.objects.visible_to(admin)
        .with_role(admin)
        .select_related("derived_status", "override_status", "override_by")
        .order_by("-id")
    )
    built = [builders.project_item(row, counts.get(row["id"])) for row in rows]
    assert _json(built) == _json(ProjectSerializer(instances, many=True, context={"counts": counts}).data)
    by_id = {item["id"]: item for item in built}
    assert by_id[empty.pk]["derived_status"] is None and by_id[empty.pk]["counts"]["total"] == 0
    assert by_id[empty.pk]["effective_status"] is None and by_id[empty.pk]["override"] is None
    assert by_id[project.pk]["effective_status"]["id"] == issue.pk and by_id[project.pk]["override"]["active"]
    assert by_id[expired.pk]["override"]["active"] is False
    assert by_id[expired.pk]["effective_status"]["name"] == by_id[expired.pk]["derived_status"] == "Todo"
    assert by_id[orphan.pk]["override"]["by"] is None and by_id[orphan.pk]["effective_status"]["name"] == "In Review"


def test_my_projects_builder_equals_my_project_serializer(edge_tasks):
    from apps.projects.serializers import MyProjectSerializer

    project, admin = edge_tasks
    rows = list(selectors.my_project_rows(user=admin))
    counts = {project.pk: selectors.project_counts_for_id(project_id=project.pk)}
    instances = list(
        Project.objects.visible_to(admin)
        .with_role(admin)
        .select_related("derived_status", "application")
        .order_by("-id")
    )
    built = [builders.my_project_item(row, counts.get(row["id"])) for row in rows]
    assert _json(built) == _json(MyProjectSerializer(instances, many=True, context={"counts": counts}).data)
    assert built[0]["application"] == {"id": project.application_id, "name": project.application.name}


def test_task_detail_from_model_equals_task_detail_serializer(edge_tasks):
    """What create, update and move answer with: built from the instance the service returns."""
    project, admin = edge_tasks
    other = add_member(project)
    created = make_task(project, title="new", assignee=other, story_points=3, due_date=datetime.date(2026, 3, 1))
    created.description = "about \u2028 it"
    assert _json(builders.task_detail_from_model(created)) == _json(TaskDetailSerializer(created).data)
    plain = make_task(project, title="unassigned")
    plain.reporter = None
    plain.reporter_id = None
    assert _json(builders.task_detail_from_model(plain)) == _json(TaskDetailSerializer(plain).data)


def test_comment_builders_equal_comment_serializer(edge_tasks):
    """The comment page's builder and the write responses' builder write CommentSerializer's JSON."""
    from apps.projects import services
    from apps.projects.serializers import CommentSerializer

    project, admin = edge_tasks
    other = add_member(project)
    task = Task.objects.filter(project=project, archived_at__isnull=True).first()
    comment = services.comment_create(project=project, author=admin, task_id=task.pk, body=f"@{other.username} \u2028")
    gone = services.comment_create(project=project, author=other, task_id=task.pk, body="bye")
    services.comment_delete(project=project, actor=other, task_id=task.pk, comment_id=gone.pk)
    rows = list(selectors.comment_rows(task_id=task.pk).order_by("-id"))
    mentions = selectors.mentions_for_comments([row["id"] for row in rows])
    as_serializer_reads = [
        {
            **row,
            "author": None
            if row["author_id"] is None
            else {"id": row["author_id"], "username": row["author__username"]},
            "mentions": mentions[row["id"]],
        }
        for row in reversed(rows)
    ]
    assert _json(builders.comment_items(rows, mentions)) == _json(
        CommentSerializer(as_serializer_reads, many=True).data
    )
    comment.mentioned = [other]
    expected = CommentSerializer({**as_serializer_reads[0], "mentions": [{"id": other.pk, "username": other.username}]})
    assert _json(builders.comment_from_model(comment, author=admin)) == _json(expected.data)


def test_checklist_builder_equals_checklist_item_serializer(edge_tasks):
    from apps.projects import services
    from apps.projects.serializers import ChecklistItemSerializer

    project, admin = edge_tasks
    task = Task.objects.filter(project=project, archived_at__isnull=True).first()
    services.checklist_item_create(project=project, actor=admin, task_id=task.pk, text="open \u2028")
    services.checklist_item_create(project=project, actor=admin, task_id=task.pk, text="done", done=True)
    rows = list(selectors.checklist_rows(task_id=task.pk))
    assert _json(builders.checklist_items(rows)) == _json(ChecklistItemSerializer(rows, many=True).data)
