"""`@internal` jobs run on Celery: registry, success, failure, time limit, and their events on the
room's WebSocket (real transactions, the real channels-redis layer; Celery eager, as embedded)."""

from __future__ import annotations

import time

import pytest
from asgiref.sync import sync_to_async

from apps.jobs import internal, services
from apps.jobs.exceptions import InternalJobNotConfigured
from apps.jobs.models import INTERNAL_ROOM, INTERNAL_USERNAME, Job, Task, TaskStatus
from apps.jobs.tasks import run_internal_task
from tests.jobs.factories import JobFactory
from tests.jobs.test_consumers import connect, make_cast

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


@pytest.fixture
def test_jobs():
    """Internal jobs that fail and that sleep, registered for the test only."""

    @internal.internal_job(category="analysis", name="explode", schema={})
    def explode(payload):
        raise RuntimeError(f"boom {payload.get('n')}")

    @internal.internal_job(category="analysis", name="sleepy", schema={"type": "object"})
    def sleepy(payload):
        time.sleep(payload.get("seconds", 3))
        return {"slept": True}

    services.internal_jobs_sync()
    yield
    internal.unregister("@internal:analysis:explode")
    internal.unregister("@internal:analysis:sleepy")


def test_the_shipped_jobs_are_registered_and_synced():
    names = {spec.full_name for spec in internal.registered()}
    assert {"@internal:analysis:payload_stats", "@internal:analysis:describe_numbers"} <= names
    jobs = services.internal_jobs_sync()
    assert {job.full_name for job in jobs} == names
    stored = Job.objects.get(room=INTERNAL_ROOM, name="describe_numbers")
    assert stored.schema == internal.get("@internal:analysis:describe_numbers").schema
    assert stored.worker_links.get().worker.user.username == INTERNAL_USERNAME
    # a job no longer in the registry is soft-deleted; the sync is idempotent
    JobFactory(room=INTERNAL_ROOM, category="analysis", name="retired")
    services.internal_jobs_sync()
    assert Job.objects.get(room=INTERNAL_ROOM, name="retired").deleted is True


async def run_and_watch(cast, full_name, payload, *, events: int):
    socket = await connect("lab", cast["tokens"]["member"])
    try:
        await socket.receive_json_from()
        response = await sync_to_async(_submit, thread_sensitive=False)(cast, full_name, payload)
        seen = [await socket.receive_json_from(timeout=10) for _ in range(events)]
    finally:
        await socket.disconnect()  # also when an event is missing: no socket outlives the test
    return response, seen


def _submit(cast, full_name, payload):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {cast['tokens']['member']}")
    return client.post(f"/v1/joblib/rooms/lab/tasks/{full_name}", {"payload": payload}, format="json")


async def test_an_internal_job_runs_and_completes_with_its_result(eager_celery):
    cast = await make_cast()
    response, seen = await run_and_watch(
        cast, "@internal:analysis:describe_numbers", {"values": [1, 2, 3, 4]}, events=3
    )
    assert response.status_code == 202, response.content
    task_id = response.json()["id"]
    assert [(event["data"]["id"], event["data"]["status"]) for event in seen] == [
        (task_id, "claimed"),
        (task_id, "running"),
        (task_id, "completed"),
    ]
    task = await sync_to_async(Task.objects.get, thread_sensitive=False)(pk=task_id)
    assert task.result == {"count": 4, "min": 1.0, "max": 4.0, "mean": 2.5, "median": 2.5, "stdev": 1.118033988749895}
    assert task.started_at and task.completed_at and task.error == ""


async def test_payload_stats_summarises_a_payload(eager_celery):
    cast = await make_cast()
    payload = {"a": [1, "two", None], "b": {"c": True}}
    response, seen = await run_and_watch(cast, "@internal:analysis:payload_stats", payload, events=3)
    assert seen[-1]["data"]["status"] == "completed"
    task = await sync_to_async(Task.objects.get, thread_sensitive=False)(pk=response.json()["id"])
    assert task.result == {
        "bytes": 35,  # {"a":[1,"two",null],"b":{"c":true}}
        "depth": 3,
        "keys": ["a", "b"],
        "counts": {"object": 2, "array": 1, "string": 1, "number": 1, "boolean": 1, "null": 1},
    }


