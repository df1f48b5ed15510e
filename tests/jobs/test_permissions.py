"""The stranger — a user in no room, owning no worker — is refused on every endpoint (healthchecks style:
the owner runs the worker, the member submits, the stranger should have no access to their stuff)."""

import pytest

from apps.jobs.models import Job, RoomMember, Task, TaskStatus, Worker
from tests.jobs.factories import TaskFactory

pytestmark = pytest.mark.django_db


def endpoints(cast, task):
    job = cast.job_url
    return [
        ("put", "/api/jobs/rooms/lab/", None, 404),  # taken by others: as any room they cannot see
        ("post", "/api/jobs/rooms/lab/members/", {"username": cast.stranger.username}, 404),
        ("get", "/api/jobs/rooms/lab/jobs/", None, 404),
        ("put", "/api/jobs/rooms/lab/jobs/", {"category": "analysis", "name": "x", "schema": {}}, 404),
        ("get", job, None, 404),
        ("get", job + "tasks/", None, 404),
        ("post", job + "tasks/", {"payload": {}}, 404),
        ("get", "/api/jobs/rooms/lab/tasks/", None, 404),
        ("get", "/api/jobs/rooms/lab/workers/", None, 404),
        ("patch", f"/api/jobs/workers/{cast.worker.pk}/", None, 404),
        ("delete", f"/api/jobs/workers/{cast.worker.pk}/", None, 404),
        ("post", "/api/jobs/tasks/claim/", {"worker_id": cast.worker.pk}, 404),  # as an unknown worker
        ("get", f"/api/jobs/tasks/{task.pk}/", None, 404),
        ("patch", f"/api/jobs/tasks/{task.pk}/", {"status": "running"}, 404),
        ("patch", f"/api/jobs/tasks/{task.pk}/", {"status": "cancelled"}, 404),
    ]


def test_the_stranger_is_refused_everywhere_and_changes_nothing(cast, client_for):
    task = TaskFactory(job=cast.job, room="lab", worker=cast.worker, status=TaskStatus.CLAIMED)
    pending = TaskFactory(job=cast.job, room="lab")
    client = client_for(cast.stranger)
    for method, url, body, expected in endpoints(cast, task):
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == expected, (method, url, response.status_code, response.content)
    assert Task.objects.get(pk=task.pk).status == TaskStatus.CLAIMED
    assert Task.objects.get(pk=pending.pk).status == TaskStatus.PENDING
    assert Task.objects.count() == 2
    assert Worker.objects.filter(pk=cast.worker.pk).exists()
    assert not Job.objects.filter(name="x").exists()
    assert not RoomMember.objects.filter(user=cast.stranger).exists()


def test_the_stranger_sees_only_their_own_workers(cast, client_for):
    client = client_for(cast.stranger)
    assert client.get("/api/jobs/workers/").json()["total"] == 0
    mine = client.post("/api/jobs/workers/").json()["id"]
    assert [w["id"] for w in client.get("/api/jobs/workers/").json()["items"]] == [mine]


@pytest.mark.parametrize(
    "url",
    [
        "/api/jobs/rooms/bad:name/jobs/",
        "/api/jobs/rooms/bad:name/tasks/",
        "/api/jobs/rooms/bad:name/workers/",
        "/api/jobs/rooms/-x/jobs/lab:modifiers:rotate/",
    ],
)
def test_bad_room_names_in_reads_are_400(cast, client_for, url):
    response = client_for(cast.member).get(url)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_room"


def test_shared_rooms_are_for_superusers(cast, client_for, superuser):
    assert client_for(cast.member).get("/api/jobs/rooms/@global/jobs/").status_code == 403
    assert client_for(superuser).get("/api/jobs/rooms/@global/jobs/").status_code == 200
