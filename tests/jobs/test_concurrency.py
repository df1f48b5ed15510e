"""Eight threads claim 500 tasks through real transactions: each task is claimed exactly once."""

import threading
from collections import Counter

import pytest
from django.db import connection

from apps.jobs.models import Task, TaskStatus
from apps.jobs.services import task_claim
from tests.accounts.factories import UserFactory
from tests.jobs.factories import JobFactory, WorkerFactory, WorkerJobFactory

# PostgreSQL: the in-memory SQLite test database cannot be shared by threads (table locks, no busy wait).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.postgres]

THREADS = 8
TASKS = 500


def test_eight_workers_claim_five_hundred_tasks_exactly_once():
    owner, submitter = UserFactory(), UserFactory()
    jobs = [JobFactory(room="lab", name="a"), JobFactory(room="lab", name="b")]
    workers = [WorkerFactory(user=owner) for _ in range(THREADS)]
    for i, worker in enumerate(workers):
        WorkerJobFactory(worker=worker, job=jobs[0])
        if i % 2:  # half the workers serve both jobs: both claim plans race
            WorkerJobFactory(worker=worker, job=jobs[1])
    Task.objects.bulk_create(
        [Task(job=jobs[i % 2], room="lab", created_by=submitter, payload={"i": i}) for i in range(TASKS)]
    )
    claimed: dict[int, list[int]] = {worker.pk: [] for worker in workers}
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def run(worker_id: int) -> None:
        try:
            start.wait()
            while (task := task_claim(user=owner, worker_id=worker_id)) is not None:
                claimed[worker_id].append(task.pk)
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(worker.pk,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    all_claims = [task_id for ids in claimed.values() for task_id in ids]
    assert len(all_claims) == TASKS
    assert len(set(all_claims)) == TASKS  # nobody claimed a task twice
    assert Task.objects.filter(status=TaskStatus.PENDING).count() == 0  # none left behind
    assert Task.objects.filter(status=TaskStatus.CLAIMED).count() == TASKS
    holders = dict(Task.objects.values_list("id", "worker_id"))
    for worker_id, ids in claimed.items():
        assert all(holders[task_id] == worker_id for task_id in ids)
    assert sum(1 for ids in claimed.values() if ids) > 1, Counter({k: len(v) for k, v in claimed.items()})
