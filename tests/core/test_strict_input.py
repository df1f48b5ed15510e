"""Input is taken as documented: strings are strings, an empty query parameter is not "absent"."""

import pytest

from apps.projects.models import Project
from tests.accounts.factories import UserFactory
from tests.projects.factories import make_team

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", [490, 4.5, True])
def test_a_number_is_not_taken_as_a_string(client_for, name):
    response = client_for(UserFactory()).post("/api/projects/", {"key": "STRICT", "name": name}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()
    assert not Project.objects.exists()


def test_a_string_is_still_a_string(client_for):
    response = client_for(UserFactory()).post("/api/projects/", {"key": "STRICT", "name": "490"}, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize("query", ["q=", "assignee=", "status=", "priority=", "assignee=None", "assignee=+5"])
def test_an_empty_or_undocumented_filter_value_is_400(client_for, query):
    team = make_team()
    response = client_for(team.admin).get(f"/api/projects/{team.project.pk}/tasks/?{query}")
    assert response.status_code == 400, response.json()


def test_an_empty_job_task_status_filter_is_400(client_for):
    from tests.jobs.factories import RoomFactory, RoomMemberFactory

    user = UserFactory()
    RoomMemberFactory(room=RoomFactory(name="strict"), user=user)
    assert client_for(user).get("/api/jobs/rooms/strict/tasks/?status=").status_code == 400
    assert client_for(user).get("/api/jobs/rooms/strict/tasks/?status=pending").status_code == 200
