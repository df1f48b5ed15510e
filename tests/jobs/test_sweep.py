from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.jobs.models import INTERNAL_ROOM, Job, Task, TaskStatus, Worker
from apps.jobs.services import internal_worker_get, task_submit
from apps.jobs.tasks import sweep_stale_workers
from tests.jobs.factories import JobFactory, TaskFactory, WorkerFactory, WorkerJobFactory

pytestmark = pytest.mark.django_db


def make_stale(worker, settings):
    Worker.objects.filter(pk=worker.pk).update(
        last_heartbeat=timezone.now() - timedelta(seconds=settings.JOBS_WORKER_TIMEOUT + 5)
    )


def test_jobs_sweep_disconnects_stale_workers_only(cast, settings):
    running = TaskFactory(job=cast.job, room="lab", worker=cast.worker, status=TaskStatus.RUNNING)
    fresh = WorkerFactory()
    fresh_task = TaskFactory(job=cast.job, room="lab", worker=fresh, status=TaskStatus.CLAIMED)
    make_stale(cast.worker, settings)
    out = StringIO()

    call_command("jobs_sweep", stdout=out)

    assert "Swept 1 stale worker(s)." in out.getvalue()
    assert not Worker.objects.filter(pk=cast.worker.pk).exists()
    assert Worker.objects.filter(pk=fresh.pk).exists()
    running.refresh_from_db()
    fresh_task.refresh_from_db()
    assert (running.status, running.error) == (TaskStatus.FAILED, "Worker disconnected")
    assert fresh_task.status == TaskStatus.CLAIMED
    assert Job.objects.get(pk=cast.job.pk).deleted is True


def test_the_celery_task_runs_the_same_sweep(cast, settings):
    make_stale(cast.worker, settings)
    assert sweep_stale_workers.name == "apps.jobs.tasks.sweep_stale_workers"
    assert sweep_stale_workers.apply().get() == 1
    assert not Worker.objects.filter(pk=cast.worker.pk).exists()


def test_a_heartbeat_saves_a_worker_from_the_sweep(cast, client_for, settings):
    make_stale(cast.worker, settings)
    client_for(cast.owner).patch(f"/api/jobs/workers/{cast.worker.pk}/")
    call_command("jobs_sweep", stdout=StringIO())
    assert Worker.objects.filter(pk=cast.worker.pk).exists()


def test_the_internal_worker_is_never_swept(cast, settings, internal_convert):
    job = JobFactory(room=INTERNAL_ROOM, name="convert")
    internal = internal_worker_get()
    WorkerJobFactory(worker=internal, job=job)
    task = task_submit(user=cast.member, room="lab", job=job, payload={})
    make_stale(internal, settings)
    call_command("jobs_sweep", stdout=StringIO())
    assert Worker.objects.filter(pk=internal.pk).exists()
    assert Task.objects.get(pk=task.pk).status == TaskStatus.CLAIMED
