"""Reads for the job queue: each function returns what its caller's serializer needs, in fixed queries."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, When
from django.db.models.functions import Coalesce

from apps.accounts.models import User
from apps.core.compiled import BoundQuery, compiled_query
from apps.core.exceptions import ApplicationError
from apps.jobs.exceptions import (
    InvalidJobName,
    InvalidRoomName,
    JobNotFound,
    RoomNotFound,
    SharedRoomSuperuserOnly,
    TaskNotFound,
)
from apps.jobs.models import (
    INTERNAL_ROOM,
    INTERNAL_USERNAME,
    SHARED_ROOMS,
    Job,
    JobCategory,
    RoomMember,
    Task,
    TaskStatus,
    Worker,
    WorkerJob,
    is_valid_room_name,
)


def room_validate_name(room: str) -> str:
    if not is_valid_room_name(room):
        raise InvalidRoomName()
    return room


@compiled_query(params={"room": str, "user_id": int})
def _room_membership(*, room: str, user_id: int):
    # every request under /api/jobs/rooms/{room}/ asks this: compiled once (apps.core.compiled)
    return RoomMember.objects.filter(room__name=room, user_id=user_id).values("id")


def room_check_access(*, user, room: str) -> None:
    """Members (and superusers) may use a room; the shared rooms are for superusers only. One query."""
    room_validate_name(room)
    if user.is_superuser:
        return
    if room in SHARED_ROOMS:
        raise SharedRoomSuperuserOnly(f"Only a superuser may use the shared room {room}.")
    if not user.is_authenticated or not _room_membership.rows(room=room, user_id=user.pk, limit=1):
        # Same answer whether the room exists or not: a stranger learns nothing.
        raise RoomNotFound(f"Unknown room {room!r}.")


def room_is_accessible(*, user, room: str) -> bool:
    try:
        room_check_access(user=user, room=room)
    except ApplicationError:
        return False
    return True


def job_parse_full_name(*, room: str, full_name: str) -> tuple[str, str, str]:
    """`room:category:name` → its parts; the job's room must be the URL's room or a shared one."""
    parts = full_name.split(":")
    if len(parts) != 3 or not all(parts):
        raise InvalidJobName()
    job_room, category, name = parts
    if job_room != room and job_room not in SHARED_ROOMS:
        raise JobNotFound(f"Unknown job {full_name!r} in room {room!r}.")
    if category not in JobCategory.values:
        raise JobNotFound(f"Unknown job {full_name!r}: no category {category!r}.")
    return job_room, category, name


def job_get(*, room: str, full_name: str, with_workers: bool = False) -> Job:
    """The live job named `full_name` seen from `room` (one query, two with its worker ids)."""
    job_room, category, name = job_parse_full_name(room=room, full_name=full_name)
    queryset = Job.objects.live().filter(room=job_room, category=category, name=name)
    if with_workers:
        queryset = queryset.prefetch_related(_worker_links())
    job = queryset.first()
    if job is None and job_room == INTERNAL_ROOM:
        from apps.jobs import internal, services  # a write, on this rare path only

        if internal.get(f"{job_room}:{category}:{name}") is not None:
            # registered in code but not synced yet (`manage.py jobs_sync_internal` not run)
            services.internal_jobs_sync()
            job = queryset.first()
    if job is None:
        raise JobNotFound(f"Unknown job {full_name!r} in room {room!r}.")
    return job


def _worker_links() -> Prefetch:
    # one batch query for the page's worker ids, not one per job
    return Prefetch("worker_links", queryset=WorkerJob.objects.only("id", "job_id", "worker_id").order_by("worker_id"))


def _with_job_count(queryset: QuerySet[Worker]) -> QuerySet[Worker]:
    # the job count comes from one correlated count in the page query, not one query per worker
    links = WorkerJob.objects.filter(worker=OuterRef("pk"), job__deleted=False).order_by().values("worker")
    return queryset.annotate(
        job_count=Coalesce(Subquery(links.annotate(n=Count("id")).values("n")), 0, output_field=IntegerField())
    )


def worker_list_for_user(*, user) -> QuerySet[Worker]:
    """The caller's workers (every worker for a superuser), newest first."""
    queryset = Worker.objects.all() if user.is_superuser else Worker.objects.filter(user=user)
    return _with_job_count(queryset.only("id", "last_heartbeat", "created_at").order_by("-created_at", "-id"))