async def test_a_failing_function_fails_its_task_with_the_error(eager_celery, test_jobs):
    cast = await make_cast()
    response, seen = await run_and_watch(cast, "@internal:analysis:explode", {"n": 7}, events=3)
    assert seen[-1]["data"]["status"] == "failed"
    assert seen[-1]["data"]["error"] == "RuntimeError: boom 7"
    task = await sync_to_async(Task.objects.get, thread_sensitive=False)(pk=response.json()["id"])
    assert (task.status, task.result) == (TaskStatus.FAILED, None)


async def test_a_function_past_its_time_limit_fails_its_task(eager_celery, test_jobs, settings):
    settings.JOBS_INTERNAL_TIME_LIMIT_S = 1
    cast = await make_cast()
    started = time.monotonic()
    response, seen = await run_and_watch(cast, "@internal:analysis:sleepy", {"seconds": 5}, events=3)
    assert time.monotonic() - started < 4
    assert seen[-1]["data"]["status"] == "failed"
    assert seen[-1]["data"]["error"].startswith("Time limit exceeded")


def test_a_payload_failing_the_internal_schema_is_refused(cast, client_for):
    response = client_for(cast.member).post(
        "/v1/joblib/rooms/lab/tasks/@internal:analysis:describe_numbers", {"payload": {"values": []}}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["type"] == "/v1/problems/invalid-payload"
    assert not Task.objects.exists()


def test_an_internal_job_no_function_runs_is_a_503(cast):
    job = JobFactory(room=INTERNAL_ROOM, category="analysis", name="orphan", schema={})
    with pytest.raises(InternalJobNotConfigured):
        services.task_submit(user=cast.member, room="lab", job=job, payload={})
    assert not Task.objects.exists()


def test_a_cancelled_internal_task_is_not_run(cast, eager_celery, test_jobs):
    job = Job.objects.get(room=INTERNAL_ROOM, name="sleepy")
    task = Task.objects.create(
        job=job, room="lab", created_by=cast.member, status=TaskStatus.CANCELLED, worker=services.internal_worker_get()
    )
    assert run_internal_task.apply(args=[str(task.pk)]).get() is None
    assert Task.objects.get(pk=task.pk).status == TaskStatus.CANCELLED


def test_an_internal_task_stuck_past_its_limit_is_failed_by_the_sweep(cast, settings, test_jobs):
    from datetime import timedelta

    from django.utils import timezone

    job = Job.objects.get(room=INTERNAL_ROOM, name="sleepy")
    long_ago = timezone.now() - timedelta(seconds=settings.JOBS_INTERNAL_TIME_LIMIT_S + settings.JOBS_CLAIM_LEASE_S + 5)
    task = Task.objects.create(
        job=job,
        room="lab",
        created_by=cast.member,
        status=TaskStatus.RUNNING,
        worker=services.internal_worker_get(),
        claimed_at=long_ago,
    )
    assert services.claims_release_lapsed() == 1
    task.refresh_from_db()
    assert task.status == TaskStatus.FAILED and task.error == services.INTERNAL_NOT_FINISHED


def test_a_real_celery_worker_runs_an_internal_task(cast, settings):
    """Not eager: the submission's on-commit `delay()` goes through the Redis broker to a
    `celery worker` process on the test database, which runs the function and completes the task."""
    import os
    import subprocess
    import sys

    from django.db import transaction

    from tests.liveserver import ROOT, _database_url

    env = {**os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": settings.REDIS_URL}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--loglevel", "WARNING"]
        + ["--without-heartbeat", "--without-mingle", "--without-gossip"],
        cwd=ROOT,
        env=env,
    )
    try:
        services.internal_jobs_sync()
        job = Job.objects.get(room=INTERNAL_ROOM, name="describe_numbers")
        with transaction.atomic():
            task = services.task_submit(user=cast.member, room="lab", job=job, payload={"values": [2, 4, 9]})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            task.refresh_from_db()
            if task.status in (TaskStatus.COMPLETED, TaskStatus.FAILED):
                break
            time.sleep(0.2)
        assert task.status == TaskStatus.COMPLETED, (task.status, task.error)
        assert task.result["count"] == 3 and task.result["median"] == 4.0
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
