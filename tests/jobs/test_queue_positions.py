"""Queue positions from the page query and from the single-task query equal a brute-force ranking,
after any sequence of submits, claims and cancels (hypothesis, bounded)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.jobs import selectors, services
from apps.jobs.models import Job, Task, TaskStatus, Worker
from tests.jobs.factories import JobFactory, WorkerFactory, WorkerJobFactory

pytestmark = pytest.mark.django_db

steps = st.lists(
    st.tuples(st.sampled_from(["submit", "claim", "cancel"]), st.integers(min_value=0, max_value=1)),
    min_size=1,
    max_size=15,
)


def brute_force_positions() -> dict[int, int]:
    positions = {}
    for job_id in set(Task.objects.values_list("job_id", flat=True)):
        queue = Task.objects.filter(job_id=job_id, status=TaskStatus.PENDING).order_by("created_at", "id")
        positions.update({task_id: rank for rank, task_id in enumerate(queue.values_list("id", flat=True), 1)})
    return positions


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_positions_match_a_brute_force_ranking(cast, steps):
    # the examples share one test transaction: start each from an empty queue
    Task.objects.all().delete()
    second = Job.objects.filter(room="lab", name="second").first() or JobFactory(room="lab", name="second")
    jobs = [cast.job, second]
    other = Worker.objects.filter(job_links__job=second).first()
    if other is None:
        other = WorkerFactory(user=cast.owner)
        WorkerJobFactory(worker=other, job=second)
    workers = [cast.worker, other]
    for action, which in steps:
        if action == "submit":
            services.task_submit(user=cast.member, room="lab", job=jobs[which], payload={})
        elif action == "claim":
            services.task_claim(user=cast.owner, worker_id=workers[which].pk)
        else:
            task = Task.objects.filter(status=TaskStatus.PENDING, job=jobs[which]).order_by("-id").first()
            if task is not None:
                services.task_status_change(user=cast.member, task_id=task.pk, status="cancelled")

    expected = brute_force_positions()
    page = list(selectors.task_rows_for_room(room="lab"))
    assert selectors.queue_positions_for_rows(page) == expected
    for row in page:
        single = selectors.task_get(user=cast.member, pk=row["id"]).queue_position
        assert single == expected.get(row["id"])
