"""Writes of the job queue: one function per use case, atomic, events scheduled on commit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.accounts.lookup import user_to_add
from apps.accounts.models import User
from apps.jobs import events, internal
from apps.jobs.exceptions import (
    InternalJobNotConfigured,
    InvalidTaskChange,
    InvalidTransition,
    JobSchemaConflict,
    RoomNotFound,
    SharedRoom,
    TaskChanged,
    TaskChangeForbidden,
    WorkerNotFound,
    WorkerNotServingJob,
)
from apps.jobs.models import (
    HELD_STATUSES,
    INTERNAL_ROOM,
    INTERNAL_USERNAME,
    SHARED_ROOMS,
    TERMINAL_STATUSES,
    TRANSITIONS,
    Job,
    Room,
    RoomMember,
    Task,
    TaskStatus,
    Worker,
    WorkerJob,
)
from apps.jobs.schemas import payload_validate, schema_check
from apps.jobs.selectors import (
    queue_positions_for_tasks,
    room_check_access,
    room_validate_name,
    submitted_task_followup,
    task_claim_candidates,
    task_get,
)

WORKER_DISCONNECTED = "Worker disconnected"
INTERNAL_NOT_FINISHED = "The internal job did not finish in time (its executor stopped?)"
SWEEP_BATCH = 500


# --- rooms ------------------------------------------------------------------


@transaction.atomic
def room_create(*, user: User, room: str) -> bool:
    """Create `room` with the caller as its first member; True if created, False if already a member."""
    room_validate_name(room)
    if room in SHARED_ROOMS:
        raise SharedRoom(f"{room} is a shared room; it always exists.")
    obj, created = Room.objects.get_or_create(name=room, defaults={"created_by": user})
    if created:
        RoomMember.objects.create(room=obj, user=user)
        return True
    if user.is_superuser or RoomMember.objects.filter(room=obj, user=user).exists():
        return False
    # taken by others: the answer of every request about a room the caller cannot see
    raise RoomNotFound(f"Unknown room {room!r}.")


def room_use(*, user: User, room: str) -> None:
    """`room_check_access`, except that a room nobody has yet is created with the caller as its
    first member: registering a job in, or submitting a task to, a new room is its creation.
    A room that others have stays the caller's 404."""
    try:
        room_check_access(user=user, room=room)
    except RoomNotFound:
        room_create(user=user, room=room)  # RoomNotFound again when it exists without the caller


@transaction.atomic
def room_member_add(*, room: str, username: str | None = None, email: str | None = None) -> bool:
    """Add the user named by `username` or `email` to the room (the view checked the caller's
    membership); True if they were not a member yet. Any user that cannot be added is the same 400."""
    if room in SHARED_ROOMS:
        raise SharedRoom(f"{room} is a shared room; it has no members.")
    obj = Room.objects.filter(name=room).first()
    if obj is None:
        raise RoomNotFound(f"Unknown room {room!r}.")
    member = user_to_add(username=username, email=email)
    _, created = RoomMember.objects.get_or_create(room=obj, user=member)
    return created


# --- workers ----------------------------------------------------------------


def worker_create(*, user: User) -> Worker:
    return Worker.objects.create(user=user, last_heartbeat=timezone.now())


def worker_heartbeat(*, user: User, worker_id: UUID) -> Worker:
    """Record a heartbeat; a conditional write, so a worker the sweeper removed gets 404."""
    now = timezone.now()
    if not Worker.objects.filter(pk=worker_id, user=user).update(last_heartbeat=now):
        raise WorkerNotFound(f"Unknown worker {worker_id}.")
    return Worker(pk=worker_id, user=user, last_heartbeat=now)


@transaction.atomic
def worker_delete(*, user: User, worker_id: UUID) -> None:
    """The worker leaves: its held tasks fail, and jobs nobody serves any more are soft-deleted."""
    queryset = Worker.objects.select_for_update().filter(pk=worker_id)
    if not user.is_superuser:
        queryset = queryset.filter(user=user)
    if not queryset.exists():
        raise WorkerNotFound(f"Unknown worker {worker_id}.")
    _worker_disconnect(worker_id)


