"""Workspaces (`/api/applications/`): who sees and changes what, membership propagation, the
assignee rule, removal with its consequences, and budgets at 1 and 50 rows."""

import pytest

from apps.projects import services
from apps.projects.models import Application, ApplicationMember, Project, ProjectMember, Task
from tests.accounts.factories import UserFactory
from tests.projects.factories import add_member, make_project, make_task, make_team
from tests.querybudget import assert_query_budget, count_queries, declared, page_size

pytestmark = pytest.mark.django_db

Role = ApplicationMember.Role


def ws_url(application, tail: str = "") -> str:
    pk = application if isinstance(application, int) else application.pk
    return f"/api/applications/{pk}/{tail}"


def role_in(application_id: int, user) -> str | None:
    memberships = ApplicationMember.objects.filter(application_id=application_id, user=user)
    return memberships.values_list("role", flat=True).first()


def make_workspace(owner=None, name: str = "Acme") -> Application:
    return services.application_create(user=owner or UserFactory(), name=name)


def join(application: Application, user=None, role: str = Role.EDITOR, is_manager: bool = False):
    user = user or UserFactory()
    ApplicationMember.objects.create(application=application, user=user, role=role, is_manager=is_manager)
    return user


# --- workspaces -------------------------------------------------------------------------------


def test_create_list_and_detail(client_for):
    owner, stranger = UserFactory(), UserFactory()
    client = client_for(owner)
    created = client.post("/api/applications/", {"name": "Acme", "description": "d"})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["my_role"], body["is_manager"], body["member_count"], body["project_count"]) == ("owner", False, 1, 0)
    assert role_in(body["id"], owner) == "owner"
    listed = client.get("/api/applications/").json()
    assert [item["id"] for item in listed["items"]] == [body["id"]] and listed["total"] == 1
    assert client_for(stranger).get("/api/applications/").json()["items"] == []
    assert client_for(stranger).get(ws_url(body["id"])).status_code == 404
    detail = client.get(ws_url(body["id"])).json()
    assert detail["name"] == "Acme" and detail["member_count"] == 1


def test_workspace_bad_input(client_for):
    client = client_for(UserFactory())
    assert "name" in client.post("/api/applications/", {}).json()
    assert "name" in client.post("/api/applications/", {"name": "x" * 201}).json()
    assert "name" in client.post("/api/applications/", {"name": "\u001c \x85"}).json()  # nothing visible
    assert "name" in client.post("/api/projects/", {"key": "INV", "name": "\u001c"}).json()
    assert Application.objects.count() == 0


def test_only_owners_change_or_delete(client_for):
    application = make_workspace()
    editor, viewer = join(application), join(application, role=Role.VIEWER)
    manager = join(application, is_manager=True)
    for user in (editor, viewer, manager):
        assert client_for(user).patch(ws_url(application), {"name": "mine"}).status_code == 403
        assert client_for(user).delete(ws_url(application)).status_code == 403
    owner = client_for(application.created_by)
    patched = owner.patch(ws_url(application), {"name": "Renamed"})
    assert patched.status_code == 200 and patched.json()["name"] == "Renamed"
    assert patched.json()["member_count"] == 4


def test_delete_refuses_live_projects_and_takes_archived_ones(client_for):
    owner = UserFactory()
    application = make_workspace(owner)
    project = services.project_create(user=owner, key="DEL", name="x", application=application)
    make_task(project)
    client = client_for(owner)
    refused = client.delete(ws_url(application))
    assert refused.status_code == 409 and refused.json()["code"] == "application_has_projects"
    services.project_archive(project=project)
    assert client.delete(ws_url(application)).status_code == 204
    assert not Application.objects.filter(pk=application.pk).exists()
    assert not Project.objects.filter(pk=project.pk).exists() and not Task.objects.filter(project=project).exists()


# --- members ----------------------------------------------------------------------------------


