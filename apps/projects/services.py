"""Writes: one function per use case, each one transaction with its on-commit work.

Every write that changes a project's live task counts takes the project's row lock
first (task creation takes it with the `next_task_number` UPDATE it needs anyway).
Count-changing writes of one project therefore run one after another, and each
recomputes the derived status from the project's columns as every earlier commit left
them. The derived status needs only which categories hold live tasks (one indexed
EXISTS per column), never a count over the project: a write costs the same at 100
tasks and at 100k. The counts themselves are the cached aggregate of selectors.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.utils import timezone

from apps.accounts.models import User
from apps.core.caching import bump
from apps.core.exceptions import ApplicationError, ConflictError, ForbiddenError, NotFoundError
from apps.core.realtime import broadcast
from apps.projects.models import RANK_GAP, Project, ProjectMember, Task, TaskStatus
from apps.projects.selectors import (
    COUNT_KEYS,
    STATS_CACHE_NAME,
    derived_category,
    empty_counts,
    subtask_count,
)

TASK_FIELDS_ON_DONE = {"status_id", "archived"}


def project_group(project_id: int) -> str:
    return f"projects.project.{project_id}"


def _user_brief(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "username": user.username}


def _task_data(task: Task) -> dict[str, Any]:
    from apps.projects.serializers import TaskDetailSerializer

    return dict(TaskDetailSerializer(task).data)


def _broadcast_task(event: str, task: Task, actor: User, **extra: Any) -> None:
    data = {"task": _task_data(task), "changed_by": _user_brief(actor), **extra}
    broadcast(project_group(task.project_id), event, data)


def _status_brief(status: TaskStatus) -> dict[str, Any]:
    return {"id": status.pk, "name": status.name, "category": status.category}


# --- counts and the derived status ------------------------------------------------------


def _lock_project(project_id: int) -> Project:
    project = Project.objects.select_for_update().filter(pk=project_id, archived_at__isnull=True).first()
    if project is None:
        raise NotFoundError("No such project.", code="project_not_found")
    return project


def _live_in_column() -> Exists:
    # one probe of the partial live-column index per status, whatever the project's size:
    # the derived status depends on which categories have live tasks, not on how many
    return Exists(
        Task.objects.filter(project_id=OuterRef("project_id"), status=OuterRef("pk"), archived_at__isnull=True)
    )


def _columns(project_id: int) -> list[TaskStatus]:
    """The project's statuses, each with `has_live`: whether any live task is in it."""
    return list(
        TaskStatus.objects.filter(project_id=project_id).annotate(has_live=_live_in_column()).order_by("rank", "id")
    )


def _presence(columns: list[TaskStatus]) -> dict[str, int]:
    """1 for each category with a live task, 0 otherwise; `total` counts the categories present.

    The derived-status rules ask only "any task at all, any in issue, any active or in
    review, all done", which presence answers exactly as counts would.
    """
    presence = empty_counts()
    for column in columns:
        if column.has_live and not presence[column.category]:
            presence[column.category] = 1
            presence["total"] += 1
    return presence


def _store_derived_status(*, project_id: int, current_id: int | None, columns: list[TaskStatus], presence) -> None:
    """Store the derived status when it changed, and only then announce it after commit."""
    category = derived_category(presence)
    target = next((column for column in columns if column.category == category), None)
    if target is None or target.pk == current_id:
        return
    Project.objects.filter(pk=project_id).update(derived_status=target)
    old = next((column for column in columns if column.pk == current_id), None)
    broadcast(
        project_group(project_id),
        "project.status_changed",
        {
            "project_id": project_id,
            "old_status": None if old is None else _status_brief(old),
            "new_status": _status_brief(target),
        },
    )


def _recount(project: Project) -> None:
    """After a count-changing write (under the project lock): invalidate the stats, refresh the derived status."""
    columns = _columns(project.pk)
    _store_derived_status(
        project_id=project.pk,
        current_id=project.derived_status_id,
        columns=columns,
        presence=_presence(columns),
    )
    bump(STATS_CACHE_NAME, project.pk)


