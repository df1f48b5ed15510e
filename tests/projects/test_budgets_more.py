"""Query budgets of the endpoints not pinned elsewhere: the small lists at 1 and 50 rows,
and the writes whose cost must not grow with the project."""

import pytest

from apps.projects import services
from apps.projects.models import ProjectMember, TaskStatus
from tests.accounts.factories import UserFactory
from tests.projects.factories import add_member, bulk_tasks, make_task, make_team, status_of
from tests.querybudget import assert_queries, assert_query_budget, declared, page_size, statements

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
        budget=declared("GET", url),
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
        budget=declared("GET", url),
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
    # PATCH of the title: token, project with role, project lock, task locked, UPDATE (the
    # fewest a PATCH costs); move across columns, the costliest move: also the target column,
    # its neighbour ranks, the live-column EXISTS checks for the derived status
    patch, move = declared("PATCH", "/api/projects/1/tasks/1/"), declared("POST", "/api/projects/1/tasks/1/move/")
    assert counts[1] == counts[50] == (patch.fewest, move.queries), counts


def test_member_add_budget(client_for):
    team = make_team()
    client = client_for(team.admin)
    for _ in range(3):
        add_member(team.project, UserFactory())
    newcomer = UserFactory()
    sql, response = statements(
        lambda: client.post(
            f"/api/projects/{team.project.pk}/members/", {"username": newcomer.username, "role": "viewer"}
        )
    )
    assert response.status_code == 201, response.json()
    # auth token; project with role; the new member's user; INSERT
    assert len(sql) == declared("POST", f"/api/projects/{team.project.pk}/members/").queries, "\n".join(sql)


def test_server_timing_counts_a_write_by_the_budget_rule(client_for):
    """The service's atomic block sends SAVEPOINT/RELEASE here (and nested ones do in production
    too); Server-Timing leaves transaction control out, as the budget tests do, so the header
    shows the declared figure."""
    team = make_team()
    client = client_for(team.admin)
    url = f"/api/projects/{team.project.pk}/members/"
    response = client.post(url, {"username": UserFactory().username, "role": "viewer"})
    assert response.status_code == 201, response.json()
    assert f'desc="{declared("POST", url).queries} queries"' in response["Server-Timing"]


def test_project_patch_and_delete(client_for):
    team = make_team()
    client = client_for(team.admin)
    url = f"/api/projects/{team.project.pk}/"
    budget = declared("PATCH", url)
    # token, project with role, UPDATE, counts (the cache is cold); the override's status and
    # author only when there is an override (test_override_and_archives.py)
    assert assert_queries(lambda: client.patch(url, {"name": "New"}), budget.queries - 1).status_code == 200
    # nothing differs: no UPDATE, and the counts come from the cache
    assert assert_queries(lambda: client.patch(url, {"name": "New"}), budget.fewest).status_code == 200
    # token, project with role, UPDATE archived_at
    assert assert_queries(lambda: client.delete(url), declared("DELETE", url).queries).status_code == 204


def test_member_patch_and_delete(client_for):
    team = make_team()
    other_admin = add_member(team.project, role=ProjectMember.Role.ADMIN)
    client = client_for(team.admin)
    base = f"/api/projects/{team.project.pk}/members/"
    editor_url, admin_url = f"{base}{team.editor.pk}/", f"{base}{other_admin.pk}/"
    patch, delete = declared("PATCH", editor_url), declared("DELETE", editor_url)
    # token, project with role, project lock, member, UPDATE
    assert assert_queries(lambda: client.patch(editor_url, {"role": "viewer"}), patch.fewest).status_code == 200
    # an admin steps down: also the count of the admins left
    assert assert_queries(lambda: client.patch(admin_url, {"role": "editor"}), patch.queries).status_code == 200
    # token, project with role, project lock, member, DELETE
    assert assert_queries(lambda: client.delete(editor_url), delete.fewest).status_code == 204
    add_member(team.project, UserFactory(), role=ProjectMember.Role.ADMIN)
    leaving = client_for(team.admin)
    own_url = f"{base}{team.admin.pk}/"
    # an admin leaves: also the count of the admins left
    assert assert_queries(lambda: leaving.delete(own_url), delete.queries).status_code == 204


def test_task_patch_with_a_status_change_and_delete(client_for):
    team = make_team()
    task = make_task(team.project, assignee=team.editor)
    client = client_for(team.editor)
    url = f"/api/projects/{team.project.pk}/tasks/{task.pk}/"
    body = {"status_id": status_of(team.project, "active").pk, "row_version": task.row_version}
    # token, project with role, project lock, task locked, target status, column tail, UPDATE,
    # live columns for the derived status, the derived status UPDATE
    assert assert_queries(lambda: client.patch(url, body), declared("PATCH", url).queries).status_code == 200
    services.comment_create(project=team.project, author=team.editor, task_id=task.pk, body=f"@{team.admin.username}")
    # token, project with role, project lock, task locked, its comments, their mentions' DELETE,
    # their DELETE, its checklist's DELETE, subtasks unparented, DELETE, live columns, derived status
    assert assert_queries(lambda: client.delete(url), declared("DELETE", url).queries).status_code == 204


def test_move_within_its_column(client_for):
    team = make_team()
    first, second = make_task(team.project), make_task(team.project)
    client = client_for(team.editor)
    url = f"/api/projects/{team.project.pk}/tasks/{second.pk}/move/"
    # token, project with role, project lock, task locked, anchor, neighbour rank, UPDATE
    response = assert_queries(lambda: client.post(url, {"before_id": first.pk}), declared("POST", url).fewest)
    assert response.status_code == 200
