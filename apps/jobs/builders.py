"""Hot-path output: a selector's `values()` row → the item its documented serializer describes.

The serializers in serializers.py stay the schema (drf-spectacular reads them); these
builders produce the same JSON without model instances or per-field serializer work.
tests/jobs/test_builders.py proves each equals its serializer for the same rows.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any
from uuid import UUID

from apps.core.builders import iso_datetime
from apps.jobs.models import Task

Row = dict[str, Any]


def _uuid(value: UUID | None) -> str | None:
    # as serializers.UUIDField writes it (and as msgpack, for events, can carry it)
    return None if value is None else str(value)


def task_list_item(row: Row, queue_positions: dict[UUID, int], zone: tzinfo | None = None) -> dict[str, Any]:
    """JobTaskListItemSerializer, from a `selectors.TASK_ROW_FIELDS` row (no payload; `zone`:
    `current_zone()`, looked up once per page)."""
    return {
        "id": str(row["id"]),
        "job_name": f"{row['job__room']}:{row['job__category']}:{row['job__name']}",
        "room": row["room"],
        "status": row["status"],
        "created_at": iso_datetime(row["created_at"], zone),
        "started_at": iso_datetime(row["started_at"], zone),
        "completed_at": iso_datetime(row["completed_at"], zone),
        "worker_id": _uuid(row["worker_id"]),
        "error": row["error"],
        "queue_position": queue_positions.get(row["id"]),
    }


def task_event_from_model(task: Task) -> dict[str, Any]:
    """JobTaskEventSerializer, from the Task a write service holds (its job loaded; `queue_position` when set)."""
    return {
        "id": str(task.id),
        "job_name": task.job_name,
        "room": task.room,
        "status": str(task.status),  # the choice's plain value, as the ChoiceField writes it
        "created_at": iso_datetime(task.created_at),
        "started_at": iso_datetime(task.started_at),
        "completed_at": iso_datetime(task.completed_at),
        "worker_id": _uuid(task.worker_id),
        "error": task.error,
        "queue_position": getattr(task, "queue_position", None),
    }


def job_list_item(row: Row, worker_ids: list[UUID]) -> dict[str, Any]:
    """JobListItemSerializer, from a `selectors.JOB_ROW_FIELDS` row and its worker ids."""
    return {
        "full_name": f"{row['room']}:{row['category']}:{row['name']}",
        "category": row["category"],
        "name": row["name"],
        "worker_ids": [str(worker_id) for worker_id in worker_ids],
    }