@transaction.atomic
def project_recount(*, project_id: int) -> None:
    """Recompute the derived status and invalidate the counts (after bulk loads or admin edits)."""
    project = Project.objects.select_for_update().filter(pk=project_id).first()  # archived ones too
    if project is not None:
        _recount(project)


# --- projects ---------------------------------------------------------------------------


def project_create(*, user: User, key: str, name: str, description: str = "") -> Project:
    """A project with the default columns, derived status Todo and the creator as its admin.

    Four statements and no read-back: the project, the five statuses (one INSERT
    ... RETURNING), the derived status, the membership.
    """
    try:
        with transaction.atomic():
            project = Project.objects.create(key=key, name=name, description=description, created_by=user)
            statuses = TaskStatus.objects.bulk_create(
                [
                    TaskStatus(project=project, name=status_name, category=category, rank=index)
                    for index, (status_name, category) in enumerate(TaskStatus.DEFAULTS)
                ]
            )
            project.derived_status = statuses[0]
            Project.objects.filter(pk=project.pk).update(derived_status=statuses[0])
            ProjectMember.objects.create(project=project, user=user, role=ProjectMember.Role.ADMIN)
    except IntegrityError as exc:
        # The only unique value a client chooses here is the key; no savepoint is needed
        # because the whole transaction is discarded.
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) or str(exc)
        if "key" in constraint and "fkey" not in constraint:
            raise ConflictError(f"The project key {key} is taken.", code="project_key_taken") from None
        raise
    project.my_role = ProjectMember.Role.ADMIN
    project.counts = empty_counts()
    return project


@transaction.atomic
def project_update(*, project: Project, data: dict[str, Any]) -> Project:
    fields = [field for field in ("name", "description") if field in data]
    for field in fields:
        setattr(project, field, data[field])
    if fields:
        project.save(update_fields=fields)
    return project


@transaction.atomic
def project_archive(*, project: Project) -> None:
    """Archive the project: it leaves every member's list and its URLs answer 404."""
    Project.objects.filter(pk=project.pk, archived_at__isnull=True).update(archived_at=timezone.now())


# --- members ----------------------------------------------------------------------------


def _admins_left_without(project_id: int, user_id: int) -> int:
    admins = ProjectMember.objects.filter(project_id=project_id, role=ProjectMember.Role.ADMIN)
    return admins.exclude(user_id=user_id).count()


@transaction.atomic
def member_add(*, project: Project, user_id: int, role: str) -> ProjectMember:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise ApplicationError("No such user.", code="unknown_user", extra={"field": "user_id"})
    try:
        with transaction.atomic():
            member = ProjectMember.objects.create(project=project, user=user, role=role)
    except IntegrityError:
        raise ConflictError("The user is already a member of this project.", code="member_exists") from None
    broadcast(
        project_group(project.pk),
        "member.added",
        {"user": _user_brief(user), "role": role, "project_id": project.pk},
    )
    return member


def _locked_member(project: Project, user_id: int) -> ProjectMember:
    _lock_project(project.pk)  # serializes membership changes: the last-admin check cannot race
    member = ProjectMember.objects.select_related("user").filter(project=project, user_id=user_id).first()
    if member is None:
        raise NotFoundError("No such member.", code="member_not_found")
    return member


@transaction.atomic
def member_update(*, project: Project, user_id: int, role: str) -> ProjectMember:
    member = _locked_member(project, user_id)
    if (
        member.role == ProjectMember.Role.ADMIN
        and role != ProjectMember.Role.ADMIN
        and not _admins_left_without(project.pk, user_id)
    ):
        raise ConflictError("The last admin cannot step down; make someone else admin first.", code="last_admin")
    if member.role != role:
        member.role = role
        member.save(update_fields=["role"])
        broadcast(
            project_group(project.pk),
            "member.updated",
            {"user": _user_brief(member.user), "role": role, "project_id": project.pk},
        )
    return member


