"""EXPLAIN on PostgreSQL at 100k tasks: the claim, the lists and the queue positions use the indexes."""

import pytest
from django.db import connection

from apps.jobs.models import Task, TaskStatus
from apps.jobs.selectors import QUEUE_POSITIONS_SQL, task_claim_candidates, task_rows_for_job, task_rows_for_room
from tests.accounts.factories import UserFactory
from tests.jobs.factories import JobFactory, WorkerFactory, WorkerJobFactory, bulk_tasks

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.slow]

TASKS = 100_000


@pytest.fixture
def many_tasks():
    """100k tasks over 10 jobs and 20 rooms, one in ten pending, inserted by one statement."""
    user = UserFactory()
    jobs = [JobFactory(room="room0", name=f"job{i}") for i in range(10)]
    worker = WorkerFactory(user=user)
    WorkerJobFactory(worker=worker, job=jobs[3])
    bulk_tasks(
        slots=[(jobs[i % 10], f"room{i % 20}") for i in range(20)],
        n=TASKS,
        created_by=user,
        pending_every=10,
        pending_at=3,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE jobs_workerjob")
    return {"jobs": jobs, "worker": worker}


def explain_sql(sql: str, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_claim_walks_the_pending_index_in_order(many_tasks):
    plan = task_claim_candidates(job_ids=[many_tasks["jobs"][3].pk])[:1].explain()
    assert "jobs_task_pending_idx" in plan, plan
    assert "LockRows" in plan, plan
    assert "Sort" not in plan, plan  # the first lockable row in index order, not a sort of the queue


def test_claim_over_several_jobs_reads_the_pending_index(many_tasks):
    plan = task_claim_candidates(job_ids=[job.pk for job in many_tasks["jobs"][:3]])[:1].explain()
    assert "jobs_task_pending_idx" in plan, plan
    assert "Seq Scan on jobs_task" not in plan, plan


def test_room_list_reads_the_room_index_in_order(many_tasks):
    plan = task_rows_for_room(room="room7")[:50].explain()
    assert "jobs_task_room_created_idx" in plan, plan
    assert "Sort" not in plan, plan


def test_room_list_by_status_reads_the_room_status_index(many_tasks):
    plan = task_rows_for_room(room="room7", status=TaskStatus.COMPLETED)[:50].explain()
    assert "jobs_task_room_status_idx" in plan, plan
    assert "Seq Scan on jobs_task" not in plan, plan


def test_room_count_is_an_index_scan(many_tasks):
    plan = Task.objects.filter(room="room7").explain()
    assert "Seq Scan on jobs_task" not in plan, plan
    assert "jobs_task_room" in plan, plan


def test_job_list_by_status_uses_an_index(many_tasks):
    job = many_tasks["jobs"][3]
    plan = task_rows_for_job(job=job, room="room3", status=TaskStatus.PENDING)[:50].explain()
    assert "Seq Scan on jobs_task" not in plan, plan
    assert "jobs_task_" in plan, plan


def test_queue_positions_read_the_pending_index(many_tasks):
    job = many_tasks["jobs"][3]
    ids = list(Task.objects.filter(job=job, status=TaskStatus.PENDING).values_list("id", flat=True)[:50])
    sql = QUEUE_POSITIONS_SQL.format(jobs="%s", tasks=", ".join(["%s"] * len(ids)))
    newest = Task.objects.filter(pk__in=ids).order_by("-created_at").values_list("created_at", flat=True)[0]
    plan = explain_sql(sql, [job.pk, newest, *ids])
    assert "jobs_task_pending_idx" in plan, plan
    assert "Seq Scan on jobs_task" not in plan, plan
