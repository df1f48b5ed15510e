import datetime

import pytest
from django.db import connection

from apps.projects.models import Task
from tests.projects.factories import add_member, bulk_tasks, make_project, make_task, make_team, status_of
from tests.querybudget import assert_queries, assert_query_budget, declared, page_size, statements

pytestmark = pytest.mark.django_db


def tasks_url(project, suffix=""):
    return f"/api/projects/{project.pk}/tasks/{suffix}"


def test_create_task_takes_the_next_key_and_lands_at_the_bottom_of_todo(client_for):
    team = make_team()
    client = client_for(team.editor)
    first = client.post(tasks_url(team.project), {"title": "One"}).json()
    second = client.post(tasks_url(team.project), {"title": "Two", "description": "long text"}).json()
    assert first["key"] == f"{team.project.key}-1"
    assert second["key"] == f"{team.project.key}-2"
    assert first["status"]["category"] == "todo"
    assert second["rank"] > first["rank"]
    assert second["reporter"] == {"id": team.editor.pk, "username": team.editor.username}
    assert second["description"] == "long text"
    assert second["subtask_count"] == 0 and second["row_version"] == 1


def test_create_task_with_every_field(client_for):
    team = make_team()
    parent = make_task(team.project)
    active = status_of(team.project, "active")
    body = {
        "title": "Full",
        "status_id": active.pk,
        "task_type": "bug",
        "priority": "high",
        "story_points": 5,
        "due_date": "2030-01-02",
        "assignee_id": team.editor.pk,
        "parent_id": parent.pk,
    }
    response = client_for(team.admin).post(tasks_url(team.project), body)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"]["id"] == active.pk
    assert data["assignee"]["id"] == team.editor.pk
    assert data["parent_id"] == parent.pk
    task = Task.objects.get(pk=data["id"])
    assert (task.priority, task.task_type, task.story_points) == ("high", "bug", 5)
    assert task.due_date == datetime.date(2030, 1, 2)
    detail = client_for(team.viewer).get(tasks_url(team.project, f"{parent.pk}/")).json()
    assert detail["subtask_count"] == 1


@pytest.mark.parametrize(
    "body,code",
    [
        ({"assignee_id": "stranger"}, "assignee_not_member"),
        ({"assignee_id": "viewer"}, "assignee_is_viewer"),
        ({"status_id": "active"}, "unassigned_task_not_todo"),
        ({"status_id": "other"}, "unknown_status"),
        ({"parent_id": "other_task"}, "unknown_parent"),
    ],
)
def test_create_task_rules_are_400_and_write_nothing(client_for, body, code):
    team = make_team()
    other = make_project()
    other_task = make_task(other)
    values = {
        "stranger": team.stranger.pk,
        "viewer": team.viewer.pk,
        "active": status_of(team.project, "active").pk,
        "other": status_of(other, "todo").pk,
        "other_task": other_task.pk,
    }
    payload = {"title": "x", **{field: values[name] for field, name in body.items()}}
    response = client_for(team.editor).post(tasks_url(team.project), payload)
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code
    assert not Task.objects.filter(project=team.project).exists()
    team.project.refresh_from_db()
    assert team.project.next_task_number == 1  # the key taken was rolled back with the rest


def test_done_task_gets_completed_at_and_may_only_change_status(client_for):
    team = make_team()
    client = client_for(team.editor)
    done = status_of(team.project, "done")
    created = client.post(tasks_url(team.project), {"title": "x", "status_id": done.pk, "assignee_id": team.editor.pk})
    task = created.json()
    assert task["completed_at"] is not None
    url = tasks_url(team.project, f"{task['id']}/")
    refused = client.patch(url, {"title": "changed", "row_version": task["row_version"]})
    assert refused.status_code == 409 and refused.json()["code"] == "task_done"
    todo = status_of(team.project, "todo")
    reopened = client.patch(url, {"status_id": todo.pk, "row_version": task["row_version"]})
    assert reopened.status_code == 200, reopened.json()
    assert reopened.json()["completed_at"] is None
    assert reopened.json()["row_version"] == task["row_version"] + 1
    assert client.patch(url, {"title": "now fine", "row_version": task["row_version"] + 1}).status_code == 200


def test_stale_row_version_is_409_with_the_current_task(client_for):
    team = make_team()
    task = make_task(team.project)
    url = tasks_url(team.project, f"{task.pk}/")
    client = client_for(team.editor)
    assert client.patch(url, {"title": "first", "row_version": 1}).status_code == 200
    stale = client.patch(url, {"title": "second", "row_version": 1})
    assert stale.status_code == 409
    body = stale.json()
    assert body["code"] == "stale_row_version"
    assert body["task"]["title"] == "first" and body["task"]["row_version"] == 2
    assert Task.objects.get(pk=task.pk).title == "first"


