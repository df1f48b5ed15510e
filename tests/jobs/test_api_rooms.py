import pytest

from apps.jobs.ids import uuid7
from apps.jobs.models import RoomMember
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_create_room_makes_the_caller_its_first_member(client_for):
    user = UserFactory()
    response = client_for(user).put("/api/jobs/rooms/new-room/")
    assert response.status_code == 201
    assert response.json() == {"name": "new-room", "created": True}
    assert RoomMember.objects.filter(room__name="new-room", user=user).exists()
    again = client_for(user).put("/api/jobs/rooms/new-room/")
    assert again.status_code == 200
    assert again.json()["created"] is False


def test_a_taken_room_name_is_404_for_a_stranger_as_any_room_they_cannot_see(cast, client_for):
    response = client_for(cast.stranger).put("/api/jobs/rooms/lab/")
    assert response.status_code == 404
    assert response.json()["code"] == "room_not_found"
    assert not RoomMember.objects.filter(room=cast.room, user=cast.stranger).exists()


@pytest.mark.parametrize("name", ["bad%20name", "x" * 65, "-dash-first", "a:b", "@elsewhere"])
def test_bad_room_names_are_400(name, client_for, user):
    response = client_for(user).put(f"/api/jobs/rooms/{name}/")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_room"


def test_shared_rooms_cannot_be_created(client_for, superuser):
    response = client_for(superuser).put("/api/jobs/rooms/@global/")
    assert response.status_code == 400
    assert response.json()["code"] == "shared_room"


def test_a_member_adds_a_user(cast, client_for):
    response = client_for(cast.member).post("/api/jobs/rooms/lab/members/", {"username": cast.stranger.username})
    assert response.status_code == 201
    assert client_for(cast.stranger).get("/api/jobs/rooms/lab/jobs/").status_code == 200
    again = client_for(cast.member).post("/api/jobs/rooms/lab/members/", {"username": cast.stranger.username})
    assert again.status_code == 200


def test_a_stranger_cannot_add_members(cast, client_for):
    response = client_for(cast.stranger).post("/api/jobs/rooms/lab/members/", {"username": cast.stranger.username})
    assert response.status_code == 404
    assert not RoomMember.objects.filter(room=cast.room, user=cast.stranger).exists()


def test_adding_an_unknown_user_is_400(cast, client_for):
    response = client_for(cast.member).post("/api/jobs/rooms/lab/members/", {"username": "nobody-by-that-name"})
    assert response.status_code == 400
    assert response.json()["field"] == "username"


def test_anonymous_is_refused_everywhere(cast, api_client):
    for method, url in [
        ("put", "/api/jobs/rooms/lab/"),
        ("post", "/api/jobs/rooms/lab/members/"),
        ("get", "/api/jobs/rooms/lab/jobs/"),
        ("put", "/api/jobs/rooms/lab/jobs/"),
        ("get", cast.job_url),
        ("get", cast.job_url + "tasks/"),
        ("post", cast.job_url + "tasks/"),
        ("get", "/api/jobs/rooms/lab/tasks/"),
        ("get", "/api/jobs/rooms/lab/workers/"),
        ("get", "/api/jobs/workers/"),
        ("post", "/api/jobs/workers/"),
        ("patch", f"/api/jobs/workers/{cast.worker.pk}/"),
        ("delete", f"/api/jobs/workers/{cast.worker.pk}/"),
        ("post", "/api/jobs/tasks/claim/"),
        ("get", f"/api/jobs/tasks/{uuid7()}/"),
        ("patch", f"/api/jobs/tasks/{uuid7()}/"),
    ]:
        assert getattr(api_client, method)(url).status_code == 401, (method, url)
