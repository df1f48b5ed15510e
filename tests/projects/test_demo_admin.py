import io

import pytest
from django.core.management import call_command

from apps.projects.models import Project, ProjectMember, Task
from tests.projects.factories import make_task, make_team

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent():
    call_command("seed_demo", stdout=io.StringIO())
    snapshot = (Project.objects.count(), Task.objects.count(), ProjectMember.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Project.objects.count(), Task.objects.count(), ProjectMember.objects.count()) == snapshot
    project = Project.objects.get(key="DEMO")
    assert Task.objects.filter(project=project).count() == 6
    roles = dict(ProjectMember.objects.filter(project=project).values_list("user__username", "role"))
    assert roles == {"alice": "admin", "bob": "editor", "carol": "viewer"}
    assert project.derived_status.name == "Issue"
    # issue 14's parts: comments with mentions, a checklist, an override
    from apps.projects.models import CommentMention

    login = Task.objects.get(project=project, title="Fix login redirect loop")
    assert (login.comment_count, login.checklist_total, login.checklist_done) == (2, 3, 2)
    assert set(CommentMention.objects.values_list("user__username", flat=True)) == {"bob", "carol"}
    assert project.override_status.name == "In Progress" and project.override_reason == "Launch week"
    # the workspace: the project's members are its members
    from apps.projects.models import ApplicationMember

    assert project.application.name == "Demo workspace"
    workspace = ApplicationMember.objects.filter(application=project.application)
    assert sorted(workspace.values_list("user__username", "role", "is_manager")) == [
        ("alice", "owner", False),
        ("bob", "editor", True),
        ("carol", "viewer", False),
    ]


@pytest.mark.parametrize("model", ["project", "taskstatus", "task", "projectmember"])
def test_admin_changelists_and_change_forms_render(client, superuser, model):
    team = make_team()
    task = make_task(team.project)
    client.force_login(superuser)
    assert client.get(f"/admin/projects/{model}/").status_code == 200
    obj_id = {
        "project": team.project.pk,
        "taskstatus": task.status_id,
        "task": task.pk,
        "projectmember": ProjectMember.objects.filter(project=team.project).first().pk,
    }[model]
    assert client.get(f"/admin/projects/{model}/{obj_id}/change/").status_code == 200


def test_admin_task_filters(client, superuser):
    team = make_team()
    make_task(team.project)
    client.force_login(superuser)
    response = client.get(f"/admin/projects/task/?status__category=todo&project__id__exact={team.project.pk}")
    assert response.status_code == 200


def test_openapi_schema_documents_every_projects_endpoint(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/projects/",
        "/api/projects/my-tasks/",
        "/api/projects/{project_id}/",
        "/api/projects/{project_id}/stats/",
        "/api/projects/{project_id}/statuses/",
        "/api/projects/{project_id}/members/",
        "/api/projects/{project_id}/members/{user_id}/",
        "/api/projects/{project_id}/tasks/",
        "/api/projects/{project_id}/tasks/{task_id}/",
        "/api/projects/{project_id}/tasks/{task_id}/move/",
    ):
        assert path in paths, path
    params = {p["name"] for p in paths["/api/projects/{project_id}/tasks/"]["get"]["parameters"]}
    assert {"status", "assignee", "priority", "archived", "q", "limit", "offset"} <= params


@pytest.mark.django_db(transaction=True)
def test_admin_delete_recounts_the_project(client, superuser):
    team = make_team()
    issue = make_task(team.project, category="issue")
    assert Project.objects.get(pk=team.project.pk).derived_status.name == "Issue"
    client.force_login(superuser)
    response = client.post(f"/admin/projects/task/{issue.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Task.objects.filter(pk=issue.pk).exists()
    assert Project.objects.get(pk=team.project.pk).derived_status.name == "Todo"
