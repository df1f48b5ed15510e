"""Task use cases: create, edit, move (ranks within a column), delete."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from apps.accounts.models import User
from apps.core.services import model_update
from apps.projects.events import broadcast_task, status_brief, task_deleted_event, task_event_data
from apps.projects.exceptions import (
    AnchorNotInColumn,
    AnchorsOutOfOrder,
    AssigneeIsViewer,
    AssigneeNotMember,
    AssigneeNotWorkspaceWriter,
    InvalidAnchor,
    InvalidParent,
    ProjectNotFound,
    StaleRowVersion,
    TaskArchived,
    TaskDone,
    TaskNotArchived,
    TaskNotFound,
    UnassignedTaskNotTodo,
    UnknownAnchor,
    UnknownParent,
    UnknownStatus,
)
from apps.projects.models import RANK_GAP, ApplicationMember, Project, ProjectMember, Task, TaskStatus
from apps.projects.selectors import subtask_count
from apps.projects.services.board import (
    lock_project,
    presence_by_category,
    recount,
    store_derived_status,
)

TASK_FIELDS_ON_DONE = {"status_id", "archived"}
# what a PATCH may set as given (status, assignee and archived have their own rules)
EDITABLE_TASK_FIELDS = ("title", "description", "task_type", "priority", "story_points", "due_date", "parent_id")


# --- tasks: shared checks -------------------------------------------------------------------


def _assignee_member(project: Project, assignee_id: int) -> User:
    """The assignee if they may hold the project's tasks: a project member who is not a viewer,
    and an owner or editor of its workspace (one query: the workspace role a subquery)."""
    workspace_role = ApplicationMember.objects.filter(
        application_id=project.application_id, user_id=OuterRef("user_id")
    ).values("role")[:1]
    member = (
        ProjectMember.objects.select_related("user")
        .annotate(workspace_role=Subquery(workspace_role))
        .filter(project_id=project.pk, user_id=assignee_id)
        .first()
    )
    if member is None:
        raise AssigneeNotMember()
    if member.role == ProjectMember.Role.VIEWER:
        raise AssigneeIsViewer()
    if member.workspace_role not in ApplicationMember.WRITERS:
        raise AssigneeNotWorkspaceWriter()
    return member.user


def _check_unassigned_in_todo(*, assignee_id: int | None, status: TaskStatus) -> None:
    if assignee_id is None and status.category != TaskStatus.Category.TODO:
        raise UnassignedTaskNotTodo()


def _completed_at(task: Task, new_status: TaskStatus, now: datetime.datetime) -> datetime.datetime | None:
    if new_status.category != TaskStatus.Category.DONE:
        return None
    return task.completed_at or now


# --- tasks: create --------------------------------------------------------------------------


def _take_task_number(project_id: int) -> tuple[int, int | None]:
    """The project's next task number, taken in one statement that also bumps `counts_version`
    and takes the project's row lock."""
    table = Project._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            # the counts' version moves with the number: a new task changes the counts
            f"UPDATE {table} SET next_task_number = next_task_number + 1, "  # noqa: S608 - table name from the model
            "counts_version = counts_version + 1 "
            "WHERE id = %s AND archived_at IS NULL RETURNING next_task_number - 1, derived_status_id",
            [project_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise ProjectNotFound()
    return row[0], row[1]


# The board read of every create, as SQL written once rather than a queryset built and
# compiled per request (issue 9: the ORM's compile was a third of the service's time). Per
# column, in board order: whether it holds live tasks and its last rank (the same probes of
# the live-column index as `board.live_in_column()`), plus, on each row, the parent check
# and the assignee's memberships (project and workspace), which PostgreSQL evaluates once (no outer reference) and
# which save a round trip each. Covered by the create tests (queries, ranks, each refusal).
_BOARD_FOR_CREATE_SQL = """
SELECT s.id, s.project_id, s.name, s.category, s.rank,
    EXISTS (SELECT 1 FROM {task} t
            WHERE t.project_id = s.project_id AND t.status_id = s.id AND t.archived_at IS NULL) AS has_live,
    (SELECT t.rank FROM {task} t
     WHERE t.project_id = s.project_id AND t.status_id = s.id AND t.archived_at IS NULL
     ORDER BY t.rank DESC LIMIT 1) AS tail_rank,
    EXISTS (SELECT 1 FROM {task} t
            WHERE t.id = %(parent_id)s AND t.project_id = %(project_id)s AND t.archived_at IS NULL) AS parent_ok,
    assignee.role, assignee.username, assignee.workspace_role
FROM {status} s
LEFT JOIN (SELECT m.role, u.username, am.role AS workspace_role
           FROM {member} m JOIN {user} u ON u.id = m.user_id
           JOIN {project} p ON p.id = m.project_id
           LEFT JOIN {workspace_member} am ON am.application_id = p.application_id AND am.user_id = m.user_id
           WHERE m.project_id = %(project_id)s AND m.user_id = %(assignee_id)s) AS assignee ON TRUE
WHERE s.project_id = %(project_id)s
ORDER BY s.rank, s.id
"""
_STATUS_COLUMNS = ["id", "project_id", "name", "category", "rank"]


def _board_for_create(project_id: int, parent_id: int | None, assignee_id: int | None) -> list[TaskStatus]:
    """Every column of the project with `has_live`, `tail_rank`, `parent_ok`, `assignee_role`
    and `assignee_username` (both None when `assignee_id` is no member), in one query."""
    sql = _BOARD_FOR_CREATE_SQL.format(
        task=Task._meta.db_table,
        status=TaskStatus._meta.db_table,
        member=ProjectMember._meta.db_table,
        user=User._meta.db_table,
        project=Project._meta.db_table,
        workspace_member=ApplicationMember._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"project_id": project_id, "parent_id": parent_id, "assignee_id": assignee_id})
        rows = cursor.fetchall()
    columns = []
    for row in rows:
        column = TaskStatus.from_db(connection.alias, _STATUS_COLUMNS, row[:5])
        column.has_live, column.tail_rank, column.parent_ok = row[5], row[6], row[7]
        column.assignee_role, column.assignee_username, column.assignee_workspace_role = row[8], row[9], row[10]
        columns.append(column)
    return columns


