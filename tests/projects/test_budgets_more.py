"""Query budgets of the endpoints not pinned elsewhere: the small lists at 1 and 50 rows,
and the writes whose cost must not grow with the project."""

import pytest

from apps.projects.models import ProjectMember, TaskStatus
from tests.accounts.factories import UserFactory
from tests.projects.budget import statements
from tests.projects.factories import add_member, bulk_tasks, make_task, make_team, status_of
from tests.querybudget import assert_query_budget, page_size

pytestmark = pytest.mark.django_db


def test_members_list_budget(client_for):
    team = make_team()
    ProjectMember.objects.filter(project=team.project).exclude(user=team.viewer).delete()
    client = client_for(team.viewer)
    url = f"/api/projects/{team.project.pk}/members/?limit=200"
    # auth token; project with role; count; page (users joined)
    assert_query_budget(
        request=lambda: client.get(url),
        add_rows=lambda n: [add_member(team.project, UserFactory()) for _ in range(n)],
        budget=4,
        expect_items=lambda response: page_size(response) - 1,  # the viewer's own membership
    )


def test_statuses_list_budget(client_for):
    team = make_team()
    TaskStatus.objects.filter(project=team.project).exclude(category="todo").delete()
    client = client_for(team.viewer)
    url = f"/api/projects/{team.project.pk}/statuses/?limit=200"

    def add_columns(n):
        top = TaskStatus.objects.filter(project=team.project).count()
        TaskStatus.objects.bulk_create(
            [TaskStatus(project=team.project, name=f"Col {top + i}", category="active", rank=top + i) for i in range(n)]
        )

    # auth token; project with role; count; page
    assert_query_budget(
        request=lambda: client.get(url),
        add_rows=add_columns,
        budget=4,
        expect_items=lambda response: page_size(response) - 1,  # the todo column kept above
    )


def _patch_and_move_statements(client_for, existing: int) -> tuple[int, int]:
    team = make_team()
    task = make_task(team.project, assignee=team.editor)
    bulk_tasks(team.project, existing - 1, assignee=team.editor, only_todo=True)
    client = client_for(team.editor)
    base = f"/api/projects/{team.project.pk}/tasks/{task.pk}/"
    body = {"title": "renamed", "row_version": task.row_version}
    patch_sql, patched = statements(lambda: client.patch(base, body))
    assert patched.status_code == 200, patched.json()
    target = {"status_id": status_of(team.project, "active").pk}
    move_sql, moved = statements(lambda: client.post(base + "move/", target))
    assert moved.status_code == 200, moved.json()
    return len(patch_sql), len(move_sql)


@pytest.mark.postgres  # bulk_tasks inserts with generate_series
def test_patch_and_move_cost_the_same_at_1_and_50_tasks(client_for):
    counts = {existing: _patch_and_move_statements(client_for, existing) for existing in (1, 50)}
    # PATCH: token, project with role, task locked, assignee check, UPDATE (5);
    # move across columns: also the target column's ranks, the live-column EXISTS checks for
    # the derived status, all fixed in number (9)
    assert counts[1] == counts[50] == (5, 9), counts


def test_member_add_budget(client_for):
    team = make_team()
    client = client_for(team.admin)
    for _ in range(3):
        add_member(team.project, UserFactory())
    newcomer = UserFactory()
    sql, response = statements(
        lambda: client.post(f"/api/projects/{team.project.pk}/members/", {"user_id": newcomer.pk, "role": "viewer"})
    )
    assert response.status_code == 201, response.json()
    # auth token; project with role; the new member's user; INSERT
    assert len(sql) == 4, "\n".join(sql)
