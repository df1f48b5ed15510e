"""Claim leases: a claim never moved to running goes back to the queue; a repeated transition is a 200.
Real transactions (events are sent on commit), real threads, the real channels-redis layer."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from apps.jobs import services
from apps.jobs.models import Task, TaskStatus
from apps.jobs.selectors import task_get
from tests.jobs.test_consumers import connect, make_cast

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


def lapse(task_id, settings, by: int = 5) -> None:
    Task.objects.filter(pk=task_id).update(
        claimed_at=timezone.now() - timedelta(seconds=settings.JOBS_CLAIM_LEASE_S + by)
    )


async def test_a_claim_never_acknowledged_goes_back_at_its_old_place_with_its_event(settings):
    cast = await make_cast()
    submit = sync_to_async(services.task_submit, thread_sensitive=False)
    older = await submit(user=cast["member"], room="lab", job=cast["job"], payload={"n": 1})
    newer = await submit(user=cast["member"], room="lab", job=cast["job"], payload={"n": 2})
    claimed = await sync_to_async(services.task_claim, thread_sensitive=False)(
        user=cast["owner"], worker_id=cast["worker"].pk
    )
    assert claimed.pk == older.pk and claimed.claimed_at is not None
    socket = await connect("lab", cast["tokens"]["member"])
    try:
        await socket.receive_json_from()  # subscribed

        await sync_to_async(lapse, thread_sensitive=False)(older.pk, settings)
        released = await sync_to_async(services.claims_release_lapsed, thread_sensitive=False)()

        assert released == 1
        event = await socket.receive_json_from(timeout=10)
        while (event["data"].get("id"), event["data"].get("status")) != (str(older.pk), "pending"):
            event = await socket.receive_json_from(timeout=10)  # the claims' own events may arrive first
    finally:
        await socket.disconnect()  # also when an event is missing: no socket outlives the test
    assert event["type"] == "task.status"
    assert (event["data"]["id"], event["data"]["status"]) == (str(older.pk), "pending")
    assert event["data"]["worker_id"] is None and event["data"]["queue_position"] == 1
    back = await sync_to_async(task_get, thread_sensitive=False)(user=cast["member"], pk=older.pk)
    assert (back.status, back.worker_id, back.claimed_at, back.queue_position) == (TaskStatus.PENDING, None, None, 1)
    after = await sync_to_async(task_get, thread_sensitive=False)(user=cast["member"], pk=newer.pk)
    assert after.queue_position == 2
    # the next claim gets it again, oldest first
    again = await sync_to_async(services.task_claim, thread_sensitive=False)(
        user=cast["owner"], worker_id=cast["worker"].pk
    )
    assert again.pk == older.pk


def test_a_fresh_claim_a_running_task_and_internal_tasks_are_not_released(settings):
    from tests.accounts.factories import UserFactory
    from tests.jobs.factories import JobFactory, RoomFactory, RoomMemberFactory, WorkerFactory, WorkerJobFactory

    owner = UserFactory()
    RoomMemberFactory(room=RoomFactory(name="lab", created_by=owner), user=owner)
    job = JobFactory(room="lab", name="rotate")
    worker = WorkerFactory(user=owner)
    WorkerJobFactory(worker=worker, job=job)
    fresh = services.task_submit(user=owner, room="lab", job=job, payload={})
    running = services.task_submit(user=owner, room="lab", job=job, payload={})
    services.task_claim(user=owner, worker_id=worker.pk)
    services.task_claim(user=owner, worker_id=worker.pk)
    services.task_status_change(user=owner, task_id=running.pk, status=TaskStatus.RUNNING)
    lapse(running.pk, settings)

    call_command("jobs_sweep", stdout=__import__("io").StringIO())

    assert Task.objects.get(pk=fresh.pk).status == TaskStatus.CLAIMED
    assert Task.objects.get(pk=running.pk).status == TaskStatus.RUNNING


def test_a_worker_acknowledging_while_the_sweep_runs_wins_or_loses_cleanly(settings):
    """Many lapsed claims; the worker moves them to running while the sweep releases them, in
    real concurrent transactions: each task ends either running (the worker won) or pending
    (the sweep won, and the worker got a 409), never both, never lost."""
    from tests.accounts.factories import UserFactory
    from tests.jobs.factories import JobFactory, RoomFactory, RoomMemberFactory, WorkerFactory, WorkerJobFactory

    owner = UserFactory()
    RoomMemberFactory(room=RoomFactory(name="lab", created_by=owner), user=owner)
    job = JobFactory(room="lab", name="rotate")
    worker = WorkerFactory(user=owner)
    WorkerJobFactory(worker=worker, job=job)
    tasks = [services.task_submit(user=owner, room="lab", job=job, payload={}) for _ in range(40)]
    for _ in tasks:
        services.task_claim(user=owner, worker_id=worker.pk)
    Task.objects.update(claimed_at=timezone.now() - timedelta(seconds=settings.JOBS_CLAIM_LEASE_S + 5))
    outcomes: dict = {}

    def acknowledge() -> None:
        from apps.core.exceptions import ApplicationError

        try:
            for task in tasks:
                try:
                    services.task_status_change(user=owner, task_id=task.pk, status=TaskStatus.RUNNING)
                    outcomes[task.pk] = "running"
                except ApplicationError as exc:
                    outcomes[task.pk] = exc.code
        finally:
            connection.close()

    def sweep() -> None:
        try:
            outcomes["released"] = services.claims_release_lapsed()
        finally:
            connection.close()

    threads = [threading.Thread(target=acknowledge), threading.Thread(target=sweep)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    final = dict(Task.objects.values_list("id", "status"))
    running = [pk for pk, status in final.items() if status == TaskStatus.RUNNING]
    pending = [pk for pk, status in final.items() if status == TaskStatus.PENDING]
    assert len(running) + len(pending) == 40
    assert outcomes["released"] == len(pending)
    for pk in running:
        assert outcomes[pk] == "running"
    for pk in pending:
        assert outcomes[pk] in ("task_changed", "invalid_transition")
        assert Task.objects.get(pk=pk).worker_id is None


def test_a_lost_patch_answer_retried_is_a_200_that_changes_nothing():
    from tests.accounts.factories import UserFactory
    from tests.jobs.factories import JobFactory, RoomFactory, RoomMemberFactory, WorkerFactory, WorkerJobFactory

    owner = UserFactory()
    RoomMemberFactory(room=RoomFactory(name="lab", created_by=owner), user=owner)
    job = JobFactory(room="lab", name="rotate")
    worker = WorkerFactory(user=owner)
    WorkerJobFactory(worker=worker, job=job)
    task = services.task_submit(user=owner, room="lab", job=job, payload={})
    services.task_claim(user=owner, worker_id=worker.pk)
    first = services.task_status_change(user=owner, task_id=task.pk, status=TaskStatus.RUNNING)
    stored = Task.objects.values().get(pk=task.pk)
    again = services.task_status_change(user=owner, task_id=task.pk, status=TaskStatus.RUNNING)
    assert again.started_at == first.started_at
    assert Task.objects.values().get(pk=task.pk) == stored
