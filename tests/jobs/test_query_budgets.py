"""Every list endpoint answers in the same number of queries for 1 row and for 50 rows."""

import pytest

from apps.jobs.models import GLOBAL_ROOM, INTERNAL_ROOM, Task, TaskStatus
from apps.jobs.selectors import submitted_task_followup, worker_owner_ids_for_job
from apps.jobs.services import internal_worker_get
from tests.accounts.factories import UserFactory
from tests.jobs.factories import JobFactory, TaskFactory, WorkerFactory, WorkerJobFactory
from tests.querybudget import assert_queries, assert_query_budget, declared, page_size

pytestmark = pytest.mark.django_db


def test_room_tasks_budget(cast, client_for):
    client = client_for(cast.member)
    jobs = [cast.job, JobFactory(room="lab"), JobFactory(room=GLOBAL_ROOM)]

    def add_rows(n):
        for i in range(n):
            status = TaskStatus.PENDING if i % 2 == 0 else TaskStatus.COMPLETED
            TaskFactory(job=jobs[i % 3], room="lab", status=status)

    # auth token, room access, count, page (job joined), queue positions (one ROW_NUMBER query)
    assert_query_budget(
        request=lambda: client.get("/api/jobs/rooms/lab/tasks/"),
        add_rows=add_rows,
        budget=declared("GET", "/api/jobs/rooms/lab/tasks/"),
        expect_items=page_size,
    )


def test_job_tasks_budget(cast, client_for):
    client = client_for(cast.member)
    # auth token, room access, job, count, page (job joined), queue positions
    assert_query_budget(
        request=lambda: client.get(cast.job_url + "tasks/"),
        add_rows=lambda n: [TaskFactory(job=cast.job, room="lab") for _ in range(n)],
        budget=declared("GET", cast.job_url + "tasks/"),
        expect_items=page_size,
    )


def test_room_jobs_budget(cast, client_for):
    client = client_for(cast.member)
    cast.job.delete()

    def add_rows(n):
        for _ in range(n):
            job = JobFactory(room="lab")
            WorkerJobFactory(job=job, worker=cast.worker)
            WorkerJobFactory(job=job)

    # auth token, room access, count, page, worker links of the page
    assert_query_budget(
        request=lambda: client.get("/api/jobs/rooms/lab/jobs/"),
        add_rows=add_rows,
        budget=declared("GET", "/api/jobs/rooms/lab/jobs/"),
        expect_items=page_size,
    )


def test_my_workers_budget(client_for, user):
    client = client_for(user)

    def add_rows(n):
        for _ in range(n):
            WorkerJobFactory(worker=WorkerFactory(user=user), job=JobFactory(room="lab"))

    # auth token, count, page (job counts in the page query)
    assert_query_budget(
        request=lambda: client.get("/api/jobs/workers/"),
        add_rows=add_rows,
        budget=declared("GET", "/api/jobs/workers/"),
        expect_items=page_size,
    )


def test_room_workers_budget(cast, client_for):
    client = client_for(cast.member)
    cast.worker.delete()

    def add_rows(n):
        for _ in range(n):
            WorkerJobFactory(job=cast.job)

    # auth token, room access, count, page (job counts in the page query)
    assert_query_budget(
        request=lambda: client.get("/api/jobs/rooms/lab/workers/"),
        add_rows=add_rows,
        budget=declared("GET", "/api/jobs/rooms/lab/workers/"),
        expect_items=page_size,
    )


def test_task_detail_budget(cast, client_for):
    task = TaskFactory(job=cast.job, room="lab")
    client = client_for(cast.member)
    # auth token, task (visibility, job, worker and queue position in one query)
    url = f"/api/jobs/tasks/{task.pk}/"
    response = assert_queries(lambda: client.get(url), declared("GET", url).queries)
    assert response.status_code == 200


def test_submit_budget(cast, client_for):
    client = client_for(cast.member)
    # auth token, room access, job, insert, queue position with the owners of the job's workers
    # (one query); the costliest submit is an @internal job's (test_internal_submit_budget)
    url = cast.job_url + "tasks/"
    response = assert_queries(lambda: client.post(url, {"payload": {}}, format="json"), declared("POST", url).fewest)
    assert response.status_code == 202
    # a room nobody has yet is created first (room get_or_create, membership INSERT): 3 more
    shared = JobFactory(room="@global", name="energy", schema={})
    first_use = f"/api/jobs/rooms/brandnew/jobs/{shared.full_name}/tasks/"
    response = assert_queries(
        lambda: client.post(first_use, {"payload": {}}, format="json"), declared("POST", url).fewest + 3
    )
    assert response.status_code == 202


