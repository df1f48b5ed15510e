"""Hot-path output: a selector's `values()` row → the item its documented serializer describes.

The serializers in serializers.py stay the schema (drf-spectacular reads them); these
builders produce the same JSON without model instances or per-field serializer work.
tests/projects/test_builders.py proves each equals its serializer for the same rows.
"""

from __future__ import annotations

from typing import Any

from apps.core.builders import iso_date, iso_datetime
from apps.projects.models import Task
from apps.projects.selectors import TASK_DETAIL_ROW_FIELDS, empty_counts

Row = dict[str, Any]
# the row fields a Task instance holds as attributes (the joined ones come from its relations)
_TASK_COLUMNS = tuple(name for name in TASK_DETAIL_ROW_FIELDS if "__" not in name)


def _user(user_id: int | None, username: str | None) -> dict[str, Any] | None:
    return None if user_id is None else {"id": user_id, "username": username}


def task_item(row: Row) -> dict[str, Any]:
    """TaskSerializer, from a `selectors.TASK_ROW_FIELDS` row."""
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
        "rank": row["rank"],
        "row_version": row["row_version"],
        "completed_at": iso_datetime(row["completed_at"]),
        "archived_at": iso_datetime(row["archived_at"]),
        "created_at": iso_datetime(row["created_at"]),
        "updated_at": iso_datetime(row["updated_at"]),
    }


def task_items(rows: list[Row]) -> list[dict[str, Any]]:
    """A page of task rows (a view's `page(rows, builders.task_items)`)."""
    return [task_item(row) for row in rows]


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


def project_item(row: Row, counts: dict[str, int] | None) -> dict[str, Any]:
    """ProjectSerializer, from a `selectors.PROJECT_ROW_FIELDS` row and its cached counts."""
    return {
        "id": row["id"],
        "key": row["key"],
        "name": row["name"],
        "derived_status": row["derived_status__name"],
        "derived_status_id": row["derived_status_id"],
        "my_role": row["my_role"],
        "counts": counts if counts is not None else empty_counts(),
        "created_at": iso_datetime(row["created_at"]),
        "archived_at": iso_datetime(row["archived_at"]),
    }
