"""Checklist use cases: add, edit (text, done), move, delete; the task's `checklist_total` and
`checklist_done` change in the same transaction as every item write."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.core.realtime import broadcast
from apps.projects.events import checklist_item_data, task_counters_event, task_group, user_brief
from apps.projects.exceptions import (
    ChecklistAnchorNotFound,
    ChecklistItemNotFound,
    InvalidAnchor,
    TaskArchived,
    TaskNotFound,
)
from apps.projects.models import RANK_GAP, ChecklistItem, Project, Task
from apps.projects.services.tasks import _rank_between


def _bump_checklist(project_id: int, task_id: int, total: int, done: int) -> tuple[int, int, bool]:
    """Add to the task's checklist counters in one statement that also proves the task is the
    project's and locks its row: (checklist_total, checklist_done, archived)."""
    table = Task._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET checklist_total = checklist_total + %s, "  # noqa: S608 - table name from the model
            "checklist_done = checklist_done + %s WHERE id = %s AND project_id = %s "
            "RETURNING checklist_total, checklist_done, archived_at",
            [total, done, task_id, project_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise TaskNotFound()
    return row[0], row[1], row[2] is not None  # see comments._bump_comment_count on SQLite


def _refuse_archived(archived: bool) -> None:
    if archived:
        raise TaskArchived("An archived task's checklist cannot change; unarchive the task first.")


def _announce(
    action: str, project_id: int, task_id: int, actor: User, item: dict[str, Any], figures: tuple[int, int] | None
) -> None:
    data: dict[str, Any] = {"action": action, "item": item, "changed_by": user_brief(actor)}
    if figures is not None:
        data |= {"checklist_total": figures[0], "checklist_done": figures[1]}
    broadcast(task_group(task_id), "checklist.updated", data)
    if figures is not None:
        task_counters_event(
            project_id=project_id, task_id=task_id, actor=actor, checklist_total=figures[0], checklist_done=figures[1]
        )


@transaction.atomic
def checklist_item_create(
    *, project: Project, actor: User, task_id: int, text: str, done: bool = False
) -> ChecklistItem:
    """Append an item. Queries: the counters (UPDATE ... RETURNING: the task check and its lock),
    the last rank, the INSERT."""
    total, done_count, archived = _bump_checklist(project.pk, task_id, 1, 1 if done else 0)
    _refuse_archived(archived)
    last = ChecklistItem.objects.filter(task_id=task_id).order_by("-rank").values_list("rank", flat=True).first()
    now = timezone.now()
    item = ChecklistItem.objects.create(
        task_id=task_id,
        text=text,
        done=done,
        rank=(last or 0) + RANK_GAP,
        done_by=actor if done else None,
        done_at=now if done else None,
    )
    _announce("added", project.pk, task_id, actor, checklist_item_data(item), (total, done_count))
    return item


def _locked_item(project: Project, task_id: int, item_id: int) -> ChecklistItem:
    """The item locked, with its task's archived state (one query)."""
    item = (
        ChecklistItem.objects.select_for_update(of=("self",))
        .select_related("task")
        .only("id", "task_id", "text", "done", "rank", "done_by_id", "done_at", "created_at", "task__archived_at")
        .filter(pk=item_id, task_id=task_id, task__project_id=project.pk)
        .first()
    )
    if item is None:
        raise ChecklistItemNotFound()
    return item


@transaction.atomic
def checklist_item_update(
    *, project: Project, actor: User, task_id: int, item_id: int, data: dict[str, Any]
) -> ChecklistItem:
    """Change the text and/or tick or untick; `done_by`/`done_at` follow the tick."""
    item = _locked_item(project, task_id, item_id)
    _refuse_archived(item.task.archived_at is not None)
    fields = []
    if "text" in data and data["text"] != item.text:
        item.text = data["text"]
        fields.append("text")
    figures = None
    if "done" in data and data["done"] != item.done:
        item.done = data["done"]
        item.done_by = actor if item.done else None
        item.done_at = timezone.now() if item.done else None
        fields += ["done", "done_by", "done_at"]
        total, done_count, _ = _bump_checklist(project.pk, task_id, 0, 1 if item.done else -1)
        figures = (total, done_count)
    if fields:
        item.save(update_fields=fields)
        _announce("updated", project.pk, task_id, actor, checklist_item_data(item), figures)
    return item


@transaction.atomic
def checklist_item_delete(*, project: Project, actor: User, task_id: int, item_id: int) -> None:
    item = _locked_item(project, task_id, item_id)
    _refuse_archived(item.task.archived_at is not None)
    data = checklist_item_data(item)
    item.delete()
    total, done_count, _ = _bump_checklist(project.pk, task_id, -1, -1 if data["done"] else 0)
    _announce("deleted", project.pk, task_id, actor, data, (total, done_count))


def _renumber(task_id: int) -> None:
    """Spread a checklist back to multiples of RANK_GAP in one statement (rare: a gap ran out)."""
    table = ChecklistItem._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS c SET rank = ordered.n * %s "  # noqa: S608 - table name from the model
            f"FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY rank, id) AS n FROM {table} WHERE task_id = %s) AS ordered "
            "WHERE c.id = ordered.id",
            [RANK_GAP, task_id],
        )


def _neighbours(task_id: int, item_id: int, anchor: ChecklistItem, *, before: bool) -> tuple[int | None, int | None]:
    others = ChecklistItem.objects.filter(task_id=task_id).exclude(pk=item_id)
    if before:
        preceding = others.filter(rank__lt=anchor.rank).order_by("-rank").values_list("rank", flat=True).first()
        return preceding, anchor.rank
    following = others.filter(rank__gt=anchor.rank).order_by("rank").values_list("rank", flat=True).first()
    return anchor.rank, following


@transaction.atomic
def checklist_item_move(
    *,
    project: Project,
    actor: User,
    task_id: int,
    item_id: int,
    before_id: int | None = None,
    after_id: int | None = None,
) -> ChecklistItem:
    """Place the item just before `before_id` or just after `after_id` (exactly one), items of the same task."""
    item = _locked_item(project, task_id, item_id)
    _refuse_archived(item.task.archived_at is not None)
    anchor_id, field = (before_id, "before_id") if before_id is not None else (after_id, "after_id")
    if anchor_id is None:
        raise ChecklistAnchorNotFound("Give before_id or after_id.", field="before_id")
    if anchor_id == item.pk:
        raise InvalidAnchor("An item cannot be placed next to itself.", field=field)
    anchor = ChecklistItem.objects.filter(pk=anchor_id, task_id=task_id).only("id", "rank").first()
    if anchor is None:
        raise ChecklistAnchorNotFound(field=field)
    rank = _rank_between(*_neighbours(task_id, item.pk, anchor, before=before_id is not None))
    if rank is None:
        _renumber(task_id)
        anchor.refresh_from_db(fields=["rank"])
        rank = _rank_between(*_neighbours(task_id, item.pk, anchor, before=before_id is not None))
        assert rank is not None, "a renumbered checklist leaves RANK_GAP between neighbours"
    item.rank = rank
    item.save(update_fields=["rank"])
    _announce("moved", project.pk, task_id, actor, checklist_item_data(item), None)
    return item