def test_owners_and_managers_manage_members(client_for):
    application = make_workspace()
    editor = join(application)
    manager = join(application, is_manager=True)
    viewer = join(application, role=Role.VIEWER)
    newcomer, other = UserFactory(), UserFactory()
    # viewers and plain editors: 403; the list is for every member
    for user in (editor, viewer):
        refused = client_for(user).post(ws_url(application, "members/"), {"username": newcomer.username})
        assert refused.status_code == 403 and refused.json()["code"] == "manager_required"
    assert len(client_for(viewer).get(ws_url(application, "members/")).json()["items"]) == 4
    # a manager adds editors and viewers, never owners or managers
    as_manager = client_for(manager)
    added = as_manager.post(ws_url(application, "members/"), {"username": newcomer.username, "role": "viewer"})
    assert added.status_code == 201 and added.json()["role"] == "viewer"
    assert as_manager.post(ws_url(application, "members/"), {"username": newcomer.username}).status_code == 409
    owner_refused = as_manager.post(ws_url(application, "members/"), {"username": other.username, "role": "owner"})
    assert owner_refused.status_code == 403 and owner_refused.json()["code"] == "owner_required"
    assert as_manager.patch(ws_url(application, f"members/{newcomer.pk}/"), {"role": "editor"}).status_code == 200
    assert as_manager.patch(ws_url(application, f"members/{newcomer.pk}/"), {"is_manager": True}).status_code == 403
    unknown = as_manager.post(ws_url(application, "members/"), {"username": "nobody-at-all"})
    assert unknown.status_code == 400 and unknown.json()["code"] == "user_not_found"
    bad = as_manager.post(ws_url(application, "members/"), {"username": other.username, "role": "boss"})
    assert bad.status_code == 400 and "role" in bad.json()
    # the owner makes managers; a viewer cannot manage
    owner = client_for(application.created_by)
    viewer_manager = owner.post(
        ws_url(application, "members/"), {"username": other.username, "role": "viewer", "is_manager": True}
    )
    assert viewer_manager.status_code == 201 and viewer_manager.json()["is_manager"] is False  # a viewer never manages
    assert owner.patch(ws_url(application, f"members/{newcomer.pk}/"), {}).json()["role"] == "editor"
    not_bool = owner.patch(ws_url(application, f"members/{newcomer.pk}/"), {"is_manager": 0})
    assert not_bool.status_code == 400 and "is_manager" in not_bool.json()
    promoted = owner.patch(ws_url(application, f"members/{newcomer.pk}/"), {"is_manager": True})
    assert promoted.status_code == 200 and promoted.json()["is_manager"] is True
    demoted = owner.patch(ws_url(application, f"members/{newcomer.pk}/"), {"role": "viewer"})
    assert demoted.json() | {"created_at": None} == {
        "user": {"id": newcomer.pk, "username": newcomer.username},
        "role": "viewer",
        "is_manager": False,  # a viewer never manages
        "created_at": None,
    }
    assert client_for(UserFactory()).get(ws_url(application, "members/")).status_code == 404


def test_the_last_owner_cannot_leave_or_step_down(client_for):
    application = make_workspace()
    owner = application.created_by
    client = client_for(owner)
    leave = client.delete(ws_url(application, f"members/{owner.pk}/"))
    assert leave.status_code == 409 and leave.json()["code"] == "last_owner"
    demote = client.patch(ws_url(application, f"members/{owner.pk}/"), {"role": "editor"})
    assert demote.status_code == 409 and demote.json()["code"] == "last_owner"
    second = join(application, role=Role.OWNER)
    assert client.patch(ws_url(application, f"members/{owner.pk}/"), {"role": "editor"}).status_code == 200
    assert role_in(application.pk, owner) == "editor" and role_in(application.pk, second) == "owner"


def test_a_member_may_leave_and_a_manager_cannot_remove_an_owner(client_for):
    application = make_workspace()
    manager, viewer = join(application, is_manager=True), join(application, role=Role.VIEWER)
    removed = client_for(manager).delete(ws_url(application, f"members/{application.created_by.pk}/"))
    assert removed.status_code == 403
    assert client_for(viewer).delete(ws_url(application, f"members/{manager.pk}/")).status_code == 403
    assert client_for(viewer).delete(ws_url(application, f"members/{viewer.pk}/")).status_code == 204
    assert client_for(viewer).get(ws_url(application)).status_code == 404
    missing = client_for(manager).delete(ws_url(application, f"members/{viewer.pk}/"))
    assert missing.status_code == 404 and missing.json()["code"] == "member_not_found"


