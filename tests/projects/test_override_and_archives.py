"""Status override (derived / override / effective, expiry without a write, the sweep) and archives."""

import datetime

import pytest
from django.utils import timezone

from apps.projects import services
from apps.projects.models import Project, Task
from tests.projects.factories import bulk_tasks, make_task, make_team, status_of
from tests.querybudget import assert_queries, assert_query_budget, declared, page_size

pytestmark = pytest.mark.django_db


def override_url(project) -> str:
    return f"/api/projects/{project.pk}/override-status/"


def future(**kwargs) -> str:
    return (timezone.now() + datetime.timedelta(**kwargs)).isoformat()


def test_override_sets_effective_status_and_clears(client_for, django_capture_on_commit_callbacks):
    team = make_team()
    issue = status_of(team.project, "issue")
    client = client_for(team.admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.put(override_url(team.project), {"status_id": issue.pk, "reason": "vendor outage"})
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["derived_status"] == "Todo"
    assert data["effective_status"]["id"] == issue.pk
    assert data["override"]["reason"] == "vendor outage" and data["override"]["active"] is True
    assert data["override"]["by"]["id"] == team.admin.pk and data["override"]["expires_at"] is None
    assert callbacks, "project.status_changed after commit"
    detail = client_for(team.viewer).get(f"/api/projects/{team.project.pk}/").json()
    assert detail["effective_status"]["name"] == "Issue" and detail["override"]["status"]["id"] == issue.pk
    assert client.delete(override_url(team.project)).status_code == 204
    detail = client.get(f"/api/projects/{team.project.pk}/").json()
    assert detail["override"] is None and detail["effective_status"]["name"] == "Todo"
    assert client.delete(override_url(team.project)).status_code == 204  # none: nothing changes


def test_an_expired_override_stops_applying_without_a_write_and_the_sweep_clears_it(client_for):
    team = make_team()
    issue = status_of(team.project, "issue")
    client = client_for(team.admin)
    body = {"status_id": issue.pk, "reason": "r", "expires_at": future(hours=1)}
    assert client.put(override_url(team.project), body).status_code == 200
    Project.objects.filter(pk=team.project.pk).update(
        override_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    detail = client.get(f"/api/projects/{team.project.pk}/").json()
    assert detail["override"]["active"] is False and detail["effective_status"]["name"] == "Todo"
    services.tasks_archive_done()
    assert Project.objects.get(pk=team.project.pk).override_status_id is None


def test_the_sweep_announces_the_expiry(django_capture_on_commit_callbacks):
    from apps.projects.services import overrides_clear_expired

    team = make_team()
    issue = status_of(team.project, "issue")
    services.project_override_set(
        project=team.project,
        actor=team.admin,
        status_id=issue.pk,
        reason="r",
        expires_at=timezone.now() + datetime.timedelta(minutes=1),
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert overrides_clear_expired(now=timezone.now() + datetime.timedelta(minutes=2)) == 1
    assert callbacks, "project.status_changed for the expiry"
    assert overrides_clear_expired(now=timezone.now() + datetime.timedelta(minutes=3)) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "r"}, "status_id"),
        ({"status_id": 1, "reason": ""}, "reason"),
        ({"status_id": "x", "reason": "r"}, "status_id"),
    ],
)
def test_bad_override_input_is_400(client_for, body, field):
    team = make_team()
    response = client_for(team.admin).put(override_url(team.project), body, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()


def test_override_with_another_projects_status_or_a_past_expiry_writes_nothing(client_for):
    team, other = make_team(), make_team()
    client = client_for(team.admin)
    foreign = status_of(other.project, "issue")
    response = client.put(override_url(team.project), {"status_id": foreign.pk, "reason": "r"})
    assert (
        response.status_code == 400 and response.json()["code"] == "unknown_status" and "status_id" in response.json()
    )
    own = status_of(team.project, "issue")
    past = (timezone.now() - datetime.timedelta(minutes=1)).isoformat()
    response = client.put(override_url(team.project), {"status_id": own.pk, "reason": "r", "expires_at": past})
    assert response.status_code == 400 and "expires_at" in response.json()
    assert Project.objects.get(pk=team.project.pk).override_status_id is None


def test_only_admins_override(client_for):
    team = make_team()
    issue = status_of(team.project, "issue")
    for user in (team.editor, team.viewer):
        response = client_for(user).put(override_url(team.project), {"status_id": issue.pk, "reason": "r"})
        assert response.status_code == 403
        assert client_for(user).delete(override_url(team.project)).status_code == 403


def test_archived_tasks_newest_archived_first_by_cursor_and_unarchive(client_for):
    team = make_team()
    tasks = [make_task(team.project, title=f"t{i}") for i in range(4)]
    base = timezone.now()
    for i, task in enumerate(tasks):  # t0 archived last
        Task.objects.filter(pk=task.pk).update(archived_at=base - datetime.timedelta(minutes=i))
    Task.objects.filter(pk=tasks[3].pk).update(archived_at=base - datetime.timedelta(minutes=2))  # a tie with t2
    services.project_recount(project_id=team.project.pk)
    client = client_for(team.viewer)
    url = f"/api/projects/{team.project.pk}/tasks/archived/"
    first = client.get(url + "?limit=2").json()
    second = client.get(url + f"?limit=2&before={first['next_before']}").json()
    seen = [item["title"] for item in first["items"] + second["items"]]
    assert seen == ["t0", "t1", "t3", "t2"] and second["has_more"] is False
    editor = client_for(team.editor)
    response = editor.post(f"/api/projects/{team.project.pk}/tasks/{tasks[0].pk}/unarchive/")
    assert response.status_code == 200 and response.json()["archived_at"] is None
    assert client.get(f"/api/projects/{team.project.pk}/stats/").json()["total"] == 1
    again = editor.post(f"/api/projects/{team.project.pk}/tasks/{tasks[0].pk}/unarchive/")
    assert again.status_code == 409 and again.json()["code"] == "task_not_archived"
    assert client.post(f"/api/projects/{team.project.pk}/tasks/{tasks[1].pk}/unarchive/").status_code == 403


def test_project_unarchive(client_for):
    team = make_team()
    client = client_for(team.admin)
    assert client.post(f"/api/projects/{team.project.pk}/unarchive/").status_code == 409
    services.project_archive(project=team.project)
    assert client.get(f"/api/projects/{team.project.pk}/").status_code == 404
    assert client_for(team.editor).post(f"/api/projects/{team.project.pk}/unarchive/").status_code == 403
    assert client_for(team.stranger).post(f"/api/projects/{team.project.pk}/unarchive/").status_code == 404
    assert client.post(f"/api/projects/{team.project.pk}/unarchive/").status_code == 204
    assert client.get(f"/api/projects/{team.project.pk}/").status_code == 200


# --- budgets ------------------------------------------------------------------------------------


@pytest.mark.postgres  # bulk_tasks
def test_archived_list_budget(client_for):
    team = make_team()
    client = client_for(team.viewer)
    url = f"/api/projects/{team.project.pk}/tasks/archived/"

    def add_rows(n):
        bulk_tasks(team.project, n)
        Task.objects.filter(project=team.project, archived_at__isnull=True).update(archived_at=timezone.now())

    # auth token; project with role; page
    assert_query_budget(
        request=lambda: client.get(url), add_rows=add_rows, budget=declared("GET", url), expect_items=page_size
    )
    cursor = client.get(url + "?limit=10").json()["next_before"]
    assert assert_queries(lambda: client.get(url + f"?before={cursor}"), declared("GET", url).queries).json()["items"]


@pytest.mark.postgres  # bulk_tasks
@pytest.mark.parametrize("existing", [1, 50])
def test_override_unarchive_and_detail_budgets(client_for, existing):
    team = make_team()
    bulk_tasks(team.project, existing, only_todo=True)
    client = client_for(team.admin)
    url = override_url(team.project)
    issue = status_of(team.project, "issue")
    put = declared("PUT", url)
    # token, project, lock, statuses, UPDATE, counts (cold cache)
    assert (
        assert_queries(lambda: client.put(url, {"status_id": issue.pk, "reason": "r"}), put.queries).status_code == 200
    )
    detail_url = f"/api/projects/{team.project.pk}/"
    # token, project, the override's status and author (counts cached)
    assert assert_queries(lambda: client.get(detail_url), declared("GET", detail_url).queries - 1).status_code == 200
    delete = declared("DELETE", url)
    # token, project, lock, statuses, UPDATE
    assert assert_queries(lambda: client.delete(url), delete.queries).status_code == 204
    assert assert_queries(lambda: client.delete(url), delete.fewest).status_code == 204
    task = Task.objects.filter(project=team.project).first()
    Task.objects.filter(pk=task.pk).update(archived_at=timezone.now())
    unarchive = f"/api/projects/{team.project.pk}/tasks/{task.pk}/unarchive/"
    # token, project, lock, task locked, tail, UPDATE, live columns, project UPDATE
    assert assert_queries(lambda: client.post(unarchive), declared("POST", unarchive).queries).status_code == 200
    services.project_archive(project=team.project)
    project_unarchive = f"/api/projects/{team.project.pk}/unarchive/"
    # token, project (archived too) with role, UPDATE
    assert (
        assert_queries(lambda: client.post(project_unarchive), declared("POST", project_unarchive).queries).status_code
        == 204
    )
