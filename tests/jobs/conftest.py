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