# --- projects in workspaces -------------------------------------------------------------------


def test_project_create_goes_to_the_default_workspace_or_the_given_one(client_for):
    user = UserFactory()
    client = client_for(user)
    first = client.post("/api/projects/", {"key": "ONE", "name": "x"}).json()
    second = client.post("/api/projects/", {"key": "TWO", "name": "x"}).json()
    default = Application.objects.get(members__user=user)
    assert default.name == user.username and first["application_id"] == second["application_id"] == default.pk
    other = make_workspace()
    join(other, user, role=Role.EDITOR)
    third = client.post("/api/projects/", {"key": "THREE", "name": "x", "application_id": other.pk})
    assert third.status_code == 201 and third.json()["application_id"] == other.pk
    viewing = make_workspace()
    join(viewing, user, role=Role.VIEWER)
    refused = client.post("/api/projects/", {"key": "FOUR", "name": "x", "application_id": viewing.pk})
    assert refused.status_code == 403 and refused.json()["code"] == "application_create_forbidden"
    assert "application_id" in refused.json()
    stranger_ws = make_workspace()
    unknown = client.post("/api/projects/", {"key": "FIVE", "name": "x", "application_id": stranger_ws.pk})
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_application"
    assert "application_id" in unknown.json()
    assert not Project.objects.filter(key__in=("FOUR", "FIVE")).exists()


def test_workspace_projects_list_create_and_archived(client_for):
    owner = UserFactory()
    application = make_workspace(owner)
    editor, viewer = join(application), join(application, role=Role.VIEWER)
    created = client_for(editor).post(ws_url(application, "projects/"), {"key": "WSP", "name": "In it"})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["my_role"] == "admin" and body["application_id"] == application.pk
    refused = client_for(viewer).post(ws_url(application, "projects/"), {"key": "WSV", "name": "x"})
    assert refused.status_code == 403 and refused.json()["code"] == "application_write_forbidden"
    # member-visible: the owner is no member of the editor's project, so it is not in their list
    assert client_for(owner).get(ws_url(application, "projects/")).json()["items"] == []
    items = client_for(editor).get(ws_url(application, "projects/")).json()["items"]
    same_shape = client_for(editor).get("/api/projects/").json()["items"]
    assert items == same_shape and items[0]["key"] == "WSP"
    project = Project.objects.get(pk=body["id"])
    elsewhere = make_project(admin=editor)  # the editor's default workspace: not listed here
    assert [item["id"] for item in client_for(editor).get("/api/projects/").json()["items"]] == [
        elsewhere.pk,
        project.pk,
    ]
    services.project_archive(project=project)
    assert client_for(editor).get(ws_url(application, "projects/")).json()["items"] == []
    archived = client_for(editor).get(ws_url(application, "projects/archived/")).json()["items"]
    assert [item["id"] for item in archived] == [project.pk] and archived[0]["archived_at"] is not None
    assert client_for(UserFactory()).get(ws_url(application, "projects/archived/")).status_code == 404


def test_my_projects_across_workspaces(client_for):
    user = UserFactory()
    mine = make_project(admin=user, key="MINE")
    other_ws = make_workspace(name="Other")
    theirs = services.project_create(user=other_ws.created_by, key="THEIRS", name="x", application=other_ws)
    theirs.my_role = ProjectMember.Role.ADMIN
    services.member_add(project=theirs, username=user.username, role=ProjectMember.Role.VIEWER)
    make_project(key="NOTMINE")
    items = client_for(user).get("/api/me/projects/").json()["items"]
    assert [(item["key"], item["application"]["name"], item["my_role"]) for item in items] == [
        ("THEIRS", "Other", "viewer"),
        ("MINE", user.username, "admin"),
    ]
    assert items[1]["application"]["id"] == mine.application_id
    assert client_for(UserFactory()).get("/api/me/projects/").json()["items"] == []


# --- propagation and the assignee rule --------------------------------------------------------