@transaction.atomic
def member_remove(*, project: Project, actor: User, user_id: int) -> None:
    """Admins remove anyone; any member may leave. The last admin cannot leave."""
    if actor.pk != user_id and project.my_role != ProjectMember.Role.ADMIN:
        raise ForbiddenError("Only an admin can remove another member.", code="admin_required")
    member = _locked_member(project, user_id)
    if member.role == ProjectMember.Role.ADMIN and not _admins_left_without(project.pk, user_id):
        raise ConflictError("The last admin cannot leave the project.", code="last_admin")
    member.delete()
    broadcast(
        project_group(project.pk),
        "member.removed",
        {"user": _user_brief(member.user), "project_id": project.pk},
    )


# --- tasks: shared checks -------------------------------------------------------------------


def _assignee_member(project_id: int, assignee_id: int) -> User:
    member = ProjectMember.objects.select_related("user").filter(project_id=project_id, user_id=assignee_id).first()
    if member is None:
        raise ApplicationError(
            "The assignee must be a member of the project.", code="assignee_not_member", extra={"field": "assignee_id"}
        )
    if member.role == ProjectMember.Role.VIEWER:
        raise ApplicationError(
            "A viewer cannot be assigned tasks.", code="assignee_is_viewer", extra={"field": "assignee_id"}
        )
    return member.user


def _check_unassigned_in_todo(*, assignee_id: int | None, status: TaskStatus) -> None:
    if assignee_id is None and status.category != TaskStatus.Category.TODO:
        raise ApplicationError(
            "An unassigned task must stay in a todo column; assign it first.",
            code="unassigned_task_not_todo",
            extra={"field": "assignee_id"},
        )


def _unknown_status() -> ApplicationError:
    return ApplicationError("No such status in this project.", code="unknown_status", extra={"field": "status_id"})


def _parent_error(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, extra={"field": "parent_id"})


def _completed_at(task: Task, new_status: TaskStatus, now: datetime.datetime) -> datetime.datetime | None:
    if new_status.category != TaskStatus.Category.DONE:
        return None
    return task.completed_at or now


# --- tasks: create --------------------------------------------------------------------------


