from datetime import timedelta

import pytest
from django.utils import timezone

from apps.jobs.models import Job, Task, TaskStatus, Worker
from tests.jobs.factories import JobFactory, TaskFactory, WorkerFactory, WorkerJobFactory

pytestmark = pytest.mark.django_db


def test_create_a_worker(client_for, user):
    response = client_for(user).post("/api/jobs/workers/")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "last_heartbeat"}
    assert Worker.objects.get(pk=body["id"]).user == user


def test_heartbeat_moves_last_heartbeat(cast, client_for):
    Worker.objects.filter(pk=cast.worker.pk).update(last_heartbeat=timezone.now() - timedelta(minutes=5))
    before = Worker.objects.get(pk=cast.worker.pk).last_heartbeat
    response = client_for(cast.owner).patch(f"/api/jobs/workers/{cast.worker.pk}/")
    assert response.status_code == 200
    assert Worker.objects.get(pk=cast.worker.pk).last_heartbeat > before


def test_a_stranger_cannot_heartbeat_or_delete_a_worker(cast, client_for):
    for client in (client_for(cast.stranger), client_for(cast.member)):
        assert client.patch(f"/api/jobs/workers/{cast.worker.pk}/").status_code == 404
        assert client.delete(f"/api/jobs/workers/{cast.worker.pk}/").status_code == 404
    assert Worker.objects.filter(pk=cast.worker.pk).exists()


def test_huge_and_unknown_worker_ids_are_404(client_for, user):
    client = client_for(user)
    assert client.patch("/api/jobs/workers/99999999999999999999999/").status_code == 404
    assert client.delete("/api/jobs/workers/123456/").status_code == 404


def test_delete_fails_held_tasks_and_soft_deletes_orphaned_jobs(cast, client_for):
    claimed = TaskFactory(job=cast.job, room="lab", worker=cast.worker, status=TaskStatus.CLAIMED)
    running = TaskFactory(job=cast.job, room="lab", worker=cast.worker, status=TaskStatus.RUNNING)
    done = TaskFactory(job=cast.job, room="lab", worker=cast.worker, status=TaskStatus.COMPLETED)
    busy_job = JobFactory(room="lab", name="busy")
    WorkerJobFactory(worker=cast.worker, job=busy_job)
    pending = TaskFactory(job=busy_job, room="lab")
    shared_job = JobFactory(room="lab", name="shared")
    WorkerJobFactory(worker=cast.worker, job=shared_job)
    WorkerJobFactory(job=shared_job)  # another worker still serves it

    response = client_for(cast.owner).delete(f"/api/jobs/workers/{cast.worker.pk}/")

    assert response.status_code == 204
    assert not Worker.objects.filter(pk=cast.worker.pk).exists()
    for task in (claimed, running):
        task.refresh_from_db()
        assert task.status == TaskStatus.FAILED
        assert task.error == "Worker disconnected"
        assert task.completed_at is not None
    done.refresh_from_db()
    pending.refresh_from_db()
    assert done.status == TaskStatus.COMPLETED
    assert pending.status == TaskStatus.PENDING
    assert Job.objects.get(pk=cast.job.pk).deleted is True  # no worker, no pending task
    assert Job.objects.get(pk=busy_job.pk).deleted is False  # a pending task waits for it
    assert Job.objects.get(pk=shared_job.pk).deleted is False  # another worker serves it


def test_my_workers_with_job_counts(cast, client_for):
    WorkerJobFactory(worker=cast.worker, job=JobFactory(room="lab"))
    WorkerJobFactory(worker=cast.worker, job=JobFactory(room="lab", deleted=True))
    WorkerFactory()  # someone else's
    response = client_for(cast.owner).get("/api/jobs/workers/")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1
    assert body["items"][0]["id"] == str(cast.worker.pk)
    assert body["items"][0]["job_count"] == 2


def test_a_stranger_lists_only_their_own_workers(cast, client_for):
    body = client_for(cast.stranger).get("/api/jobs/workers/").json()
    assert body == {"items": [], "total": 0, "limit": 50, "offset": 0}


def test_room_workers(cast, client_for):
    WorkerJobFactory(job=JobFactory(room="elsewhere"))  # not this room's
    idle = WorkerFactory(user=cast.owner)  # serves nothing
    response = client_for(cast.member).get("/api/jobs/rooms/lab/workers/")
    assert response.status_code == 200
    ids = [item["id"] for item in response.json()["items"]]
    assert ids == [str(cast.worker.pk)]
    assert idle.pk not in ids


def test_a_stranger_cannot_list_room_workers(cast, client_for):
    assert client_for(cast.stranger).get("/api/jobs/rooms/lab/workers/").status_code == 404


def test_bad_pagination_is_400(cast, client_for):
    client = client_for(cast.owner)
    assert client.get("/api/jobs/workers/?limit=0").status_code == 400
    assert client.get("/api/jobs/workers/?limit=abc").status_code == 400
    assert client.get("/api/jobs/workers/?offset=-1").status_code == 400
    assert Task.objects.count() == 0
