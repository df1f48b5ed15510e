"""The workspace admin goes through the services: create (the operator its owner), rename,
a refused delete, role changes and removals with their consequences."""

import pytest

from apps.projects import services
from apps.projects.models import Application, ApplicationMember, ProjectMember, Task
from tests.projects.factories import make_task, make_team

pytestmark = pytest.mark.django_db


def test_admin_pages_render(client, superuser):
    team = make_team()
    client.force_login(superuser)
    member = ApplicationMember.objects.filter(application_id=team.project.application_id).first()
    for url in (
        "/admin/projects/application/",
        f"/admin/projects/application/{team.project.application_id}/change/",
        "/admin/projects/applicationmember/",
        f"/admin/projects/applicationmember/{member.pk}/change/",
        "/admin/projects/application/add/",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/projects/applicationmember/add/").status_code == 403


def test_admin_creates_and_renames_through_the_services(client, superuser):
    client.force_login(superuser)
    response = client.post("/admin/projects/application/add/", {"name": "Ops", "description": "", "_save": "1"})
    assert response.status_code == 302
    application = Application.objects.get(name="Ops")
    assert ApplicationMember.objects.get(application=application).user == superuser
    response = client.post(
        f"/admin/projects/application/{application.pk}/change/", {"name": "Ops 2", "description": "d", "_save": "1"}
    )
    assert response.status_code == 302 and Application.objects.get(pk=application.pk).name == "Ops 2"


def test_admin_delete_of_a_workspace_with_live_projects_is_refused(client, superuser):
    team = make_team()
    client.force_login(superuser)
    url = f"/admin/projects/application/{team.project.application_id}/delete/"
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert Application.objects.filter(pk=team.project.application_id).exists()
    assert ProjectMember.objects.filter(project=team.project).count() == 3
    assert "Not deleted" in client.get(response["Location"]).content.decode()


def test_admin_member_changes_and_removal_go_through_the_services(client, superuser):
    team = make_team()
    task = make_task(team.project, category="active", assignee=team.editor)
    owner = ApplicationMember.objects.get(application_id=team.project.application_id, user=team.admin)
    client.force_login(superuser)
    demote = client.post(
        f"/admin/projects/applicationmember/{owner.pk}/change/", {"role": "viewer", "is_manager": "", "_save": "1"}
    )
    assert demote.status_code == 302 and ApplicationMember.objects.get(pk=owner.pk).role == "owner"  # the last owner
    editor = ApplicationMember.objects.get(application_id=team.project.application_id, user=team.editor)
    response = client.post(
        f"/admin/projects/applicationmember/{editor.pk}/change/", {"role": "editor", "is_manager": "on", "_save": "1"}
    )
    assert response.status_code == 302 and ApplicationMember.objects.get(pk=editor.pk).is_manager is True
    response = client.post(f"/admin/projects/applicationmember/{editor.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not ApplicationMember.objects.filter(pk=editor.pk).exists()
    assert not ProjectMember.objects.filter(project=team.project, user=team.editor).exists()
    assert Task.objects.get(pk=task.pk).assignee_id is None
    services.project_archive(project=team.project)
    response = client.post(f"/admin/projects/application/{team.project.application_id}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Application.objects.filter(pk=team.project.application_id).exists()
