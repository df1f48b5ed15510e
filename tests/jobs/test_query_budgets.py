"""Every list endpoint answers in the same number of queries for 1 row and for 50 rows."""

import pytest

from apps.jobs.models import GLOBAL_ROOM, TaskStatus
from tests.jobs.factories import JobFactory, TaskFactory, WorkerFactory, WorkerJobFactory
from tests.querybudget import assert_query_budget, count_queries, page_size

pytestmark = pytest.mark.django_db


def count_write_queries(call):
    """Queries of a write, without the SAVEPOINT pair the test's own transaction adds around
    the service's atomic block (in production it is the outermost block: BEGIN/COMMIT only)."""
    _, response, sql = count_queries(call)
    statements = [q for q in sql if "SAVEPOINT" not in q]
    return len(statements), response, statements


def test_room_tasks_budget(cast, client_for):
    client = client_for(cast.member)
    jobs = [cast.job, JobFactory(room="lab"), JobFactory(room=GLOBAL_ROOM)]

    def add_rows(n):
        for i in range(n):
            status = TaskStatus.PENDING if i % 2 == 0 else TaskStatus.COMPLETED
            TaskFactory(job=jobs[i % 3], room="lab", status=status)

    # auth token, room access, count, page (job joined), queue positions (one ROW_NUMBER query)
    assert_query_budget(
        request=lambda: client.get("/api/jobs/rooms/lab/tasks/"), add_rows=add_rows, budget=5, expect_items=page_size
    )


def test_job_tasks_budget(cast, client_for):
    client = client_for(cast.member)
    # auth token, room access, job, count, page (job joined), queue positions
    assert_query_budget(
        request=lambda: client.get(cast.job_url + "tasks/"),
        add_rows=lambda n: [TaskFactory(job=cast.job, room="lab") for _ in range(n)],
        budget=6,
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
        request=lambda: client.get("/api/jobs/rooms/lab/jobs/"), add_rows=add_rows, budget=5, expect_items=page_size
    )


def test_my_workers_budget(client_for, user):
    client = client_for(user)

    def add_rows(n):
        for _ in range(n):
            WorkerJobFactory(worker=WorkerFactory(user=user), job=JobFactory(room="lab"))

    # auth token, count, page (job counts in the page query)
    assert_query_budget(
        request=lambda: client.get("/api/jobs/workers/"), add_rows=add_rows, budget=3, expect_items=page_size
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
        budget=4,
        expect_items=page_size,
    )


def test_task_detail_budget(cast, client_for):
    task = TaskFactory(job=cast.job, room="lab")
    client = client_for(cast.member)
    # auth token, task (visibility, job, worker and queue position in one query)
    count, response, sql = count_queries(lambda: client.get(f"/api/jobs/tasks/{task.pk}/"))
    assert response.status_code == 200
    assert count == 2, sql


def test_submit_budget(cast, client_for):
    client = client_for(cast.member)
    # auth token, room access, job, insert, queue position, owners of the job's workers
    count, response, sql = count_write_queries(
        lambda: client.post(cast.job_url + "tasks/", {"payload": {}}, format="json")
    )
    assert response.status_code == 202
    assert count == 6, "\n".join(sql)


def test_claim_budget(cast, client_for):
    TaskFactory(job=cast.job, room="lab")
    client = client_for(cast.owner)
    # auth token, worker heartbeat (ownership), the worker's job ids,
    # oldest pending task with its job (FOR UPDATE SKIP LOCKED), conditional UPDATE
    count, response, sql = count_write_queries(
        lambda: client.post("/api/jobs/tasks/claim/", {"worker_id": cast.worker.pk}, format="json")
    )
    assert response.json()["task"] is not None
    assert count == 5, "\n".join(sql)


def test_status_change_budget(cast, client_for):
    task = TaskFactory(job=cast.job, room="lab", worker=cast.worker, status=TaskStatus.CLAIMED)
    client = client_for(cast.owner)
    # auth token, task (visibility, job, worker), conditional UPDATE
    count, response, sql = count_write_queries(
        lambda: client.patch(f"/api/jobs/tasks/{task.pk}/", {"status": "running"}, format="json")
    )
    assert response.status_code == 200
    assert count == 3, "\n".join(sql)
