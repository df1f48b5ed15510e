import pytest

from apps.projects.models import ProjectMember
from tests.accounts.factories import UserFactory
from tests.projects.factories import make_team

pytestmark = pytest.mark.django_db


def members_url(project, user=None):
    return f"/api/projects/{project.pk}/members/" + (f"{user.pk}/" if user else "")


def test_members_list_visible_to_every_member(client_for):
    team = make_team()
    response = client_for(team.viewer).get(members_url(team.project))
    assert response.status_code == 200
    roles = {item["user"]["id"]: item["role"] for item in response.json()["items"]}
    assert roles == {team.admin.pk: "admin", team.editor.pk: "editor", team.viewer.pk: "viewer"}


def test_admin_adds_changes_and_removes_members(client_for):
    team = make_team()
    newcomer = UserFactory()
    client = client_for(team.admin)
    added = client.post(members_url(team.project), {"username": newcomer.username, "role": "viewer"})
    assert added.status_code == 201 and added.json()["role"] == "viewer"
    assert client.post(members_url(team.project), {"username": newcomer.username}).status_code == 409
    unknown = client.post(members_url(team.project), {"username": "nobody-by-that-name"})
    assert unknown.status_code == 400 and unknown.json()["code"] == "user_not_found"
    assert client.patch(members_url(team.project, newcomer), {"role": "editor"}).json()["role"] == "editor"
    assert client.patch(members_url(team.project, newcomer), {"role": "boss"}).status_code == 400
    assert client.delete(members_url(team.project, newcomer)).status_code == 204
    assert not ProjectMember.objects.filter(project=team.project, user=newcomer).exists()
    assert client.delete(members_url(team.project, newcomer)).status_code == 404


def test_editor_cannot_manage_members_but_can_leave(client_for):
    team = make_team()
    client = client_for(team.editor)
    assert client.post(members_url(team.project), {"username": UserFactory().username}).status_code == 403
    assert client.patch(members_url(team.project, team.viewer), {"role": "admin"}).status_code == 403
    assert client.delete(members_url(team.project, team.viewer)).status_code == 403
    assert client.delete(members_url(team.project, team.editor)).status_code == 204
    assert client.get(members_url(team.project)).status_code == 404


def test_the_last_admin_cannot_leave_or_step_down(client_for):
    team = make_team()
    client = client_for(team.admin)
    leave = client.delete(members_url(team.project, team.admin))
    assert leave.status_code == 409 and leave.json()["code"] == "last_admin"
    demote = client.patch(members_url(team.project, team.admin), {"role": "editor"})
    assert demote.status_code == 409 and demote.json()["code"] == "last_admin"
    assert client.patch(members_url(team.project, team.editor), {"role": "admin"}).status_code == 200
    assert client.delete(members_url(team.project, team.admin)).status_code == 204
    assert ProjectMember.objects.get(project=team.project, user=team.editor).role == "admin"


def test_viewer_can_leave(client_for):
    team = make_team()
    assert client_for(team.viewer).delete(members_url(team.project, team.viewer)).status_code == 204
