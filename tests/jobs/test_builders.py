"""Each hot list's builder writes exactly what its documented serializer writes for the same rows,
and task lists never carry payloads (the detail does)."""

import datetime

import pytest
from django.utils import timezone

from apps.core.renderers import FastJSONRenderer
from apps.jobs import builders, selectors, services
from apps.jobs.models import Job, Task, TaskStatus
from apps.jobs.serializers import JobListItemSerializer, JobTaskEventSerializer, JobTaskListItemSerializer
from tests.jobs.factories import JobFactory, TaskFactory, WorkerFactory, WorkerJobFactory

pytestmark = pytest.mark.django_db


def _json(data) -> bytes:
    return FastJSONRenderer().render(data)


def test_task_list_builder_equals_its_serializer(cast):
    services.task_submit(user=cast.member, room="lab", job=cast.job, payload={"a": 1})
    services.task_submit(user=cast.member, room="lab", job=cast.job, payload={})
    claimed = services.task_claim(user=cast.owner, worker_id=cast.worker.pk)  # started, has a worker
    failed = TaskFactory(job=cast.job, room="lab", status=TaskStatus.FAILED, error='bad "input" \u2028 ✓')
    Task.objects.filter(pk=failed.pk).update(
        completed_at=timezone.now(), created_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    )
    rows = list(selectors.task_rows_for_room(room="lab"))
    assert len(rows) == 3 and claimed is not None
    positions = selectors.queue_positions_for_rows(rows)
    assert list(positions.values()) == [1]  # one pending task left, the others have none
    by_id = Task.objects.select_related("job").in_bulk([row["id"] for row in rows])
    instances = []
    for row in rows:
        task = by_id[row["id"]]
        task.queue_position = positions.get(task.id)
        instances.append(task)
    built = [builders.task_list_item(row, positions) for row in rows]
    assert _json(built) == _json(JobTaskListItemSerializer(instances, many=True).data)


def test_job_list_builder_equals_its_serializer(cast):
    lonely = JobFactory(room="lab", name="lonely")  # no workers
    WorkerJobFactory(worker=WorkerFactory(user=cast.owner), job=cast.job)  # two workers
    rows = list(selectors.job_rows(room="lab"))
    assert {row["id"] for row in rows} == {cast.job.pk, lonely.pk}
    links = selectors.worker_ids_for_jobs([row["id"] for row in rows])
    assert links[lonely.pk] == [] and len(links[cast.job.pk]) == 2
    instances = [Job.objects.prefetch_related(selectors._worker_links()).get(pk=row["id"]) for row in rows]
    built = [builders.job_list_item(row, links[row["id"]]) for row in rows]
    assert _json(built) == _json(JobListItemSerializer(instances, many=True).data)


def test_task_event_builder_equals_its_serializer(cast):
    """Events carry what JobTaskEventSerializer writes, for tasks as the services hold them."""
    submitted = services.task_submit(user=cast.member, room="lab", job=cast.job, payload={"a": 1})
    claimed = services.task_claim(user=cast.owner, worker_id=cast.worker.pk)  # started, has a worker
    failed = TaskFactory(job=cast.job, room="lab", status=TaskStatus.FAILED, error='bad "input" \u2028 ✓')
    failed.completed_at = timezone.now()
    queued = services.task_submit(user=cast.member, room="lab", job=cast.job, payload={})
    queued.queue_position = 1
    assert claimed is not None
    for task in (submitted, claimed, failed, queued):
        assert _json(builders.task_event_from_model(task)) == _json(JobTaskEventSerializer(task).data)
    assert builders.task_event_from_model(queued)["queue_position"] == 1


def test_task_lists_omit_the_payload_and_the_detail_shows_it(cast, client_for):
    big = {"blob": "x" * 10_000}
    task = services.task_submit(user=cast.member, room="lab", job=cast.job, payload=big)
    client = client_for(cast.member)
    for url in ("/api/jobs/rooms/lab/tasks/", f"{cast.job_url}tasks/"):
        response = client.get(url)
        assert response.status_code == 200
        [item] = response.json()["items"]
        assert item["id"] == str(task.pk) and "payload" not in item
        assert len(response.content) < 1000
    assert client.get(f"/api/jobs/tasks/{task.pk}/").json()["payload"] == big