def test_adding_a_project_member_adds_them_to_the_workspace_keeping_a_role_they_have(client_for):
    team = make_team()
    workspace = team.project.application_id
    assert (role_in(workspace, team.admin), role_in(workspace, team.editor), role_in(workspace, team.viewer)) == (
        "owner",
        "editor",
        "viewer",
    )
    newcomer = UserFactory()
    added = client_for(team.admin).post(
        f"/api/projects/{team.project.pk}/members/", {"username": newcomer.username, "role": "admin"}
    )
    assert added.status_code == 201 and role_in(workspace, newcomer) == "editor"
    # already a workspace viewer: stays one (the project's member endpoints do not promote)
    application = Application.objects.get(pk=workspace)
    watcher = join(application, role=Role.VIEWER)
    client_for(team.admin).post(f"/api/projects/{team.project.pk}/members/", {"username": watcher.username})
    assert role_in(workspace, watcher) == "viewer"
    assert ProjectMember.objects.get(project=team.project, user=watcher).role == "editor"


def test_an_assignee_must_be_a_workspace_owner_or_editor(client_for):
    team = make_team()
    application = Application.objects.get(pk=team.project.application_id)
    watcher = join(application, role=Role.VIEWER)
    add_member(team.project, watcher, role=ProjectMember.Role.EDITOR)  # project editor, workspace viewer
    client = client_for(team.editor)
    url = f"/api/projects/{team.project.pk}/tasks/"
    refused = client.post(url, {"title": "t", "assignee_id": watcher.pk})
    assert refused.status_code == 400 and refused.json()["code"] == "assignee_not_workspace_writer"
    assert "assignee_id" in refused.json() and not Task.objects.filter(title="t").exists()
    task = make_task(team.project)
    patched = client.patch(f"{url}{task.pk}/", {"assignee_id": watcher.pk, "row_version": task.row_version})
    assert patched.status_code == 400 and patched.json()["code"] == "assignee_not_workspace_writer"
    ApplicationMember.objects.filter(application=application, user=watcher).update(role=Role.EDITOR)
    assert client.post(url, {"title": "ok", "assignee_id": watcher.pk}).status_code == 201
    # a project viewer stays refused whatever their workspace role
    viewer_refused = client.post(url, {"title": "v", "assignee_id": team.viewer.pk})
    assert viewer_refused.json()["code"] == "assignee_is_viewer"


# --- removal ----------------------------------------------------------------------------------


def test_removal_takes_projects_and_open_tasks_in_one_transaction(client_for):
    team = make_team()
    application = Application.objects.get(pk=team.project.application_id)
    second = services.project_create(user=team.admin, key="SECOND", name="x", application=application)
    second.my_role = ProjectMember.Role.ADMIN
    add_member(second, team.editor)
    open_task = make_task(team.project, category="active", assignee=team.editor)
    todo_task = make_task(second, assignee=team.editor)
    done_task = make_task(team.project, category="done", assignee=team.editor)
    outside = make_project(admin=team.editor)  # another workspace: untouched
    outside_task = make_task(outside, assignee=team.editor)

    response = client_for(team.admin).delete(ws_url(application, f"members/{team.editor.pk}/"))
    assert response.status_code == 204, response.json()
    assert role_in(application.pk, team.editor) is None
    assert not ProjectMember.objects.filter(project__application=application, user=team.editor).exists()
    assigned = dict(Task.objects.values_list("pk", "assignee_id"))
    assert assigned[open_task.pk] is None and assigned[todo_task.pk] is None
    assert assigned[done_task.pk] == team.editor.pk  # done tasks keep their history
    assert assigned[outside_task.pk] == team.editor.pk
    assert Task.objects.get(pk=open_task.pk).row_version == open_task.row_version + 1
    assert ProjectMember.objects.filter(project=outside, user=team.editor).exists()