def _take_task_number(project_id: int) -> tuple[int, int | None]:
    """The project's next task number, taken in one statement; it also takes the project's row lock."""
    table = Project._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET next_task_number = next_task_number + 1 "  # noqa: S608 - table name from the model
            "WHERE id = %s AND archived_at IS NULL RETURNING next_task_number - 1, derived_status_id",
            [project_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise NotFoundError("No such project.", code="project_not_found")
    return row[0], row[1]


def _board_for_create(project_id: int, parent_id: int | None) -> list[TaskStatus]:
    """One query: every column with whether it holds live tasks and its last rank, plus the parent check.

    The parent check rides along as the same EXISTS on each of the five rows, which
    costs nothing and saves a round trip on the hottest write.
    """
    tail = Task.objects.filter(project_id=project_id, status=OuterRef("pk"), archived_at__isnull=True)
    queryset = TaskStatus.objects.filter(project_id=project_id).annotate(
        has_live=_live_in_column(),
        tail_rank=Subquery(tail.order_by("-rank").values("rank")[:1]),
    )
    if parent_id is not None:
        queryset = queryset.annotate(
            parent_ok=Exists(Task.objects.filter(pk=parent_id, project_id=project_id, archived_at__isnull=True))
        )
    return list(queryset.order_by("rank", "id"))


@transaction.atomic
def task_create(
    *,
    project: Project,
    reporter: User,
    title: str,
    description: str = "",
    status_id: int | None = None,
    task_type: str = Task.TaskType.STORY,
    priority: str = Task.Priority.MEDIUM,
    story_points: int | None = None,
    due_date: datetime.date | None = None,
    assignee_id: int | None = None,
    parent_id: int | None = None,
) -> Task:
    """Create `KEY-n` at the bottom of its column.

    Queries: the number (UPDATE ... RETURNING, which also locks the project), the
    board (statuses with counts and last ranks, parent check), the assignee's
    membership when one is given, the INSERT, and the derived status only when it
    changes. Nothing is read back: the response is built from what was written.
    """
    number, derived_status_id = _take_task_number(project.pk)
    columns = _board_for_create(project.pk, parent_id)
    if status_id is None:
        status = next((c for c in columns if c.category == TaskStatus.Category.TODO), None)
    else:
        status = next((c for c in columns if c.pk == status_id), None)
    if status is None:
        raise _unknown_status()
    if parent_id is not None and not columns[0].parent_ok:
        raise _parent_error("No such parent task in this project.", "unknown_parent")
    assignee = _assignee_member(project.pk, assignee_id) if assignee_id is not None else None
    _check_unassigned_in_todo(assignee_id=assignee_id, status=status)

    now = timezone.now()
    task = Task(
        project_id=project.pk,
        key=f"{project.key}-{number}",
        title=title,
        description=description,
        status=status,
        task_type=task_type,
        priority=priority,
        story_points=story_points,
        due_date=due_date,
        assignee=assignee,
        reporter=reporter,
        parent_id=parent_id,
        rank=(status.tail_rank or 0) + RANK_GAP,
        completed_at=now if status.category == TaskStatus.Category.DONE else None,
    )
    task.save(force_insert=True)
    task.subtask_count = 0

    status.has_live = True  # the columns as they are now, with the new task in
    _store_derived_status(
        project_id=project.pk, current_id=derived_status_id, columns=columns, presence=_presence(columns)
    )
    bump(STATS_CACHE_NAME, project.pk)
    _broadcast_task("task.created", task, reporter)
    return task


# --- tasks: update, move, delete ----------------------------------------------------------


def _locked_task(project: Project, task_id: int) -> Task:
    task = (
        Task.objects.select_for_update(of=("self",))
        .select_related("status", "assignee", "reporter")
        .annotate(subtask_count=subtask_count())
        .filter(project_id=project.pk, pk=task_id)
        .first()
    )
    if task is None:
        raise NotFoundError("No such task in this project.", code="task_not_found")
    return task


def _project_status(project_id: int, status_id: int) -> TaskStatus:
    status = TaskStatus.objects.filter(project_id=project_id, pk=status_id).first()
    if status is None:
        raise _unknown_status()
    return status


def _column_tail(project_id: int, status_id: int, exclude_id: int) -> int:
    last = (
        Task.objects.filter(project_id=project_id, status_id=status_id, archived_at__isnull=True)
        .exclude(pk=exclude_id)
        .order_by("-rank")
        .values_list("rank", flat=True)
        .first()
    )
    return (last or 0) + RANK_GAP


@transaction.atomic
def task_update(*, project: Project, actor: User, task_id: int, row_version: int, data: dict[str, Any]) -> Task:
    """Edit a task; `row_version` must be the one the client read, else 409 with the current task."""
    locked_project = _lock_project(project.pk)
    task = _locked_task(project, task_id)
    if task.row_version != row_version:
        raise ConflictError(
            "The task changed since you read it.", code="stale_row_version", extra={"task": _task_data(task)}
        )
    changing = {field for field, value in data.items() if _differs(task, field, value)}
    if task.archived_at is not None and changing - {"archived"}:
        raise ConflictError("An archived task can only be unarchived.", code="task_archived")
    if task.status.category == TaskStatus.Category.DONE and changing - TASK_FIELDS_ON_DONE:
        raise ConflictError("A done task can only change its status (to reopen it).", code="task_done")
    if not changing:
        return task

    old_status = task.status
    status = _project_status(project.pk, data["status_id"]) if "status_id" in changing else task.status
    if "assignee_id" in changing:
        task.assignee = _assignee_member(project.pk, data["assignee_id"]) if data["assignee_id"] is not None else None
    if "parent_id" in changing and data["parent_id"] is not None:
        _check_parent(project, task, data["parent_id"])
    _check_unassigned_in_todo(assignee_id=task.assignee_id, status=status)

    for field in ("title", "description", "task_type", "priority", "story_points", "due_date", "parent_id"):
        if field in changing:
            setattr(task, field, data[field])
    now = timezone.now()
    counts_change = False
    if status.pk != old_status.pk:
        task.status = status
        task.rank = _column_tail(project.pk, status.pk, task.pk)
        task.completed_at = _completed_at(task, status, now)
        counts_change = True
    if "archived" in changing:
        task.archived_at = now if data["archived"] else None
        counts_change = True
    task.row_version += 1
    task.save()

    if counts_change:
        _recount(locked_project)
    if status.pk != old_status.pk:
        _broadcast_task(
            "task.moved", task, actor, old_status=_status_brief(old_status), new_status=_status_brief(status)
        )
    else:
        _broadcast_task("task.updated", task, actor)
    return task


def _differs(task: Task, field: str, value: Any) -> bool:
    if field == "archived":
        return value != (task.archived_at is not None)
    return getattr(task, field) != value


def _check_parent(project: Project, task: Task, parent_id: int) -> None:
    if parent_id == task.pk:
        raise _parent_error("A task cannot be its own parent.", "invalid_parent")
    parents = Task.objects.filter(pk=parent_id, project_id=project.pk, archived_at__isnull=True)
    parent = parents.only("parent_id").first()
    if parent is None:
        raise _parent_error("No such parent task in this project.", "unknown_parent")
    if parent.parent_id == task.pk:
        raise _parent_error("That would make a cycle of parents.", "invalid_parent")


def _neighbour_ranks(
    *, project_id: int, status_id: int, task_id: int, before: Task | None, after: Task | None
) -> tuple[int | None, int | None]:
    """(rank of the task that will precede, rank of the task that will follow), None at a column end."""
    column = Task.objects.filter(project_id=project_id, status_id=status_id, archived_at__isnull=True).exclude(
        pk=task_id
    )
    if after is not None and before is not None:
        return after.rank, before.rank
    if after is not None:
        following = column.filter(rank__gt=after.rank).order_by("rank").values_list("rank", flat=True).first()
        return after.rank, following
    if before is not None:
        preceding = column.filter(rank__lt=before.rank).order_by("-rank").values_list("rank", flat=True).first()
        return preceding, before.rank
    return column.order_by("-rank").values_list("rank", flat=True).first(), None


def _renumber_column(*, project_id: int, status_id: int) -> None:
    """Spread a column's live tasks back to multiples of RANK_GAP in one statement (rare: a gap ran out)."""
    table = Task._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET rank = ordered.n * %s "  # noqa: S608 - table name from the model
            f"FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY rank, id) AS n FROM {table} "
            "WHERE project_id = %s AND status_id = %s AND archived_at IS NULL) AS ordered "
            "WHERE t.id = ordered.id",
            [RANK_GAP, project_id, status_id],
        )