def workers_sweep_stale(*, now: datetime | None = None) -> int:
    """Disconnect every worker whose heartbeat is older than JOBS_WORKER_TIMEOUT; how many were swept."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.JOBS_WORKER_TIMEOUT)
    swept = 0
    while True:
        candidates = list(
            Worker.objects.filter(last_heartbeat__lt=cutoff)
            .exclude(user__username=INTERNAL_USERNAME)
            .order_by("last_heartbeat")
            .values_list("id", flat=True)[:SWEEP_BATCH]
        )
        batch_swept = 0
        for worker_id in candidates:
            with transaction.atomic():
                # A worker busy claiming holds its row lock: skip it; a fresh heartbeat wins.
                stale = (
                    Worker.objects.select_for_update(skip_locked=True)
                    .filter(pk=worker_id, last_heartbeat__lt=cutoff)
                    .exists()
                )
                if stale:
                    _worker_disconnect(worker_id)
                    batch_swept += 1
        swept += batch_swept
        if len(candidates) < SWEEP_BATCH or batch_swept == 0:
            return swept


def _worker_disconnect(worker_id: UUID) -> None:
    """Inside a transaction that holds the worker's row lock."""
    now = timezone.now()
    held = list(
        Task.objects.select_for_update(of=("self",))
        .filter(worker_id=worker_id, status__in=HELD_STATUSES)
        .select_related("job")
        .defer("payload")
    )
    if held:
        Task.objects.filter(pk__in=[task.pk for task in held]).update(
            status=TaskStatus.FAILED, error=WORKER_DISCONNECTED, completed_at=now
        )
    job_ids = list(WorkerJob.objects.filter(worker_id=worker_id).values_list("job_id", flat=True))
    Worker.objects.filter(pk=worker_id).delete()
    for task in held:
        task.status, task.error, task.completed_at, task.worker_id = TaskStatus.FAILED, WORKER_DISCONNECTED, now, None
        task.queue_position = None
        events.task_status_changed(task)
    if not job_ids:
        return
    orphans = list(
        Job.objects.filter(pk__in=job_ids, deleted=False)
        .exclude(Exists(WorkerJob.objects.filter(job=OuterRef("pk"))))
        .exclude(Exists(Task.objects.pending().filter(job=OuterRef("pk"))))
        .select_for_update()
    )
    if orphans:
        Job.objects.filter(pk__in=[job.pk for job in orphans]).update(deleted=True)
        for job in orphans:
            events.jobs_invalidate(job)


def internal_worker_get() -> Worker:
    """The server's own worker identity, which claims `@internal` tasks at once."""
    user, _ = User.objects.get_or_create(username=INTERNAL_USERNAME, defaults={"is_active": False})
    worker = Worker.objects.filter(user=user).order_by("pk").first()
    if worker is None:
        worker = Worker.objects.create(user=user, last_heartbeat=timezone.now())
    return worker


# --- jobs -------------------------------------------------------------------


def _owned_worker(*, user: User, worker_id: UUID) -> Worker:
    # someone else's worker is answered exactly as an unknown one: a stranger learns nothing
    worker = Worker.objects.filter(pk=worker_id, user=user).only("id", "user_id").first()
    if worker is None:
        raise WorkerNotFound(f"Unknown worker {worker_id}.", field="worker_id")
    return worker


@transaction.atomic
def job_register(
    *, user: User, room: str, category: str, name: str, schema: dict[str, Any], worker_id: UUID | None = None
) -> tuple[Job, bool]:
    """Register (or re-register) a job and link the worker; (job, created). Same schema is idempotent.

    The caller's access to `room` is the view's to check (once, in `RoomScopedView`)."""
    schema_check(schema)
    worker = _owned_worker(user=user, worker_id=worker_id) if worker_id is not None else None
    job, created = Job.objects.get_or_create(room=room, category=category, name=name, defaults={"schema": schema})
    if not created:
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.deleted:
            job.schema, job.deleted = schema, False
            job.save(update_fields=["schema", "deleted"])
            created = True
        elif job.schema != schema:
            raise JobSchemaConflict(f"The job {job.full_name} is registered with a different schema.")
    linked = False
    if worker is not None:
        linked = WorkerJob.objects.get_or_create(worker=worker, job=job)[1]
    if room == INTERNAL_ROOM:
        # the internal worker serves every @internal job, so they are never orphaned
        WorkerJob.objects.get_or_create(worker=internal_worker_get(), job=job)
    if created or linked:
        events.jobs_invalidate(job)
    return job, created