def test_patch_rules(client_for):
    team = make_team()
    task = make_task(team.project, assignee=team.editor)
    url = tasks_url(team.project, f"{task.pk}/")
    client = client_for(team.editor)
    active = status_of(team.project, "active")
    moved = client.patch(url, {"status_id": active.pk, "row_version": 1}).json()
    assert moved["status"]["id"] == active.pk
    unassign = client.patch(url, {"assignee_id": None, "row_version": 2})
    assert unassign.status_code == 400 and unassign.json()["code"] == "unassigned_task_not_todo"
    viewer = client.patch(url, {"assignee_id": team.viewer.pk, "row_version": 2})
    assert viewer.status_code == 400 and viewer.json()["code"] == "assignee_is_viewer"
    other = make_project()
    foreign = client.patch(url, {"status_id": status_of(other, "todo").pk, "row_version": 2})
    assert foreign.status_code == 400 and foreign.json()["code"] == "unknown_status"
    self_parent = client.patch(url, {"parent_id": task.pk, "row_version": 2})
    assert self_parent.status_code == 400 and self_parent.json()["code"] == "invalid_parent"
    assert client.patch(url, {"row_version": 2}).json()["row_version"] == 2  # nothing changed, nothing written


def test_archive_unarchive_and_archived_tasks_are_frozen(client_for):
    team = make_team()
    task = make_task(team.project)
    url = tasks_url(team.project, f"{task.pk}/")
    client = client_for(team.editor)
    archived = client.patch(url, {"archived": True, "row_version": 1}).json()
    assert archived["archived_at"] is not None
    assert client.get(tasks_url(team.project)).json()["total"] == 0
    assert client.get(tasks_url(team.project) + "?archived=true").json()["total"] == 1
    assert client.get(tasks_url(team.project) + "?archived=all").json()["total"] == 1
    frozen = client.patch(url, {"title": "x", "row_version": 2})
    assert frozen.status_code == 409 and frozen.json()["code"] == "task_archived"
    assert client.post(url + "move/", {}).status_code == 409
    assert client.patch(url, {"archived": False, "row_version": 2}).json()["archived_at"] is None


def test_delete_task(client_for):
    team = make_team()
    parent = make_task(team.project)
    child = make_task(team.project, parent_id=parent.pk)
    response = client_for(team.editor).delete(tasks_url(team.project, f"{parent.pk}/"))
    assert response.status_code == 204
    assert not Task.objects.filter(pk=parent.pk).exists()
    assert Task.objects.get(pk=child.pk).parent_id is None


def test_list_filters(client_for):
    team = make_team()
    a = make_task(team.project, title="Fix the login", assignee=team.editor, priority="high")
    b = make_task(team.project, title="Write docs", category="active", assignee=team.admin)
    c = make_task(team.project, title="Unassigned thing")
    client = client_for(team.viewer)

    def ids(query):
        response = client.get(tasks_url(team.project) + query)
        assert response.status_code == 200, response.json()
        return {item["id"] for item in response.json()["items"]}

    assert ids("") == {a.pk, b.pk, c.pk}
    assert ids(f"?status={b.status_id}") == {b.pk}
    assert ids(f"?assignee={team.editor.pk}") == {a.pk}
    assert ids("?assignee=none") == {c.pk}
    assert ids("?priority=high") == {a.pk}
    assert ids("?q=LOGIN") == {a.pk}
    assert ids(f"?q={b.key}") == {b.pk}
    assert client.get(tasks_url(team.project) + "?priority=urgent").status_code == 400
    assert client.get(tasks_url(team.project) + "?archived=maybe").status_code == 400
    page = client.get(tasks_url(team.project) + "?limit=2&offset=2").json()
    assert page["total"] == 3 and len(page["items"]) == 1
    past_end = client.get(tasks_url(team.project) + "?offset=10").json()
    assert past_end == {"items": [], "total": 3, "limit": 50, "offset": 10}
    assert "description" not in page["items"][0]


