"""A stranger learns nothing: members are added by what the caller already knows, and every
way a user cannot be added, or an object is not yours, answers exactly like "does not exist"."""

import pytest

from apps.jobs.ids import uuid7
from apps.jobs.models import RoomMember
from apps.projects.models import ProjectMember
from tests.accounts.factories import UserFactory
from tests.jobs.factories import RoomFactory, RoomMemberFactory, WorkerFactory
from tests.projects.factories import make_team

pytestmark = pytest.mark.django_db


def _refusal(response):
    body = response.json()
    return response.status_code, body


@pytest.fixture
def targets():
    bob = UserFactory(username="bob", email="bob@example.com")
    inactive = UserFactory(username="gone", email="gone@example.com", is_active=False)
    UserFactory(username="twin1", email="twins@example.com")
    UserFactory(username="twin2", email="Twins@example.com")
    return bob, inactive


def test_project_members_are_added_by_username_or_email(client_for, targets):
    bob, _ = targets
    team = make_team()
    url = f"/api/projects/{team.project.pk}/members/"
    client = client_for(team.admin)
    assert client.post(url, {"email": "BOB@example.com", "role": "viewer"}).status_code == 201
    assert ProjectMember.objects.get(project=team.project, user=bob).role == "viewer"
    newcomer = UserFactory()
    assert client.post(url, {"username": newcomer.username}).status_code == 201
    assert client.post(url, {"user_id": newcomer.pk}).status_code == 400  # ids are not accepted
    assert client.post(url, {}).status_code == 400
    both_but_not_one_user = client.post(url, {"username": newcomer.username, "email": "bob@example.com"})
    assert both_but_not_one_user.json()["code"] == "user_not_found"


def test_project_member_add_answers_alike_for_unknown_and_not_addable(client_for, targets):
    team = make_team()
    url = f"/api/projects/{team.project.pk}/members/"
    client = client_for(team.admin)
    answers = {
        _refusal(client.post(url, body))[0]: _refusal(client.post(url, body))[1]
        for body in ({"username": "nobody"}, {"username": "gone"})
    }
    assert list(answers) == [400]  # one status, and one body, for both
    unknown = client.post(url, {"email": "nobody@example.com"})
    inactive = client.post(url, {"email": "gone@example.com"})
    ambiguous = client.post(url, {"email": "twins@example.com"})
    assert unknown.status_code == inactive.status_code == ambiguous.status_code == 400
    assert unknown.json() == inactive.json() == ambiguous.json()
    assert unknown.json()["code"] == "user_not_found"
    assert "gone" not in str(inactive.json())


def test_room_members_are_added_by_username_or_email_and_refusals_match(client_for, targets):
    bob, _ = targets
    owner = UserFactory()
    room = RoomFactory(name="quiet")
    RoomMemberFactory(room=room, user=owner)
    client = client_for(owner)
    url = "/api/jobs/rooms/quiet/members/"
    assert client.post(url, {"email": "bob@example.com"}).status_code == 201
    assert RoomMember.objects.filter(room=room, user=bob).exists()
    unknown = client.post(url, {"username": "nobody"})
    inactive = client.post(url, {"username": "gone"})
    assert unknown.status_code == inactive.status_code == 400
    assert unknown.json() == inactive.json()


def test_claiming_with_someone_elses_worker_answers_like_an_unknown_worker(client_for):
    owner, stranger = UserFactory(), UserFactory()
    worker = WorkerFactory(user=owner)
    client = client_for(stranger)
    theirs = client.post("/api/jobs/tasks/claim/", {"worker_id": str(worker.pk)}, format="json")
    unknown = client.post("/api/jobs/tasks/claim/", {"worker_id": str(uuid7())}, format="json")
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["code"] == unknown.json()["code"] == "worker_not_found"
    assert set(theirs.json()) == set(unknown.json())


def test_registering_a_job_with_someone_elses_worker_answers_like_an_unknown_worker(client_for):
    owner, member = UserFactory(), UserFactory()
    room = RoomFactory(name="shared-lab")
    RoomMemberFactory(room=room, user=member)
    worker = WorkerFactory(user=owner)
    client = client_for(member)
    body = {"category": "modifiers", "name": "spin", "schema": {}}
    theirs = client.put("/api/jobs/rooms/shared-lab/jobs/", {**body, "worker_id": str(worker.pk)}, format="json")
    unknown = client.put("/api/jobs/rooms/shared-lab/jobs/", {**body, "worker_id": str(uuid7())}, format="json")
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["code"] == unknown.json()["code"] == "worker_not_found"


def test_putting_a_room_taken_by_others_answers_like_a_room_you_cannot_see(client_for):
    owner, stranger = UserFactory(), UserFactory()
    RoomMemberFactory(room=RoomFactory(name="taken"), user=owner)
    client = client_for(stranger)
    taken = client.put("/api/jobs/rooms/taken/")
    unseen = client.get("/api/jobs/rooms/taken/jobs/")
    never = client.get("/api/jobs/rooms/never-made/jobs/")
    assert taken.status_code == unseen.status_code == never.status_code == 404
    assert taken.json()["code"] == unseen.json()["code"] == never.json()["code"] == "room_not_found"
    assert not RoomMember.objects.filter(user=stranger).exists()
    # a member re-putting their room still gets 200
    assert client_for(owner).put("/api/jobs/rooms/taken/").status_code == 200