@transaction.atomic
def job_register_with_worker(
    *, user: User, room: str, category: str, name: str, schema: dict[str, Any], worker_id: UUID | None = None
) -> tuple[Job, bool, UUID]:
    """`job_register`, creating a worker for the caller when none is named (the zndraw-joblib
    client registers its first job without one and keeps the worker it is given); (job, created, worker id)."""
    if worker_id is None:
        worker_id = worker_create(user=user).pk
    job, created = job_register(user=user, room=room, category=category, name=name, schema=schema, worker_id=worker_id)
    return job, created, worker_id


def internal_jobs_sync() -> list[Job]:
    """Make the database's `@internal` jobs those of the registry (apps.jobs.internal), served
    by the internal worker. Run after `migrate` (post_migrate) and by `manage.py jobs_sync_internal`.
    The code is the truth: a changed schema replaces the stored one; a job dropped from the
    registry is soft-deleted."""
    jobs = []
    with transaction.atomic():
        worker = internal_worker_get()
        for spec in internal.registered():
            job, _ = Job.objects.get_or_create(
                room=INTERNAL_ROOM, category=spec.category, name=spec.name, defaults={"schema": spec.schema}
            )
            if job.schema != spec.schema or job.deleted:
                job.schema, job.deleted = spec.schema, False
                job.save(update_fields=["schema", "deleted"])
                events.jobs_invalidate(job)
            WorkerJob.objects.get_or_create(worker=worker, job=job)
            jobs.append(job)
        names = {(spec.category, spec.name) for spec in internal.registered()}
        for job in Job.objects.filter(room=INTERNAL_ROOM, deleted=False):
            if (job.category, job.name) not in names:
                job.deleted = True
                job.save(update_fields=["deleted"])
                events.jobs_invalidate(job)
    return jobs


# --- tasks ------------------------------------------------------------------


@transaction.atomic
def task_submit(*, user: User, room: str, job: Job, payload: dict[str, Any]) -> Task:
    """Queue a task for `job` from `room`; `@internal` tasks are claimed by the server at once."""
    if room in SHARED_ROOMS:
        raise SharedRoom("Tasks are submitted from a room, not from a shared room.")
    payload_validate(schema=job.schema, payload=payload)
    task = Task(job=job, room=room, created_by=user, payload=payload)
    is_internal = job.room == INTERNAL_ROOM
    if is_internal:
        if internal.get(job.full_name) is None:
            raise InternalJobNotConfigured(f"No function of this server runs {job.full_name}.")
        task.worker, task.status, task.claimed_at = internal_worker_get(), TaskStatus.CLAIMED, timezone.now()
    task.save()
    if is_internal:
        task.queue_position = None
        events.task_status_changed(task)
        internal.enqueue(task.pk)  # on commit: Celery runs it (eagerly in the embedded default)
        return task
    task.queue_position, owner_ids = submitted_task_followup(task=task)  # one query for both
    events.task_status_changed(task)
    events.task_available(task, owner_ids=owner_ids)
    return task