def count_subplan(sql: str) -> str:
    """The plan line of the lookup's COUNT subquery, as PostgreSQL executed it."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql)
        plan = [row[0] for row in cursor.fetchall()]
    return next(line for line in plan if "Aggregate" in line)  # the COUNT's GROUP BY node


@pytest.mark.postgres
def test_default_task_list_takes_its_total_from_live_cached_counts(client_for):
    team = make_team()
    client = client_for(team.viewer)
    for _ in range(3):
        make_task(team.project)
    url = tasks_url(team.project)
    sql, cold = statements(lambda: client.get(url))
    assert cold.json()["total"] == 3 and len(sql) == declared("GET", url).queries
    assert "COUNT(" in sql[1]  # no cached counts yet: the project lookup counts
    client.get(f"/api/projects/{team.project.pk}/stats/")  # warms the counts
    sql, warm = statements(lambda: client.get(url))
    assert warm.json()["total"] == 3 and len(sql) == declared("GET", url).queries
    # the project lookup no longer counts the project's tasks: the COUNT sits behind the
    # row's counts_version, which matches the cached one, and PostgreSQL never runs it
    assert "(never executed)" in count_subplan(sql[1])
    make_task(team.project)  # bumps the row's counts_version in its own transaction
    sql, after = statements(lambda: client.get(url))
    assert after.json()["total"] == 4
    assert "(never executed)" not in count_subplan(sql[1])  # the cached total is stale: counted
    sql, filtered = statements(lambda: client.get(url + "?priority=high"))
    assert filtered.json()["total"] == 0 and "COUNT(" in sql[1]  # a filtered list always counts


@pytest.mark.postgres  # bulk_tasks inserts with generate_series
def test_task_list_query_budget(client_for):
    team = make_team()
    client = client_for(team.viewer)
    # auth token; project with role and the filtered COUNT; page (status, assignee, reporter joined,
    # subtask count as a correlated subquery)
    assert_query_budget(
        request=lambda: client.get(tasks_url(team.project) + "?archived=false"),
        add_rows=lambda n: bulk_tasks(team.project, n, assignee=team.editor),
        budget=declared("GET", tasks_url(team.project)),
        expect_items=page_size,
    )


@pytest.mark.postgres  # bulk_tasks inserts with generate_series
def test_task_list_query_budget_with_cached_total(client_for):
    team = make_team()
    client = client_for(team.viewer)

    def add_rows(n):
        bulk_tasks(team.project, n, assignee=team.editor)
        client.get(f"/api/projects/{team.project.pk}/stats/")

    # auth token; project with role (the total comes from the cached counts); page
    assert_query_budget(
        request=lambda: client.get(tasks_url(team.project)),
        add_rows=add_rows,
        budget=declared("GET", tasks_url(team.project)),
        expect_items=page_size,
    )


@pytest.mark.postgres  # bulk_tasks inserts with generate_series
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("existing", [1, 50])
def test_create_task_query_budget(client_for, existing):
    team = make_team()
    parent = make_task(team.project, assignee=team.editor)
    bulk_tasks(team.project, existing - 1, assignee=team.editor, only_todo=True)
    client = client_for(team.editor)
    body = {"title": "x", "assignee_id": team.editor.pk, "parent_id": parent.pk}
    sql, response = statements(lambda: client.post(tasks_url(team.project), body))
    assert response.status_code == 201, response.json()
    # auth token; project with role; UPDATE next_task_number RETURNING (the key and the project lock);
    # the board (columns with counts and last ranks, parent check, the assignee's membership); INSERT
    budget = declared("POST", tasks_url(team.project))
    assert len(sql) == budget.queries - 1, "\n".join(sql)
    # a task that changes the derived status costs one more UPDATE: the costliest create
    active = status_of(team.project, "issue")
    body["status_id"] = active.pk
    sql, response = statements(lambda: client.post(tasks_url(team.project), body))
    assert response.status_code == 201, response.json()
    assert len(sql) == budget.queries, "\n".join(sql)
    assert sql[-1].startswith("UPDATE")


def test_task_detail_budget(client_for):
    team = make_team()
    task = make_task(team.project)
    client = client_for(team.viewer)
    # auth token, project with role, task joined with status, assignee and reporter
    url = tasks_url(team.project, f"{task.pk}/")
    assert assert_queries(lambda: client.get(url), declared("GET", url).queries).status_code == 200


def test_my_tasks_cursor_pagination(client_for):
    team = make_team()
    mine = [make_task(team.project, assignee=team.editor, title=f"t{i}") for i in range(5)]
    make_task(team.project, assignee=team.admin)
    done = make_task(team.project, assignee=team.editor, category="done")
    other = make_project(admin=team.editor)
    elsewhere = make_task(other, assignee=team.editor)
    client = client_for(team.editor)
    first = client.get("/api/projects/my-tasks/?limit=4").json()
    assert first["has_more"] is True
    second = client.get(f"/api/projects/my-tasks/?limit=4&before={first['next_before']}").json()
    assert second["has_more"] is False
    seen = [item["id"] for item in first["items"] + second["items"]]
    assert seen == sorted([t.pk for t in mine] + [elsewhere.pk], reverse=True)
    assert done.pk not in seen
    assert client_for(team.stranger).get("/api/projects/my-tasks/").json()["items"] == []


def test_my_tasks_budget(client_for):
    team = make_team()
    for _ in range(3):
        make_task(team.project, assignee=team.editor)
    client = client_for(team.editor)
    # auth token, page
    url = "/api/projects/my-tasks/"
    assert len(assert_queries(lambda: client.get(url), declared("GET", url).queries).json()["items"]) == 3


def test_member_removed_loses_access(client_for):
    team = make_team()
    member = add_member(team.project)
    assert client_for(member).get(tasks_url(team.project)).status_code == 200
    client_for(team.admin).delete(f"/api/projects/{team.project.pk}/members/{member.pk}/")
    assert client_for(member).get(tasks_url(team.project)).status_code == 404
