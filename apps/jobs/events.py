"""Channel-group names and event payloads of the job queue (sent on commit via apps.core.realtime)."""

from __future__ import annotations

from uuid import UUID

from apps.core.realtime import broadcast
from apps.jobs.builders import task_event_from_model
from apps.jobs.models import SHARED_ROOMS, Job, Task

SHARED_JOBS_GROUP = "jobs.shared"


def room_group(room: str) -> str:
    # Channels group names allow only letters, digits, '-', '_' and '.': the shared rooms share one group.
    return SHARED_JOBS_GROUP if room in SHARED_ROOMS else f"jobs.room.{room}"


def task_group(task_id: UUID | str) -> str:
    return f"jobs.task.{task_id}"


def user_group(user_id: int) -> str:
    return f"jobs.user.{user_id}"


def task_event_data(task: Task) -> dict:
    """The task as the API shows it, without its payload (events stay small; GET the task for it)."""
    return task_event_from_model(task)  # the serializer's JSON without building one per event (issue 9)


def task_status_changed(task: Task) -> None:
    """`task.status` to the task's room and to long-polls waiting on the task, after commit."""
    data = task_event_data(task)
    broadcast(room_group(task.room), "task.status", data)
    broadcast(task_group(task.id), "task.status", data)


def task_available(task: Task, *, owner_ids: list[int]) -> None:
    """`task.available` to the owners of the job's workers, after commit."""
    data = {"id": str(task.id), "job_name": task.job.full_name, "room": task.room}
    for owner_id in owner_ids:
        broadcast(user_group(owner_id), "task.available", data)


def jobs_invalidate(job: Job) -> None:
    """`jobs.invalidate` to the job's room (every room for a shared job), after commit."""
    broadcast(room_group(job.room), "jobs.invalidate", {"room": job.room, "full_name": job.full_name})
