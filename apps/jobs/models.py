"""The worker job queue: rooms, the jobs workers offer in them, workers and the tasks they run."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.jobs.ids import uuid7

GLOBAL_ROOM = "@global"
INTERNAL_ROOM = "@internal"
SHARED_ROOMS = (GLOBAL_ROOM, INTERNAL_ROOM)
ROOM_NAME_MAX_LENGTH = 64
# Room and job names end up in URLs (`room:category:name`) and channel-group names:
# no colon, slash or whitespace, and a length channels accepts in a group name.
ROOM_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
JOB_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
INTERNAL_USERNAME = "brisk-internal-worker"


class JobCategory(models.TextChoices):
    MODIFIERS = "modifiers"
    SELECTIONS = "selections"
    ANALYSIS = "analysis"


class TaskStatus(models.TextChoices):
    PENDING = "pending"
    CLAIMED = "claimed"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


TERMINAL_STATUSES = frozenset({TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED})
HELD_STATUSES = (TaskStatus.CLAIMED, TaskStatus.RUNNING)
TRANSITIONS: dict[str, frozenset[str]] = {
    TaskStatus.PENDING: frozenset({TaskStatus.CLAIMED, TaskStatus.CANCELLED}),
    TaskStatus.CLAIMED: frozenset({TaskStatus.RUNNING, TaskStatus.FAILED, TaskStatus.CANCELLED}),
    TaskStatus.RUNNING: frozenset({TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED}),
}
# For the API docs (the PATCH operation and apps/jobs/README.md say the same).
TRANSITIONS_TEXT = (
    "Allowed transitions: "
    + "; ".join(f"{current} → {', '.join(sorted(targets))}" for current, targets in TRANSITIONS.items())
    + ". completed, failed and cancelled are final (409 `invalid_transition` otherwise)."
)


def is_valid_room_name(name: str) -> bool:
    return name in SHARED_ROOMS or bool(ROOM_NAME_PATTERN.match(name))


class Room(models.Model):
    """A named room whose members submit and follow tasks (the shared rooms have no row)."""

    name = models.CharField(max_length=ROOM_NAME_MAX_LENGTH, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["created_by"], name="jobs_room_created_by_idx")]

    def __str__(self) -> str:
        return self.name


class RoomMember(models.Model):
    """One user's membership of one room."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="members", db_index=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="job_rooms", db_index=False
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="jobs_roommember_unique")]
        # The unique constraint's index covers `room`; membership checks look up by user.
        indexes = [models.Index(fields=["user", "room"], name="jobs_roommember_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.room_id}"


class JobQuerySet(models.QuerySet["Job"]):
    def live(self) -> JobQuerySet:
        return self.filter(deleted=False)

    def visible_from(self, room: str) -> JobQuerySet:
        """A room sees its own jobs and the shared ones."""
        return self.filter(room__in=[room, *SHARED_ROOMS])


class Job(models.Model):
    """A kind of work that workers in a room (or the shared rooms) can run."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    room = models.CharField(max_length=ROOM_NAME_MAX_LENGTH)
    category = models.CharField(max_length=16, choices=JobCategory.choices)
    name = models.CharField(max_length=100)
    schema = models.JSONField(default=dict)
    deleted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "category", "name"], name="jobs_job_unique_name")]
        # The unique constraint's index (room, category, name) serves the room's job list.

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.room}:{self.category}:{self.name}"


class Worker(models.Model):
    """A worker process, owned by a user, that claims and runs tasks of the jobs it registered."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="job_workers", db_index=False
    )
    last_heartbeat = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    jobs: models.ManyToManyField[Job, WorkerJob] = models.ManyToManyField(
        Job, through="WorkerJob", related_name="workers"
    )

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at"], name="jobs_worker_user_idx"),
            # the stale-worker sweep reads workers by heartbeat age
            models.Index(fields=["last_heartbeat"], name="jobs_worker_heartbeat_idx"),
        ]

    def __str__(self) -> str:
        return f"worker {self.pk}"


class WorkerJob(models.Model):
    """The link between a worker and a job it can run."""

    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="job_links", db_index=False)
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="worker_links", db_index=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["worker", "job"], name="jobs_workerjob_unique")]
        # (worker, job) is covered by the unique index; this one finds a job's workers.
        indexes = [models.Index(fields=["job", "worker"], name="jobs_workerjob_job_idx")]

    def __str__(self) -> str:
        return f"worker {self.worker_id} runs job {self.job_id}"


class TaskQuerySet(models.QuerySet["Task"]):
    def visible_to(self, user) -> TaskQuerySet:
        """Tasks of the user's rooms, tasks they submitted, and tasks their workers hold."""
        if user.is_superuser:
            return self
        rooms = RoomMember.objects.filter(user=user).values("room__name")
        return self.filter(Q(room__in=rooms) | Q(created_by=user) | Q(worker__user=user))

    def pending(self) -> TaskQuerySet:
        return self.filter(status=TaskStatus.PENDING)


class Task(models.Model):
    """One request, submitted from a room, to run a job with a payload."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="tasks", db_index=False)
    room = models.CharField(max_length=ROOM_NAME_MAX_LENGTH)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="job_tasks", db_index=False
    )
    worker = models.ForeignKey(
        Worker, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks", db_index=False
    )
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    # when the current claim was made: a claim not moved to running within JOBS_CLAIM_LEASE_S lapses
    claimed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    # what an internal job's function returned (workers outside report no result)
    result = models.JSONField(null=True, blank=True)

    objects = TaskQuerySet.as_manager()

    queue_position: int | None  # not a column: annotated by selectors.task_get

    class Meta:
        indexes = [
            # a job's tasks by status, oldest or newest first
            models.Index(fields=["job", "status", "created_at"], name="jobs_task_job_status_idx"),
            # a room's tasks by status, newest first
            models.Index(fields=["room", "status", "created_at"], name="jobs_task_room_status_idx"),
            # a room's tasks without a status filter, newest first (no sort of the whole room)
            models.Index(fields=["room", "-created_at", "-id"], name="jobs_task_room_created_idx"),
            # the claim and queue positions read only pending rows, oldest first per job
            models.Index(
                fields=["job", "created_at", "id"],
                name="jobs_task_pending_idx",
                condition=Q(status="pending"),
            ),
            # the lease sweep reads only claimed rows, oldest claim first
            models.Index(fields=["claimed_at"], name="jobs_task_claimed_idx", condition=Q(status="claimed")),
            models.Index(fields=["created_by"], name="jobs_task_created_by_idx"),
            models.Index(fields=["worker", "status"], name="jobs_task_worker_idx"),
        ]

    def __str__(self) -> str:
        return f"task {self.pk} ({self.status})"

    @property
    def job_name(self) -> str:
        return self.job.full_name
