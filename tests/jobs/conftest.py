"""The job-queue cast, as in healthchecks: an owner, a member and a stranger around one room."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from apps.jobs.models import Job, Room, Worker
from tests.accounts.factories import UserFactory
from tests.jobs.factories import JobFactory, RoomFactory, RoomMemberFactory, WorkerFactory, WorkerJobFactory

ROOM = "lab"


@dataclass
class Cast:
    room: Room
    owner: object  # runs the worker
    member: object  # submits tasks
    stranger: object  # in no room
    worker: Worker
    job: Job

    @property
    def job_url(self) -> str:
        return f"/api/jobs/rooms/{ROOM}/jobs/{self.job.full_name}/"


@pytest.fixture
def cast(db) -> Cast:
    owner, member, stranger = UserFactory(), UserFactory(), UserFactory()
    room = RoomFactory(name=ROOM, created_by=owner)
    RoomMemberFactory(room=room, user=owner)
    RoomMemberFactory(room=room, user=member)
    job = JobFactory(room=ROOM, name="rotate")
    worker = WorkerFactory(user=owner)
    WorkerJobFactory(worker=worker, job=job)
    return Cast(room=room, owner=owner, member=member, stranger=stranger, worker=worker, job=job)


@pytest.fixture
def eager_celery():
    """Celery tasks run in-process at `.delay()`, as in the embedded default (tests run with REDIS_URL)."""
    from config.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture
def internal_convert():
    """A test-only internal job `@internal:modifiers:convert` (doubles `x`), registered for the test."""
    from apps.jobs import internal

    @internal.internal_job(category="modifiers", name="convert", schema={"type": "object"})
    def convert(payload):
        return {"x": payload.get("x", 0) * 2}

    yield internal.get("@internal:modifiers:convert")
    internal.unregister("@internal:modifiers:convert")