def _rank_between(low: int | None, high: int | None) -> int | None:
    """A rank strictly between the neighbours, or None when they leave no room."""
    if low is None and high is None:
        return RANK_GAP
    if high is None:
        return low + RANK_GAP
    if low is None:
        return high - RANK_GAP
    if high - low < 2:
        return None
    return (low + high) // 2


@transaction.atomic
def task_move(
    *,
    project: Project,
    actor: User,
    task_id: int,
    status_id: int | None = None,
    before_id: int | None = None,
    after_id: int | None = None,
) -> Task:
    """Move a task to a column (default: its own), before `before_id` and/or after `after_id`, else to the bottom."""
    locked_project = _lock_project(project.pk)
    task = _locked_task(project, task_id)
    if task.archived_at is not None:
        raise ConflictError("An archived task cannot be moved; unarchive it first.", code="task_archived")
    old_status = task.status
    status = _project_status(project.pk, status_id) if status_id is not None else old_status
    _check_unassigned_in_todo(assignee_id=task.assignee_id, status=status)

    anchors = {}
    wanted = {anchor for anchor in (before_id, after_id) if anchor is not None}
    if task.pk in wanted:
        raise ApplicationError("A task cannot be placed next to itself.", code="invalid_anchor")
    if wanted:
        anchors = {
            anchor.pk: anchor
            for anchor in Task.objects.filter(project_id=project.pk, pk__in=wanted, archived_at__isnull=True).only(
                "id", "status_id", "rank"
            )
        }
        for name, anchor_id in (("before_id", before_id), ("after_id", after_id)):
            if anchor_id is None:
                continue
            anchor = anchors.get(anchor_id)
            if anchor is None:
                raise ApplicationError("No such task in this project.", code="unknown_anchor", extra={"field": name})
            if anchor.status_id != status.pk:
                raise ApplicationError(
                    f"{name} must be a task in the target column.", code="anchor_not_in_column", extra={"field": name}
                )
    before, after = anchors.get(before_id), anchors.get(after_id)
    if before is not None and after is not None and after.rank >= before.rank:
        raise ConflictError("after_id must come before before_id in the column.", code="anchors_out_of_order")

    where = {"project_id": project.pk, "status_id": status.pk, "task_id": task.pk}
    rank = _rank_between(*_neighbour_ranks(**where, before=before, after=after))
    if rank is None:
        _renumber_column(project_id=project.pk, status_id=status.pk)
        for anchor in anchors.values():
            anchor.refresh_from_db(fields=["rank"])
        rank = _rank_between(*_neighbour_ranks(**where, before=before, after=after))

    now = timezone.now()
    task.status = status
    task.rank = rank
    task.completed_at = _completed_at(task, status, now) if status.pk != old_status.pk else task.completed_at
    task.row_version += 1
    task.save(update_fields=["status", "rank", "completed_at", "row_version", "updated_at"])
    if status.pk != old_status.pk:
        _recount(locked_project)
    _broadcast_task("task.moved", task, actor, old_status=_status_brief(old_status), new_status=_status_brief(status))
    return task