def worker_list_for_room(*, room: str) -> QuerySet[Worker]:
    """Workers serving a live job visible from `room`, newest first."""
    serves_room = WorkerJob.objects.filter(
        worker=OuterRef("pk"), job__deleted=False, job__room__in=[room, *SHARED_ROOMS]
    )
    queryset = Worker.objects.filter(Exists(serves_room)).only("id", "last_heartbeat", "created_at")
    return _with_job_count(queryset.order_by("-created_at", "-id"))


# What a task list item shows (builders.task_list_item): never the payload, which the detail shows
# and which may be up to JOBS_MAX_PAYLOAD_BYTES per task.
TASK_ROW_FIELDS = (
    "id",
    "room",
    "status",
    "created_at",
    "started_at",
    "completed_at",
    "worker_id",
    "error",
    "job_id",
    "job__room",
    "job__category",
    "job__name",
)


def task_rows_for_room(*, room: str, status: str | None = None) -> QuerySet[Task, dict[str, Any]]:
    """A room's tasks (of its own and shared jobs), newest first, as `TASK_ROW_FIELDS` rows."""
    queryset = Task.objects.filter(room=room)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "-id").values(*TASK_ROW_FIELDS)


def task_rows_for_job(*, job: Job, room: str, status: str | None = None) -> QuerySet[Task, dict[str, Any]]:
    """A job's tasks submitted from `room` (a shared job lists only this room's tasks), newest first."""
    return task_rows_for_room(room=room, status=status).filter(job=job)


@compiled_query(params={"room": str, "status": str, "job_id": UUID})
def _task_page(*, room: str, status: str | None, job_id: UUID | None):
    queryset = task_rows_for_room(room=room, status=status)
    return queryset if job_id is None else queryset.filter(job_id=job_id)


def task_page_for_room(*, room: str, status: str | None = None) -> BoundQuery:
    """`task_rows_for_room`, ready to page and count, its SQL compiled once (apps.core.compiled)."""
    return _task_page.bind(room=room, status=status or None, job_id=None)


def task_page_for_job(*, job: Job, room: str, status: str | None = None) -> BoundQuery:
    """`task_rows_for_job`, ready to page and count, its SQL compiled once."""
    return _task_page.bind(room=room, status=status or None, job_id=job.pk)


JOB_ROW_FIELDS = ("id", "room", "category", "name")


def job_rows(*, room: str) -> QuerySet[Job, dict[str, Any]]:
    """Live jobs visible from `room`, newest first, as `JOB_ROW_FIELDS` rows (count, page)."""
    return Job.objects.live().visible_from(room).order_by("-created_at", "-id").values(*JOB_ROW_FIELDS)


@compiled_query(params={"room": str})
def _job_page(*, room: str):
    return job_rows(room=room)


def job_page(*, room: str) -> BoundQuery:
    """`job_rows`, ready to page and count, its SQL compiled once (apps.core.compiled)."""
    return _job_page.bind(room=room)


def worker_ids_for_jobs(job_ids: list[UUID]) -> dict[UUID, list[UUID]]:
    """Each job's worker ids, ascending: one batch query for a page, not one per job."""
    links: dict[UUID, list[UUID]] = {job_id: [] for job_id in job_ids}
    if job_ids:
        rows = WorkerJob.objects.filter(job_id__in=job_ids).order_by("worker_id").values_list("job_id", "worker_id")
        for job_id, worker_id in rows:
            links[job_id].append(worker_id)
    return links


def _queue_position_expression():
    # The 1-based rank by (created_at, id) among the job's pending tasks, for one task:
    # an index range count on the partial pending index.
    ahead = (
        Task.objects.pending()
        .filter(job=OuterRef("job_id"))
        .filter(Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), id__lte=OuterRef("id")))
        .order_by()
        .values("job")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Case(When(status=TaskStatus.PENDING, then=Subquery(ahead)), default=None, output_field=IntegerField())


def task_get(*, user, pk: UUID) -> Task:
    """One task the user may see, with its job and queue position, in one query."""
    task = (
        Task.objects.visible_to(user)
        .filter(pk=pk)
        .select_related("job", "worker")
        .annotate(queue_position=_queue_position_expression())
        .first()
    )
    if task is None:
        raise TaskNotFound(f"Unknown task {pk}.")
    return task


QUEUE_POSITIONS_SQL = """
SELECT ranked.id, ranked.position FROM (
    SELECT t.id, ROW_NUMBER() OVER (PARTITION BY t.job_id ORDER BY t.created_at, t.id) AS position
    FROM jobs_task t
    WHERE t.status = 'pending' AND t.job_id IN ({jobs}) AND t.created_at <= %s
) ranked
WHERE ranked.id IN ({tasks})
"""