def _assignee_from_board(board: TaskStatus, assignee_id: int) -> User:
    """The assignee as `_board_for_create` found it: a member who may hold tasks, loaded with
    its username only (any other field loads on access, as with `only()`)."""
    if board.assignee_role is None:
        raise AssigneeNotMember()
    if board.assignee_role == ProjectMember.Role.VIEWER:
        raise AssigneeIsViewer()
    if board.assignee_workspace_role not in ApplicationMember.WRITERS:
        raise AssigneeNotWorkspaceWriter()
    return User.from_db(connection.alias, ["id", "username"], (assignee_id, board.assignee_username))


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
    board (statuses with counts and last ranks, the parent check and the assignee's
    membership), the INSERT, and the derived status only when it changes. Nothing is
    read back: the response is built from what was written.
    """
    number, derived_status_id = _take_task_number(project.pk)
    columns = _board_for_create(project.pk, parent_id, assignee_id)
    if status_id is None:
        status = next((c for c in columns if c.category == TaskStatus.Category.TODO), None)
    else:
        status = next((c for c in columns if c.pk == status_id), None)
    if status is None:
        raise UnknownStatus()
    if parent_id is not None and not columns[0].parent_ok:
        raise UnknownParent()
    assignee = _assignee_from_board(columns[0], assignee_id) if assignee_id is not None else None
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
    store_derived_status(
        project_id=project.pk, current_id=derived_status_id, columns=columns, presence=presence_by_category(columns)
    )
    broadcast_task("task.created", task, reporter)
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
        raise TaskNotFound()
    return task


def _project_status(project_id: int, status_id: int) -> TaskStatus:
    status = TaskStatus.objects.filter(project_id=project_id, pk=status_id).first()
    if status is None:
        raise UnknownStatus()
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
    locked_project = lock_project(project.pk)
    task = _locked_task(project, task_id)
    if task.row_version != row_version:
        raise StaleRowVersion(extra={"task": task_event_data(task)})
    changing = {field for field, value in data.items() if _differs(task, field, value)}
    if task.archived_at is not None and changing - {"archived"}:
        raise TaskArchived("An archived task can only be unarchived.")
    if task.status.category == TaskStatus.Category.DONE and changing - TASK_FIELDS_ON_DONE:
        raise TaskDone()
    if not changing:
        return task

    old_status = task.status
    status = _project_status(project.pk, data["status_id"]) if "status_id" in changing else task.status
    updates: dict[str, Any] = {field: data[field] for field in EDITABLE_TASK_FIELDS if field in changing}
    if "assignee_id" in changing:
        assignee_id = data["assignee_id"]
        updates["assignee"] = _assignee_member(project, assignee_id) if assignee_id is not None else None
    if "parent_id" in changing and data["parent_id"] is not None:
        _check_parent(project, task, data["parent_id"])
    _check_unassigned_in_todo(assignee_id=data.get("assignee_id", task.assignee_id), status=status)

    now = timezone.now()
    counts_change = False
    if status.pk != old_status.pk:
        updates.update(status=status, rank=_column_tail(project.pk, status.pk, task.pk))
        updates["completed_at"] = _completed_at(task, status, now)
        counts_change = True
    if "archived" in changing:
        updates["archived_at"] = now if data["archived"] else None
        counts_change = True
    updates["row_version"] = task.row_version + 1
    task, _ = model_update(instance=task, fields=updates, data=updates)

    if counts_change:
        recount(locked_project)
    if status.pk != old_status.pk:
        broadcast_task("task.moved", task, actor, old_status=status_brief(old_status), new_status=status_brief(status))
    else:
        broadcast_task("task.updated", task, actor)
    return task


def _differs(task: Task, field: str, value: Any) -> bool:
    if field == "archived":
        return value != (task.archived_at is not None)
    return getattr(task, field) != value


def _check_parent(project: Project, task: Task, parent_id: int) -> None:
    if parent_id == task.pk:
        raise InvalidParent("A task cannot be its own parent.")
    parents = Task.objects.filter(pk=parent_id, project_id=project.pk, archived_at__isnull=True)
    parent = parents.only("parent_id").first()
    if parent is None:
        raise UnknownParent()
    if parent.parent_id == task.pk:
        raise InvalidParent("That would make a cycle of parents.")


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
    if high is None:
        return RANK_GAP if low is None else low + RANK_GAP
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
    locked_project = lock_project(project.pk)
    task = _locked_task(project, task_id)
    if task.archived_at is not None:
        raise TaskArchived("An archived task cannot be moved; unarchive it first.")
    old_status = task.status
    status = _project_status(project.pk, status_id) if status_id is not None else old_status
    _check_unassigned_in_todo(assignee_id=task.assignee_id, status=status)

    anchors = {}
    wanted = {anchor for anchor in (before_id, after_id) if anchor is not None}
    if task.pk in wanted:
        raise InvalidAnchor()
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
                raise UnknownAnchor(field=name)
            if anchor.status_id != status.pk:
                raise AnchorNotInColumn(f"{name} must be a task in the target column.", field=name)
    before = anchors.get(before_id) if before_id is not None else None
    after = anchors.get(after_id) if after_id is not None else None
    if before is not None and after is not None and after.rank >= before.rank:
        raise AnchorsOutOfOrder()

    where = {"project_id": project.pk, "status_id": status.pk, "task_id": task.pk}
    rank = _rank_between(*_neighbour_ranks(**where, before=before, after=after))
    if rank is None:
        _renumber_column(project_id=project.pk, status_id=status.pk)
        for anchor in anchors.values():
            anchor.refresh_from_db(fields=["rank"])
        rank = _rank_between(*_neighbour_ranks(**where, before=before, after=after))
        assert rank is not None, "a renumbered column leaves RANK_GAP between neighbours"

    now = timezone.now()
    task.status = status
    task.rank = rank
    task.completed_at = _completed_at(task, status, now) if status.pk != old_status.pk else task.completed_at
    task.row_version += 1
    task.save(update_fields=["status", "rank", "completed_at", "row_version", "updated_at"])
    if status.pk != old_status.pk:
        recount(locked_project)
    broadcast_task("task.moved", task, actor, old_status=status_brief(old_status), new_status=status_brief(status))
    return task


@transaction.atomic
def task_delete(*, project: Project, actor: User, task_id: int) -> None:
    """Delete a task for good (its subtasks stay, without a parent)."""
    locked_project = lock_project(project.pk)
    task = _locked_task(project, task_id)
    data = task_event_data(task)
    task.delete()
    recount(locked_project)
    task_deleted_event(project_id=project.pk, data=data, actor=actor)


@transaction.atomic
def task_unarchive(*, project: Project, actor: User, task_id: int) -> Task:
    """Bring an archived task back to its column's bottom; the counts and derived status follow."""
    locked_project = lock_project(project.pk)
    task = _locked_task(project, task_id)
    if task.archived_at is None:
        raise TaskNotArchived()
    task.archived_at = None
    task.rank = _column_tail(project.pk, task.status_id, task.pk)
    task.row_version += 1
    task.save(update_fields=["archived_at", "rank", "row_version", "updated_at"])
    recount(locked_project)
    broadcast_task("task.updated", task, actor)
    return task