def test_the_last_admin_of_a_project_cannot_be_removed_and_nothing_changes(client_for):
    team = make_team()
    application = Application.objects.get(pk=team.project.application_id)
    ApplicationMember.objects.filter(application=application, user=team.admin).update(role=Role.EDITOR)
    owner = join(application, role=Role.OWNER)
    task = make_task(team.project, category="active", assignee=team.admin)
    response = client_for(owner).delete(ws_url(application, f"members/{team.admin.pk}/"))
    assert response.status_code == 409 and response.json()["code"] == "last_admin"
    assert response.json()["projects"] == [team.project.key]
    assert role_in(application.pk, team.admin) == "editor"
    assert Task.objects.get(pk=task.pk).assignee_id == team.admin.pk
    assert ProjectMember.objects.filter(project=team.project, user=team.admin).exists()


# --- budgets at 1 and 50 rows ----------------------------------------------------------------


def test_workspace_list_budget(client_for):
    user = UserFactory()
    client = client_for(user)

    def add(n):
        for _ in range(n):
            application = make_workspace(name="w")
            join(application, user, role=Role.VIEWER)
            join(application)

    assert_query_budget(
        request=lambda: client.get("/api/applications/"),
        add_rows=add,
        budget=declared("GET", "/api/applications/"),
        expect_items=page_size,
    )
    items = client.get("/api/applications/").json()["items"]
    assert {(item["member_count"], item["my_role"]) for item in items} == {(3, "viewer")}


def test_workspace_detail_members_and_project_lists_budgets(client_for):
    owner = UserFactory()
    application = make_workspace(owner)
    client = client_for(owner)

    def add_members(n):
        for _ in range(n):
            join(application)

    n, response, sql = count_queries(lambda: client.get(ws_url(application)))
    assert n == declared("GET", ws_url(application)).queries and response.json()["member_count"] == 1, sql

    # 1 and 50 members: the list pages them, the detail counts them in its one query
    assert_query_budget(
        request=lambda: client.get(ws_url(application, "members/")),
        # the owner is the first row; then 49 more
        add_rows=lambda n: add_members(0 if n == 1 else n),
        budget=declared("GET", ws_url(application, "members/")),
        expect_items=page_size,
    )
    n, response, sql = count_queries(lambda: client.get(ws_url(application)))
    assert n == declared("GET", ws_url(application)).queries and response.json()["member_count"] == 50, sql

    def add_projects(n):
        for _ in range(n):
            services.project_create(user=owner, key=_next_key(), name="p", application=application)

    assert_query_budget(
        request=lambda: client.get(ws_url(application, "projects/")),
        add_rows=add_projects,
        budget=declared("GET", ws_url(application, "projects/")),
        expect_items=page_size,
    )
    assert client.get(ws_url(application)).json()["project_count"] == 50


def test_my_projects_budget(client_for):
    user = UserFactory()
    client = client_for(user)
    others = make_workspace(name="Others")

    def add(n):
        for i in range(n):
            if i % 2:
                make_project(admin=user, key=_next_key())  # the user's default workspace
            else:
                project = services.project_create(user=others.created_by, key=_next_key(), name="p", application=others)
                project.my_role = ProjectMember.Role.ADMIN
                services.member_add(project=project, username=user.username, role=ProjectMember.Role.VIEWER)

    # the counts of new projects miss the cache: the costliest path, at 1 and at 50
    assert_query_budget(
        request=lambda: client.get("/api/me/projects/"),
        add_rows=add,
        budget=declared("GET", "/api/me/projects/"),
        expect_items=page_size,
    )
    names = {item["application"]["name"] for item in client.get("/api/me/projects/").json()["items"]}
    assert names == {"Others", user.username}


def test_archived_projects_budget(client_for):
    owner = UserFactory()
    application = make_workspace(owner)
    client = client_for(owner)

    def add(n):
        for _ in range(n):
            project = services.project_create(user=owner, key=_next_key(), name="p", application=application)
            services.project_archive(project=project)

    assert_query_budget(
        request=lambda: client.get(ws_url(application, "projects/archived/")),
        add_rows=add,
        budget=declared("GET", ws_url(application, "projects/archived/")),
        expect_items=page_size,
    )