def _db_uuid(value: UUID) -> Any:
    # raw SQL takes the id as the database stores it: uuid on PostgreSQL, 32 hex digits on SQLite
    return Task._meta.pk.get_db_prep_value(value, connection)


def _py_uuid(value: Any) -> UUID:
    return Task._meta.pk.to_python(value)


def queue_positions_for_tasks(tasks: Iterable[Task]) -> dict[UUID, int]:
    """Queue positions of the pending tasks among `tasks`: one ROW_NUMBER() query for the whole page."""
    return _queue_positions([(t.id, t.job_id, t.created_at) for t in tasks if t.status == TaskStatus.PENDING])


def queue_positions_for_rows(rows: Iterable[dict[str, Any]]) -> dict[UUID, int]:
    """`queue_positions_for_tasks` for `TASK_ROW_FIELDS` rows."""
    pending = TaskStatus.PENDING
    return _queue_positions([(r["id"], r["job_id"], r["created_at"]) for r in rows if r["status"] == pending])


def _queue_positions(pending: list[tuple[UUID, UUID, datetime.datetime]]) -> dict[UUID, int]:
    if not pending:
        return {}
    job_ids = sorted({job_id for _, job_id, _ in pending})
    task_ids = [task_id for task_id, _, _ in pending]
    sql = QUEUE_POSITIONS_SQL.format(jobs=", ".join(["%s"] * len(job_ids)), tasks=", ".join(["%s"] * len(task_ids)))
    with connection.cursor() as cursor:
        # Later tasks cannot change a rank: the window stops at the page's newest pending task.
        cursor.execute(
            sql, [*map(_db_uuid, job_ids), max(created_at for _, _, created_at in pending), *map(_db_uuid, task_ids)]
        )
        return {_py_uuid(task_id): position for task_id, position in cursor.fetchall()}


# After a submit's INSERT, its queue position and the owners to tell, in one round trip
# (issue 9). The position is what QUEUE_POSITIONS_SQL's ROW_NUMBER gives the task: the
# pending tasks of its job up to it in (created_at, id) order, itself included.
SUBMIT_FOLLOWUP_SQL = """
SELECT 0, COUNT(*) FROM {task} t
WHERE t.status = %s AND t.job_id = %s AND (t.created_at < %s OR (t.created_at = %s AND t.id <= %s))
UNION ALL
SELECT DISTINCT 1, w.user_id FROM {worker} w
JOIN {link} l ON l.worker_id = w.id JOIN {user} u ON u.id = w.user_id
WHERE l.job_id = %s AND u.username <> %s
"""


def submitted_task_followup(*, task: Task) -> tuple[int, list[int]]:
    """(queue position of a just-submitted pending task, users owning a worker that serves its job)."""
    sql = SUBMIT_FOLLOWUP_SQL.format(
        task=Task._meta.db_table,
        worker=Worker._meta.db_table,
        link=WorkerJob._meta.db_table,
        user=User._meta.db_table,
    )
    params: list[Any] = [
        TaskStatus.PENDING,
        _db_uuid(task.job_id),
        task.created_at,
        task.created_at,
        _db_uuid(task.pk),
        _db_uuid(task.job_id),
        INTERNAL_USERNAME,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    position = next(value for kind, value in rows if kind == 0)
    return position, [value for kind, value in rows if kind == 1]


def task_claim_candidates(*, job_ids: list[UUID]) -> QuerySet[Task]:
    """Pending tasks of these jobs, oldest first, row-locked skipping rows other claimers hold."""
    # The job ids are literals, so for the usual one-job worker the planner walks the partial
    # pending index in (created_at, id) order and stops at the first row it can lock.
    job_filter: dict[str, UUID | list[UUID]] = {"job_id": job_ids[0]} if len(job_ids) == 1 else {"job_id__in": job_ids}
    return (
        Task.objects.pending()
        .filter(**job_filter)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("job")
        .order_by("created_at", "id")
    )


def worker_owner_ids_for_job(*, job: Job) -> list[int]:
    """Users owning a worker that serves `job` (they receive `task.available`)."""
    return list(
        Worker.objects.filter(job_links__job=job)
        .exclude(user__username=INTERNAL_USERNAME)
        .values_list("user_id", flat=True)
        .distinct()
    )
