import pytest

from apps.jobs.models import GLOBAL_ROOM, INTERNAL_ROOM, Job, WorkerJob
from tests.jobs.factories import JobFactory, WorkerFactory, WorkerJobFactory

pytestmark = pytest.mark.django_db

SCHEMA = {"type": "object", "properties": {"angle": {"type": "number"}}}


def register(client, room="lab", **body):
    body = {"category": "modifiers", "name": "scale", "schema": SCHEMA, **body}
    return client.put(f"/api/jobs/rooms/{room}/jobs/", body, format="json")


def test_register_a_new_job_links_the_worker(cast, client_for):
    response = register(client_for(cast.owner), worker_id=cast.worker.pk)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["full_name"] == "lab:modifiers:scale"
    assert body["worker_ids"] == [str(cast.worker.pk)]
    assert body["schema"] == SCHEMA


def test_register_again_with_the_same_schema_is_idempotent(cast, client_for):
    client = client_for(cast.owner)
    register(client)
    other = WorkerFactory(user=cast.owner)
    response = register(client, worker_id=other.pk)
    assert response.status_code == 200
    assert response.json()["worker_ids"] == [str(other.pk)]
    assert Job.objects.filter(room="lab", name="scale").count() == 1


def test_register_with_a_different_schema_is_409(cast, client_for):
    client = client_for(cast.owner)
    register(client)
    response = register(client, schema={"type": "string"})
    assert response.status_code == 409
    assert response.json()["code"] == "job_schema_conflict"
    assert Job.objects.get(room="lab", name="scale").schema == SCHEMA


@pytest.mark.parametrize(
    "body, field",
    [
        ({"category": "painting"}, "category"),
        ({"name": "a:b"}, "name"),
        ({"name": ""}, "name"),
        ({"schema": [1, 2]}, "schema"),
        ({"worker_id": "x"}, "worker_id"),
        ({"worker_id": 2**63}, "worker_id"),
        ({"worker_id": 7}, "worker_id"),
        ({"worker_id": "01a20ba3-4868-775e-9bdd"}, "worker_id"),
    ],
)
def test_bad_registrations_are_400(cast, client_for, body, field):
    response = register(client_for(cast.owner), **body)
    assert response.status_code == 400
    assert field in response.json()


def test_registering_with_someone_elses_worker_is_404_as_for_an_unknown_one(cast, client_for):
    response = register(client_for(cast.member), worker_id=cast.worker.pk)
    assert response.status_code == 404
    assert response.json()["code"] == "worker_not_found"
    assert not Job.objects.filter(name="scale").exists()


@pytest.mark.parametrize("room", [GLOBAL_ROOM, INTERNAL_ROOM])
def test_shared_rooms_need_a_superuser(cast, client_for, superuser, room):
    refused = register(client_for(cast.owner), room=room)
    assert refused.status_code == 403
    accepted = register(client_for(superuser), room=room)
    assert accepted.status_code == 201
    assert accepted.json()["full_name"] == f"{room}:modifiers:scale"


def test_internal_jobs_are_served_by_the_internal_worker(superuser, client_for):
    response = register(client_for(superuser), room=INTERNAL_ROOM)
    assert len(response.json()["worker_ids"]) == 1


def test_a_soft_deleted_job_comes_back(cast, client_for):
    job = JobFactory(room="lab", name="scale", schema={"old": True}, deleted=True)
    response = register(client_for(cast.owner), worker_id=cast.worker.pk)
    assert response.status_code == 201
    job.refresh_from_db()
    assert job.deleted is False
    assert job.schema == SCHEMA


def test_a_stranger_cannot_register(cast, client_for):
    assert register(client_for(cast.stranger)).status_code == 404
    assert not Job.objects.filter(name="scale").exists()


def test_the_job_list_shows_the_room_and_the_shared_rooms(cast, client_for, internal_convert):
    JobFactory(room=GLOBAL_ROOM, name="energy")
    JobFactory(room=INTERNAL_ROOM, name="convert")
    JobFactory(room="elsewhere", name="secret")
    JobFactory(room="lab", name="gone", deleted=True)
    response = client_for(cast.member).get("/api/jobs/rooms/lab/jobs/")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 3
    names = {item["full_name"] for item in body["items"]}
    assert names == {"lab:modifiers:rotate", "@global:modifiers:energy", "@internal:modifiers:convert"}
    rotate = next(item for item in body["items"] if item["name"] == "rotate")
    assert rotate == {
        "full_name": "lab:modifiers:rotate",
        "category": "modifiers",
        "name": "rotate",
        "worker_ids": [str(cast.worker.pk)],
    }


def test_the_job_list_is_newest_first(cast, client_for):
    newer = JobFactory(room="lab", name="newer")
    items = client_for(cast.member).get("/api/jobs/rooms/lab/jobs/").json()["items"]
    assert [item["name"] for item in items] == [newer.name, "rotate"]


def test_job_detail(cast, client_for):
    response = client_for(cast.member).get(cast.job_url)
    assert response.status_code == 200
    assert response.json()["schema"] == {"type": "object"}
    assert response.json()["worker_ids"] == [str(cast.worker.pk)]


def test_a_global_job_is_visible_from_a_room(cast, client_for):
    job = JobFactory(room=GLOBAL_ROOM, name="energy")
    WorkerJobFactory(job=job)
    response = client_for(cast.member).get(f"/api/jobs/rooms/lab/jobs/{job.full_name}/")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "full_name, status",
    [
        ("lab:modifiers:nothing", 404),
        ("elsewhere:modifiers:rotate", 404),
        ("lab:painting:rotate", 404),
        ("lab:rotate", 400),
        ("lab::rotate", 400),
    ],
)
def test_unknown_or_malformed_jobs(cast, client_for, full_name, status):
    JobFactory(room="elsewhere", name="rotate")
    response = client_for(cast.member).get(f"/api/jobs/rooms/lab/jobs/{full_name}/")
    assert response.status_code == status


def test_a_stranger_sees_no_jobs(cast, client_for):
    client = client_for(cast.stranger)
    assert client.get("/api/jobs/rooms/lab/jobs/").status_code == 404
    assert client.get(cast.job_url).status_code == 404


def test_a_deleted_job_has_no_detail(cast, client_for):
    Job.objects.filter(pk=cast.job.pk).update(deleted=True)
    assert client_for(cast.member).get(cast.job_url).status_code == 404
    assert WorkerJob.objects.filter(job=cast.job).exists()
