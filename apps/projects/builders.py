"""Hot-path output: a selector's `values()` row → the item its documented serializer describes.

The serializers in serializers.py stay the schema (drf-spectacular reads them); these
builders produce the same JSON without model instances or per-field serializer work.
tests/projects/test_builders.py proves each equals its serializer for the same rows.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from django.utils import timezone

from apps.accounts.models import User
from apps.core.builders import current_zone, iso_date, iso_datetime
from apps.projects.models import Comment, Task
from apps.projects.selectors import TASK_DETAIL_ROW_FIELDS, empty_counts

Row = dict[str, Any]
# the row fields a Task instance holds as attributes (the joined ones come from its relations)
_TASK_COLUMNS = tuple(name for name in TASK_DETAIL_ROW_FIELDS if "__" not in name)


def _user(user_id: int | None, username: str | None) -> dict[str, Any] | None:
    return None if user_id is None else {"id": user_id, "username": username}


def task_item(row: Row, zone: tzinfo | None = None) -> dict[str, Any]:
    """TaskSerializer, from a `selectors.TASK_ROW_FIELDS` row (`zone`: `current_zone()`, once per page)."""
    return {
        "id": row["id"],
        "key": row["key"],
        "project_id": row["project_id"],
        "title": row["title"],
        "status": {
            "id": row["status_id"],
            "name": row["status__name"],
            "category": row["status__category"],
            "rank": row["status__rank"],
        },
        "task_type": row["task_type"],
        "priority": row["priority"],
        "story_points": row["story_points"],
        "due_date": iso_date(row["due_date"]),
        "assignee": _user(row["assignee_id"], row["assignee__username"]),
        "reporter": _user(row["reporter_id"], row["reporter__username"]),
        "parent_id": row["parent_id"],
        "subtask_count": row["subtask_count"],
        "comment_count": row["comment_count"],
        "checklist_total": row["checklist_total"],
        "checklist_done": row["checklist_done"],
        "rank": row["rank"],
        "row_version": row["row_version"],
        "completed_at": iso_datetime(row["completed_at"], zone),
        "archived_at": iso_datetime(row["archived_at"], zone),
        "created_at": iso_datetime(row["created_at"], zone),
        "updated_at": iso_datetime(row["updated_at"], zone),
    }


def task_items(rows: list[Row]) -> list[dict[str, Any]]:
    """A page of task rows (a view's `page(rows, builders.task_items)`)."""
    zone = current_zone()
    return [task_item(row, zone) for row in rows]


def task_detail_item(row: Row) -> dict[str, Any]:
    """TaskDetailSerializer, from a `selectors.TASK_DETAIL_ROW_FIELDS` row."""
    return {**task_item(row), "description": row["description"]}


def task_detail_from_model(task: Task) -> dict[str, Any]:
    """TaskDetailSerializer, from the Task a write service returns (status, assignee and
    reporter already on it, `subtask_count` set): the same builder as the detail's rows."""
    status, assignee, reporter = task.status, task.assignee, task.reporter
    return task_detail_item(
        {
            **{name: getattr(task, name) for name in _TASK_COLUMNS},
            "status__name": status.name,
            "status__category": status.category,
            "status__rank": status.rank,
            "assignee__username": None if assignee is None else assignee.username,
            "reporter__username": None if reporter is None else reporter.username,
        }
    )


def _status_brief(status_id: int | None, name: str | None, category: str | None) -> dict[str, Any] | None:
    return None if status_id is None else {"id": status_id, "name": name, "category": category}


def project_item(
    row: Row, counts: dict[str, int] | None, zone: tzinfo | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """ProjectSerializer, from a `selectors.PROJECT_ROW_FIELDS` row and its cached counts (`now`:
    whether the override still applies, read once per page)."""
    now = now or timezone.now()
    override = None
    effective = _status_brief(row["derived_status_id"], row["derived_status__name"], row["derived_status__category"])
    if row["override_status_id"] is not None:
        expires_at = row["override_expires_at"]
        active = expires_at is None or expires_at > now
        status = _status_brief(
            row["override_status_id"], row["override_status__name"], row["override_status__category"]
        )
        override = {
            "status": status,
            "reason": row["override_reason"],
            "by": _user(row["override_by_id"], row["override_by__username"]),
            "expires_at": iso_datetime(expires_at, zone),
            "active": active,
        }
        if active:
            effective = status
    return {
        "id": row["id"],
        "key": row["key"],
        "name": row["name"],
        "derived_status": row["derived_status__name"],
        "derived_status_id": row["derived_status_id"],
        "my_role": row["my_role"],
        "counts": counts if counts is not None else empty_counts(),
        "created_at": iso_datetime(row["created_at"], zone),
        "archived_at": iso_datetime(row["archived_at"], zone),
        "override": override,
        "effective_status": effective,
    }


def my_project_item(row: Row, counts: dict[str, int] | None, zone: tzinfo | None = None) -> dict[str, Any]:
    """MyProjectSerializer, from a `selectors.MY_PROJECT_ROW_FIELDS` row: the project item and its workspace."""
    return {
        **project_item(row, counts, zone),
        "application": {"id": row["application_id"], "name": row["application__name"]},
    }


def comment_item(row: Row, mentions: list[dict[str, Any]], zone: tzinfo | None = None) -> dict[str, Any]:
    """CommentSerializer, from a `selectors.COMMENT_ROW_FIELDS` row and its mentioned users."""
    return {
        "id": row["id"],
        "task_id": row["task_id"],
        "author": _user(row["author_id"], row["author__username"]),
        "body": row["body"],
        "mentions": mentions,
        "created_at": iso_datetime(row["created_at"], zone),
        "edited_at": iso_datetime(row["edited_at"], zone),
        "deleted_at": iso_datetime(row["deleted_at"], zone),
    }


def comment_from_model(comment: Comment, *, author: User | None) -> dict[str, Any]:
    """CommentSerializer, from the Comment a write service returns (`mentioned`: its users)."""
    row = {
        "id": comment.pk,
        "task_id": comment.task_id,
        "author_id": comment.author_id,
        "author__username": None if author is None else author.username,
        "body": comment.body,
        "created_at": comment.created_at,
        "edited_at": comment.edited_at,
        "deleted_at": comment.deleted_at,
    }
    mentioned = getattr(comment, "mentioned", [])
    return comment_item(row, [{"id": user.pk, "username": user.username} for user in mentioned])


def comment_items(rows: list[Row], mentions: dict[int, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """A page of comment rows, oldest first (the cursor reads newest first)."""
    zone = current_zone()
    return [comment_item(row, mentions[row["id"]], zone) for row in reversed(rows)]


def mention_item(row: Row, zone: tzinfo | None = None) -> dict[str, Any]:
    """MentionSerializer, from a `selectors.MENTION_ROW_FIELDS` row."""
    return {
        "id": row["id"],
        "created_at": iso_datetime(row["created_at"], zone),
        "project": {"id": row["comment__task__project_id"], "key": row["comment__task__project__key"]},
        "task": {"id": row["comment__task_id"], "key": row["comment__task__key"]},
        "comment": {
            "id": row["comment_id"],
            "author": _user(row["comment__author_id"], row["comment__author__username"]),
            "body": row["comment__body"],
        },
    }


def mention_items(rows: list[Row]) -> list[dict[str, Any]]:
    zone = current_zone()
    return [mention_item(row, zone) for row in rows]


def checklist_item(row: Row, zone: tzinfo | None = None) -> dict[str, Any]:
    """ChecklistItemSerializer, from a `selectors.CHECKLIST_ROW_FIELDS` row."""
    return {
        "id": row["id"],
        "task_id": row["task_id"],
        "text": row["text"],
        "done": row["done"],
        "rank": row["rank"],
        "done_by_id": row["done_by_id"],
        "done_at": iso_datetime(row["done_at"], zone),
    }


def checklist_items(rows: list[Row]) -> list[dict[str, Any]]:
    zone = current_zone()
    return [checklist_item(row, zone) for row in rows]
