import pytest

from apps.projects.models import Application, ApplicationMember, Project, ProjectMember, TaskStatus
from tests.accounts.factories import UserFactory
from tests.projects.factories import add_member, make_project, make_task, make_team
from tests.querybudget import assert_queries, assert_query_budget, declared, page_size, statements

pytestmark = pytest.mark.django_db


def test_create_project_makes_statuses_admin_membership_and_answers_todo(client_for):
    user = UserFactory()
    response = client_for(user).post("/api/projects/", {"key": "ACME", "name": "Acme", "description": "d"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["key"] == "ACME"
    assert body["derived_status"] == "Todo"
    assert body["my_role"] == "admin"
    assert body["counts"] == {"total": 0, "todo": 0, "active": 0, "review": 0, "issue": 0, "done": 0}
    project = Project.objects.get(pk=body["id"])
    names = list(TaskStatus.objects.filter(project=project).order_by("rank").values_list("name", "category"))
    assert names == [
        ("Todo", "todo"),
        ("In Progress", "active"),
        ("In Review", "review"),
        ("Issue", "issue"),
        ("Done", "done"),
    ]
    assert project.derived_status.name == "Todo" == body["derived_status"]
    assert body["derived_status_id"] == project.derived_status_id
    assert ProjectMember.objects.get(project=project).role == "admin"


@pytest.mark.django_db(transaction=True)
def test_create_project_query_budget(client_for):
    client = client_for(UserFactory())
    sql, response = statements(lambda: client.post("/api/projects/", {"key": "BUDGET", "name": "x"}))
    assert response.status_code == 201
    # auth token; the caller's default workspace (none yet: INSERT workspace, INSERT owner);
    # INSERT project; INSERT 5 statuses (one statement); UPDATE derived status; INSERT membership
    budget = declared("POST", "/api/projects/")
    assert len(sql) == budget.queries, sql
    # the second project goes to the same workspace: found, not created
    sql, response = statements(lambda: client.post("/api/projects/", {"key": "BUDGETB", "name": "x"}))
    assert response.status_code == 201
    assert len(sql) == budget.fewest, sql
    # nothing is read back: the only read is the workspace lookup
    assert [statement for statement in sql[1:] if statement.startswith("SELECT")] == [sql[1]]


@pytest.mark.parametrize("key", ["A", "abc", "TOOLONGKEYXX", "AB1", "ÄB", "", "A B"])
def test_bad_project_keys_are_400(client_for, key):
    response = client_for(UserFactory()).post("/api/projects/", {"key": key, "name": "x"})
    assert response.status_code == 400
    assert "key" in response.json()


def test_key_collision_is_409_and_leaves_nothing(client_for):
    make_project(key="TAKEN")
    counts = (Project, TaskStatus, ProjectMember, Application, ApplicationMember)
    before = [model.objects.count() for model in counts]
    response = client_for(UserFactory()).post("/api/projects/", {"key": "TAKEN", "name": "x"})
    assert response.status_code == 409
    assert response.json()["code"] == "project_key_taken"
    # the default workspace the new user would have got is rolled back with the project
    assert [model.objects.count() for model in counts] == before


def test_list_shows_only_my_projects_with_counts(client_for):
    team = make_team()
    make_task(team.project, category="active")
    make_task(team.project, category="todo")
    other = make_project()
    response = client_for(team.editor).get("/api/projects/")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1
    [item] = body["items"]
    assert item["id"] == team.project.pk
    assert item["counts"]["total"] == 2 and item["counts"]["active"] == 1
    assert item["derived_status"] == "In Progress"
    assert item["my_role"] == "editor"
    assert "description" not in item
    stranger_view = client_for(team.stranger).get("/api/projects/").json()
    assert stranger_view["total"] == 0
    assert other.pk not in [p["id"] for p in body["items"]]


def test_project_list_budget_cold_cache(client_for):
    user = UserFactory()
    client = client_for(user)

    def add_projects(n):
        for _ in range(n):
            project = make_project(admin=user)
            make_task(project)

    from django.core.cache import cache

    def request():
        cache.clear()  # every project's counts miss: the grouped query must cover the whole page
        return client.get("/api/projects/")

    # auth token, count, page (role subquery, derived status joined), one grouped count query for the page
    budget = declared("GET", "/api/projects/").queries
    assert_query_budget(request=request, add_rows=add_projects, budget=budget, expect_items=page_size)


def test_list_shows_derived_override_and_effective_status_like_the_detail(client_for):
    team = make_team()
    issue = team.project.statuses.get(category="issue")
    admin = client_for(team.admin)
    body = {"status_id": issue.pk, "reason": "outage"}
    assert admin.put(f"/api/projects/{team.project.pk}/override-status/", body).status_code == 200
    [item] = client_for(team.viewer).get("/api/projects/").json()["items"]
    detail = client_for(team.viewer).get(f"/api/projects/{team.project.pk}/").json()
    assert item["derived_status"] == "Todo"
    assert item["effective_status"] == {"id": issue.pk, "name": "Issue", "category": "issue"}
    assert item["override"]["reason"] == "outage" and item["override"]["by"]["id"] == team.admin.pk
    for field in ("derived_status", "derived_status_id", "override", "effective_status", "counts", "my_role"):
        assert item[field] == detail[field], field
    assert admin.delete(f"/api/projects/{team.project.pk}/override-status/").status_code == 204
    [item] = client_for(team.viewer).get("/api/projects/").json()["items"]
    assert item["override"] is None and item["effective_status"]["name"] == "Todo"


def test_project_list_budget_with_overrides(client_for):
    """Overrides (their status and author joined into the page) add no query."""
    user = UserFactory()
    client = client_for(user)

    def add_projects(n):
        for _ in range(n):
            project = make_project(admin=user)
            Project.objects.filter(pk=project.pk).update(
                override_status=project.statuses.get(category="done"), override_reason="r", override_by=user
            )
        client.get("/api/projects/")  # warm the counts

    budget = declared("GET", "/api/projects/").fewest
    assert_query_budget(
        request=lambda: client.get("/api/projects/"), add_rows=add_projects, budget=budget, expect_items=page_size
    )


def test_project_list_budget_warm_cache(client_for):
    user = UserFactory()
    client = client_for(user)

    def add_projects(n):
        for _ in range(n):
            make_project(admin=user)
        client.get("/api/projects/")  # warm the counts

    # auth token, count, page; the counts come from one cache get_many
    budget = declared("GET", "/api/projects/").fewest
    assert_query_budget(
        request=lambda: client.get("/api/projects/"), add_rows=add_projects, budget=budget, expect_items=page_size
    )


def test_project_detail_patch_and_archive(client_for):
    team = make_team()
    url = f"/api/projects/{team.project.pk}/"
    assert client_for(team.viewer).get(url).json()["description"] == ""
    assert client_for(team.editor).patch(url, {"name": "New"}).status_code == 403
    response = client_for(team.admin).patch(url, {"name": "New", "description": "about"})
    assert response.status_code == 200
    assert response.json()["name"] == "New"
    assert client_for(team.editor).delete(url).status_code == 403
    assert client_for(team.admin).delete(url).status_code == 204
    assert Project.objects.get(pk=team.project.pk).archived_at is not None
    assert client_for(team.admin).get(url).status_code == 404
    assert client_for(team.admin).get("/api/projects/").json()["total"] == 0


def test_stats_counts_and_derived_status(client_for, django_capture_on_commit_callbacks):
    team = make_team()
    client = client_for(team.viewer)
    url = f"/api/projects/{team.project.pk}/stats/"
    empty = client.get(url).json()
    assert empty == {"total": 0, "todo": 0, "active": 0, "review": 0, "issue": 0, "done": 0, "derived_status": "Todo"}
    with django_capture_on_commit_callbacks(execute=True):  # the bump runs on commit
        make_task(team.project, category="done")
    assert client.get(url).json() == {**empty, "total": 1, "done": 1, "derived_status": "Done"}
    with django_capture_on_commit_callbacks(execute=True):
        make_task(team.project, category="review", assignee=team.editor)
    stats = client.get(url).json()
    assert (stats["total"], stats["review"], stats["derived_status"]) == (2, 1, "In Progress")


def test_stats_budget(client_for):
    team = make_team()
    client = client_for(team.viewer)
    url = f"/api/projects/{team.project.pk}/stats/"
    # auth token, project with role, conditional-aggregate counts (cache miss)
    assert assert_queries(lambda: client.get(url), declared("GET", url).queries).status_code == 200
    # auth token, project with role (counts from the cache)
    assert assert_queries(lambda: client.get(url), declared("GET", url).fewest).status_code == 200


def test_statuses_list(client_for):
    team = make_team()
    response = client_for(team.viewer).get(f"/api/projects/{team.project.pk}/statuses/")
    assert response.status_code == 200
    assert [s["name"] for s in response.json()["items"]] == ["Todo", "In Progress", "In Review", "Issue", "Done"]


@pytest.mark.parametrize(
    "method,suffix",
    [
        ("get", ""),
        ("patch", ""),
        ("delete", ""),
        ("get", "stats/"),
        ("get", "statuses/"),
        ("get", "members/"),
        ("post", "members/"),
        ("patch", "members/{admin}/"),
        ("delete", "members/{admin}/"),
        ("get", "tasks/"),
        ("post", "tasks/"),
        ("get", "tasks/{task}/"),
        ("patch", "tasks/{task}/"),
        ("delete", "tasks/{task}/"),
        ("post", "tasks/{task}/move/"),
    ],
)
def test_stranger_gets_404_everywhere(client_for, method, suffix):
    team = make_team()
    task = make_task(team.project)
    url = f"/api/projects/{team.project.pk}/" + suffix.format(admin=team.admin.pk, task=task.pk)
    body = {"title": "x", "row_version": 1, "username": team.stranger.username, "role": "admin"}
    response = getattr(client_for(team.stranger), method)(url, body)
    assert response.status_code == 404, (url, response.json())


@pytest.mark.parametrize(
    "method,suffix,body",
    [
        ("patch", "", {"name": "x"}),
        ("delete", "", None),
        ("post", "members/", {"username": "anyone", "role": "editor"}),
        ("patch", "members/{admin}/", {"role": "viewer"}),
        ("delete", "members/{admin}/", None),
        ("post", "tasks/", {"title": "x"}),
        ("patch", "tasks/{task}/", {"title": "y", "row_version": 1}),
        ("delete", "tasks/{task}/", None),
        ("post", "tasks/{task}/move/", {}),
    ],
)
def test_viewer_gets_403_on_writes(client_for, method, suffix, body):
    team = make_team()
    task = make_task(team.project)
    if body and "user_id" in body:
        body["user_id"] = UserFactory().pk
    url = f"/api/projects/{team.project.pk}/" + suffix.format(admin=team.admin.pk, task=task.pk)
    response = getattr(client_for(team.viewer), method)(url, body)
    assert response.status_code == 403, (url, response.json())
    assert Project.objects.get(pk=team.project.pk).name == "Board"


def test_anonymous_is_401(api_client):
    assert api_client.get("/api/projects/").status_code == 401


def test_huge_and_malformed_ids_are_4xx(client_for):
    team = make_team()
    client = client_for(team.admin)
    assert client.get(f"/api/projects/{2**70}/").status_code == 404
    assert client.get(f"/api/projects/{team.project.pk}/tasks/{2**70}/").status_code == 404
    assert client.get(f"/api/projects/{team.project.pk}/tasks/?status={2**70}").status_code == 400
    assert client.get(f"/api/projects/{team.project.pk}/tasks/?assignee=abc").status_code == 400
    assert client.get(f"/api/projects/{team.project.pk}/tasks/?limit=0").status_code == 400
    assert client.get(f"/api/projects/{team.project.pk}/tasks/?offset=-1").status_code == 400
    assert client.post(f"/api/projects/{team.project.pk}/tasks/", {"title": "x", "status_id": "a"}).status_code == 400
    assert client.patch(f"/api/projects/{team.project.pk}/members/{2**70}/", {"role": "admin"}).status_code == 404


def test_editor_added_sees_project(client_for):
    project = make_project()
    editor = add_member(project)
    assert client_for(editor).get(f"/api/projects/{project.pk}/").status_code == 200