@pytest.mark.parametrize("n", [1, 50])
def test_member_removal_budget_at_1_and_50_projects_and_tasks(client_for, n):
    owner = UserFactory()
    application = make_workspace(owner)
    leaving = join(application, role=Role.OWNER)  # an owner: the other-owners check runs too
    for _ in range(n):
        project = services.project_create(user=owner, key=_next_key(), name="p", application=application)
        project.my_role = ProjectMember.Role.ADMIN
        add_member(project, leaving)
        make_task(project, category="active", assignee=leaving)
    url = ws_url(application, f"members/{leaving.pk}/")
    client = client_for(owner)
    count, response, sql = count_queries(lambda: client.delete(url))
    assert response.status_code == 204
    assert count == declared("DELETE", url).queries, "\n".join(sql)
    assert not Task.objects.filter(assignee=leaving).exists()


def test_member_add_and_update_budgets(client_for):
    owner = UserFactory()
    application = make_workspace(owner)
    client = client_for(owner)
    url = ws_url(application, "members/")
    for _ in range(50):
        join(application)
    newcomer = UserFactory()
    count, response, sql = count_queries(lambda: client.post(url, {"username": newcomer.username}))
    assert response.status_code == 201 and count == declared("POST", url).queries, sql
    count, response, sql = count_queries(lambda: client.patch(f"{url}{newcomer.pk}/", {"role": "viewer"}))
    assert response.status_code == 200 and count == declared("PATCH", f"{url}{newcomer.pk}/").fewest, sql
    second_owner = join(application, role=Role.OWNER)
    count, response, sql = count_queries(lambda: client.patch(f"{url}{second_owner.pk}/", {"role": "editor"}))
    assert response.status_code == 200 and count == declared("PATCH", f"{url}{second_owner.pk}/").queries, sql


def test_workspace_create_update_and_project_create_budgets(client_for):
    owner = UserFactory()
    client = client_for(owner)
    client.get("/api/applications/")  # the token exists before counting
    count, response, sql = count_queries(lambda: client.post("/api/applications/", {"name": "B"}))
    assert response.status_code == 201 and count == declared("POST", "/api/applications/").queries, sql
    url = ws_url(response.json()["id"])
    count, response, sql = count_queries(lambda: client.patch(url, {"name": "C"}))
    assert response.status_code == 200 and count == declared("PATCH", url).queries, sql
    count, response, sql = count_queries(lambda: client.patch(url, {"name": "C"}))
    assert response.status_code == 200 and count == declared("PATCH", url).fewest, sql
    count, response, sql = count_queries(lambda: client.post(f"{url}projects/", {"key": "BUDG", "name": "x"}))
    assert response.status_code == 201 and count == declared("POST", f"{url}projects/").queries, sql


def test_workspace_delete_budget_empty(client_for):
    owner = UserFactory()
    client = client_for(owner)
    empty = make_workspace(owner)
    count, response, sql = count_queries(lambda: client.delete(ws_url(empty)))
    assert response.status_code == 204 and count == declared("DELETE", ws_url(empty)).fewest, "\n".join(sql)


@pytest.mark.parametrize("n", [1, 50])
def test_workspace_delete_budget_with_1_and_50_archived_projects(client_for, n):
    owner, other = UserFactory(), UserFactory()
    client = client_for(owner)
    application = make_workspace(owner)
    join(application, other)
    for _ in range(n):
        project = services.project_create(user=owner, key=_next_key(), name="p", application=application)
        project.my_role = ProjectMember.Role.ADMIN
        services.member_add(project=project, username=other.username, role=ProjectMember.Role.EDITOR)
        task = make_task(project, category="active", assignee=other)
        make_task(project, parent_id=task.pk)
        services.comment_create(project=project, author=owner, task_id=task.pk, body=f"hi @{other.username}")
        services.checklist_item_create(project=project, actor=owner, task_id=task.pk, text="x")
        services.project_archive(project=project)
    count, response, sql = count_queries(lambda: client.delete(ws_url(application)))
    assert response.status_code == 204
    assert count == declared("DELETE", ws_url(application)).queries, "\n".join(sql)
    assert not Project.objects.filter(application_id=application.pk).exists()
    assert not Task.objects.exists() and not ApplicationMember.objects.filter(application_id=application.pk).exists()


_keys = iter(f"K{chr(65 + a)}{chr(65 + b)}{chr(65 + c)}" for a in range(26) for b in range(26) for c in range(26))


def _next_key() -> str:
    return next(_keys)