@transaction.atomic
def task_claim(*, user: User, worker_id: UUID) -> Task | None:
    """Claim the oldest pending task of the worker's jobs, exactly once under any concurrency."""
    # Ownership check and heartbeat in one conditional write; it also locks the worker row,
    # so the sweeper skips a worker that is claiming right now.
    if not Worker.objects.filter(pk=worker_id, user=user).update(last_heartbeat=timezone.now()):
        _owned_worker(user=user, worker_id=worker_id)  # raises the 404
    job_ids = list(WorkerJob.objects.filter(worker_id=worker_id).values_list("job_id", flat=True))
    if not job_ids:
        return None
    # FOR UPDATE SKIP LOCKED: concurrent claimers never wait on, nor take, the same row.
    task = task_claim_candidates(job_ids=job_ids).first()
    if task is None:
        return None
    # Conditional as well: the row lock makes it certain on PostgreSQL; on SQLite (no row
    # locks, IMMEDIATE transactions) it is what keeps the claim exactly-once.
    now = timezone.now()
    if not Task.objects.filter(pk=task.pk, status=TaskStatus.PENDING).update(
        status=TaskStatus.CLAIMED, worker_id=worker_id, claimed_at=now
    ):
        return None
    task.status, task.worker_id, task.claimed_at, task.queue_position = TaskStatus.CLAIMED, worker_id, now, None
    events.task_status_changed(task)
    return task


@transaction.atomic
def task_status_change(
    *, user: User, task_id: UUID, status: str, error: str = "", worker_id: UUID | None = None
) -> Task:
    """Move a task along pending→claimed→running→completed (or failed/cancelled), conditionally."""
    task = task_get(user=user, pk=task_id)
    current = task.status
    is_holder = user.is_superuser or (task.worker is not None and task.worker.user_id == user.pk)
    if status == current and is_holder and (worker_id is None or worker_id == task.worker_id):
        # A repeat by the worker holding the task (it lost our answer and sent it again):
        # the task is already where it asked, so 200 and nothing changes, no event.
        return task
    if status not in TRANSITIONS.get(current, ()):
        raise InvalidTransition(f"A {current} task cannot become {status}.", extra={"status": current})
    if error and status not in (TaskStatus.FAILED, TaskStatus.CANCELLED):
        raise InvalidTaskChange("Only a failed or cancelled task has an error.", field="error")

    changes: dict[str, Any] = {"status": status}
    if status == TaskStatus.CLAIMED:
        if worker_id is None:
            raise InvalidTaskChange("Claiming a task needs the worker_id.", field="worker_id")
        worker = _owned_worker(user=user, worker_id=worker_id)
        if not WorkerJob.objects.filter(worker=worker, job_id=task.job_id).exists():
            raise WorkerNotServingJob()
        changes["worker_id"] = worker_id
        changes["claimed_at"] = timezone.now()
    elif status == TaskStatus.CANCELLED:
        if not (is_holder or task.created_by_id == user.pk):
            raise TaskChangeForbidden("Only the submitter or the worker's owner may cancel this task.")
    elif not is_holder:
        raise TaskChangeForbidden("Only the owner of the worker holding this task may change it.")

    now = timezone.now()
    if status == TaskStatus.RUNNING:
        changes["started_at"] = now
    if status in TERMINAL_STATUSES:
        changes["completed_at"] = now
        changes["error"] = error
    # The write is conditional on the state we checked: a worker that lost the task
    # (swept, cancelled, claimed by another) changes nothing.
    # worker_id=None is IS NULL at runtime; django-stubs types the lookup value as non-null.
    updated = Task.objects.filter(pk=task.pk, status=current, worker_id=task.worker_id).update(**changes)  # type: ignore[misc]
    if not updated:
        raise TaskChanged()
    for field, value in changes.items():
        setattr(task, field, value)
    task.queue_position = None
    events.task_status_changed(task)
    return task


# --- claim leases and internal jobs -------------------------------------------