def test_internal_submit_budget(cast, client_for, internal_convert):
    job = JobFactory(room=INTERNAL_ROOM, name="convert")
    internal_worker_get()  # created once, by the first internal task ever
    client = client_for(cast.member)
    # auth token, room access, job, the internal user and its worker, insert (claimed at once)
    url = f"/api/jobs/rooms/lab/jobs/{job.full_name}/tasks/"
    response = assert_queries(
        lambda: client.post(url, {"payload": {}}, format="json"), declared("POST", url).queries - 3
    )
    assert response.status_code == 202
    # the costliest path: an @internal job submitted to a room nobody has yet
    first_use = f"/api/jobs/rooms/brandnew/jobs/{job.full_name}/tasks/"
    response = assert_queries(
        lambda: client.post(first_use, {"payload": {}}, format="json"), declared("POST", url).queries
    )
    assert response.status_code == 202


def test_submit_tells_the_owners_of_the_jobs_workers_and_gives_the_queue_position(cast, client_for):
    other_owner = UserFactory()
    WorkerJobFactory(worker=WorkerFactory(user=other_owner), job=cast.job)
    WorkerJobFactory(worker=WorkerFactory(user=other_owner), job=cast.job)  # two workers, one owner
    TaskFactory(job=cast.job, room="lab")  # ahead in the queue
    TaskFactory(job=JobFactory(room="lab"), room="lab")  # another job's queue
    response = client_for(cast.member).post(cast.job_url + "tasks/", {"payload": {}}, format="json")
    assert response.status_code == 202
    assert response.json()["queue_position"] == 2

    task = Task.objects.get(pk=response.json()["id"])
    position, owners = submitted_task_followup(task=task)
    assert position == 2
    assert sorted(owners) == sorted(worker_owner_ids_for_job(job=cast.job))
    assert other_owner.pk in owners and len(owners) == len(set(owners))


def test_claim_budget(cast, client_for):
    TaskFactory(job=cast.job, room="lab")
    client = client_for(cast.owner)
    # auth token, worker heartbeat (ownership), the worker's job ids,
    # oldest pending task with its job (FOR UPDATE SKIP LOCKED), conditional UPDATE
    url = "/api/jobs/tasks/claim/"
    response = assert_queries(
        lambda: client.post(url, {"worker_id": cast.worker.pk}, format="json"), declared("POST", url).queries
    )
    assert response.json()["task"] is not None


def test_status_change_budget(cast, client_for):
    task = TaskFactory(job=cast.job, room="lab", worker=cast.worker, status=TaskStatus.CLAIMED)
    client = client_for(cast.owner)
    # auth token, task (visibility, job, worker), conditional UPDATE
    url = f"/api/jobs/tasks/{task.pk}/"
    response = assert_queries(
        lambda: client.patch(url, {"status": "running"}, format="json"), declared("PATCH", url).queries
    )
    assert response.status_code == 200


def test_room_create_and_member_add(client_for):
    owner, newcomer = UserFactory(), UserFactory()
    client = client_for(owner)
    url = "/api/jobs/rooms/budget/"
    assert assert_queries(lambda: client.put(url), declared("PUT", url).queries).status_code == 201
    members = url + "members/"
    response = assert_queries(
        lambda: client.post(members, {"username": newcomer.username}), declared("POST", members).queries
    )
    assert response.status_code == 201


def test_job_register_new_and_again(cast, client_for):
    client = client_for(cast.owner)
    url = "/api/jobs/rooms/lab/jobs/"
    body = {"category": "modifiers", "name": "fresh", "schema": {}, "worker_id": cast.worker.pk}
    budget = declared("PUT", url)
    # a new job in a room nobody had: + room get_or_create (SELECT, INSERT) and membership INSERT
    first_use = "/api/jobs/rooms/brandnew/jobs/"
    assert assert_queries(lambda: client.put(first_use, body), budget.queries).status_code == 201
    assert assert_queries(lambda: client.put(url, body), budget.queries - 3).status_code == 201
    assert assert_queries(lambda: client.put(url, body), budget.fewest).status_code == 200


def test_worker_register_heartbeat_and_disconnect(cast, client_for):
    TaskFactory(job=cast.job, room="lab", worker=cast.worker, status=TaskStatus.RUNNING)
    client = client_for(cast.owner)
    assert assert_queries(lambda: client.post("/api/jobs/workers/"), declared("POST", "/api/jobs/workers/").queries)
    url = f"/api/jobs/workers/{cast.worker.pk}/"
    assert assert_queries(lambda: client.patch(url), declared("PATCH", url).queries).status_code == 200
    # token, worker locked, held tasks locked, their UPDATE, job links, DELETE (with its
    # cascades), orphaned jobs locked, their UPDATE
    assert assert_queries(lambda: client.delete(url), declared("DELETE", url).queries).status_code == 204