@transaction.atomic
def task_delete(*, project: Project, actor: User, task_id: int) -> None:
    """Delete a task for good (its subtasks stay, without a parent)."""
    locked_project = _lock_project(project.pk)
    task = _locked_task(project, task_id)
    data = _task_data(task)
    task.delete()
    _recount(locked_project)
    broadcast(project_group(project.pk), "task.deleted", {"task": data, "changed_by": _user_brief(actor)})


# --- the sweep --------------------------------------------------------------------------------


def tasks_archive_done(*, now: datetime.datetime | None = None, older_than_days: int | None = None) -> int:
    """Archive done tasks completed more than PROJECTS_ARCHIVE_DONE_AFTER_DAYS ago; one transaction per project."""
    now = now or timezone.now()
    days = older_than_days if older_than_days is not None else settings.PROJECTS_ARCHIVE_DONE_AFTER_DAYS
    cutoff = now - datetime.timedelta(days=days)
    due = Task.objects.filter(
        archived_at__isnull=True, completed_at__lt=cutoff, status__category=TaskStatus.Category.DONE
    )
    project_ids = list(due.order_by().values_list("project_id", flat=True).distinct())
    archived = 0
    for project_id in project_ids:
        with transaction.atomic():
            project = Project.objects.select_for_update().filter(pk=project_id).first()
            if project is None:
                continue
            n = due.filter(project_id=project_id).update(
                archived_at=now, updated_at=now, row_version=F("row_version") + 1
            )
            archived += n
            if n:
                _recount(project)
                broadcast(project_group(project_id), "tasks.archived", {"project_id": project_id, "count": n})
    return archived


__all__ = [
    "COUNT_KEYS",
    "project_archive",
    "project_recount",
    "project_create",
    "project_update",
    "member_add",
    "member_update",
    "member_remove",
    "task_create",
    "task_update",
    "task_move",
    "task_delete",
    "tasks_archive_done",
]