def claims_release_lapsed(*, now: datetime | None = None) -> int:
    """Put back every claim older than JOBS_CLAIM_LEASE_S that its worker never moved to running
    (the claim's answer was lost, or the worker forgot it): the task is pending again at its
    old place in the queue (its `created_at` is unchanged), with its `task.status` event.
    Internal tasks are not leased; one held past its time limit and the lease fails instead.
    How many tasks changed."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.JOBS_CLAIM_LEASE_S)
    changed = 0
    while True:
        with transaction.atomic():
            # SKIP LOCKED: a task being moved to running right now is that worker's to finish.
            lapsed = list(
                Task.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=TaskStatus.CLAIMED, claimed_at__lt=cutoff)
                .exclude(worker__user__username=INTERNAL_USERNAME)
                .select_related("job")
                .defer("payload", "result")
                .order_by("claimed_at")[:SWEEP_BATCH]
            )
            if lapsed:
                Task.objects.filter(pk__in=[task.pk for task in lapsed], status=TaskStatus.CLAIMED).update(
                    status=TaskStatus.PENDING, worker_id=None, claimed_at=None
                )
                for task in lapsed:
                    task.status, task.worker_id, task.claimed_at = TaskStatus.PENDING, None, None
                positions = queue_positions_for_tasks(lapsed)  # one query for the batch
                for task in lapsed:
                    task.queue_position = positions.get(task.pk)
                    events.task_status_changed(task)
        changed += len(lapsed)
        if len(lapsed) < SWEEP_BATCH:
            break
    return changed + _internal_tasks_fail_stuck(now=now)


def _internal_tasks_fail_stuck(*, now: datetime) -> int:
    """Internal tasks still held long after their time limit (the executor died with them) fail."""
    grace = settings.JOBS_INTERNAL_TIME_LIMIT_S + settings.JOBS_CLAIM_LEASE_S
    cutoff = now - timedelta(seconds=grace)
    with transaction.atomic():
        stuck = list(
            Task.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status__in=HELD_STATUSES, worker__user__username=INTERNAL_USERNAME, claimed_at__lt=cutoff)
            .select_related("job")
            .defer("payload", "result")[:SWEEP_BATCH]
        )
        if stuck:
            Task.objects.filter(pk__in=[task.pk for task in stuck], status__in=HELD_STATUSES).update(
                status=TaskStatus.FAILED, error=INTERNAL_NOT_FINISHED, completed_at=now
            )
            for task in stuck:
                task.status, task.error, task.completed_at, task.queue_position = (
                    TaskStatus.FAILED,
                    INTERNAL_NOT_FINISHED,
                    now,
                    None,
                )
                events.task_status_changed(task)
    return len(stuck)


def _internal_task_move(task: Task, *, current: str, **changes: Any) -> bool:
    """The internal worker's conditional write (a cancelled task stays cancelled) and its event."""
    with transaction.atomic():
        if not Task.objects.filter(pk=task.pk, status=current, worker_id=task.worker_id).update(**changes):  # type: ignore[misc]  # never None here
            return False
        for field, value in changes.items():
            setattr(task, field, value)
        task.queue_position = None
        events.task_status_changed(task)
    return True


def internal_task_run(*, task_id: UUID) -> str | None:
    """Run an `@internal` task: running, the registered function on the payload (at most
    JOBS_INTERNAL_TIME_LIMIT_S), then completed with its result or failed with its error.
    The Celery task `apps.jobs.tasks.run_internal_task` calls this; the final status, or None
    when the task was no longer the internal worker's to run (cancelled meanwhile)."""
    task = (
        Task.objects.filter(pk=task_id, worker__user__username=INTERNAL_USERNAME)
        .select_related("job")
        .defer("result")
        .first()
    )
    if task is None or task.status != TaskStatus.CLAIMED:
        return None
    spec = internal.get(task.job.full_name)
    if spec is None:
        _internal_task_move(
            task,
            current=TaskStatus.CLAIMED,
            status=TaskStatus.FAILED,
            error=f"No function of this server runs {task.job.full_name}.",
            completed_at=timezone.now(),
        )
        return TaskStatus.FAILED
    if not _internal_task_move(task, current=TaskStatus.CLAIMED, status=TaskStatus.RUNNING, started_at=timezone.now()):
        return None
    outcome = internal.call(spec, task.payload, time_limit=settings.JOBS_INTERNAL_TIME_LIMIT_S)
    final = TaskStatus.COMPLETED if outcome.error is None else TaskStatus.FAILED
    moved = _internal_task_move(
        task,
        current=TaskStatus.RUNNING,
        status=final,
        result=outcome.result,
        error=outcome.error or "",
        completed_at=timezone.now(),
    )
    return final if moved else None
