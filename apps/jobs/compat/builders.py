"""The original's response shapes (zndraw_joblib.schemas), from Brisk's rows and models.

Names as the client parses them: `room_id` (Brisk: `room`), `workers` (Brisk:
`worker_ids`), `error` null when empty. The list items leave out `payload`, as Brisk's
lists do (the client's model defaults it to `{}`); the task's own URL shows it.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from apps.core.builders import iso_datetime
from apps.jobs.models import Job, Task, Worker

Row = dict[str, Any]


def _uuid(value: UUID | None) -> str | None:
    return None if value is None else str(value)


def worker_response(worker: Worker) -> dict[str, Any]:
    """WorkerResponse."""
    return {"id": str(worker.pk), "last_heartbeat": iso_datetime(worker.last_heartbeat)}


def worker_summaries(workers: list[Worker]) -> list[dict[str, Any]]:
    """WorkerSummary, from `selectors.worker_list_*` rows (job_count annotated)."""
    return [{**worker_response(worker), "job_count": worker.job_count} for worker in workers]  # type: ignore[attr-defined]


def job_summary(row: Row, worker_ids: list[UUID]) -> dict[str, Any]:
    """JobSummary, from a `selectors.JOB_ROW_FIELDS` row and its worker ids."""
    return {
        "full_name": f"{row['room']}:{row['category']}:{row['name']}",
        "category": row["category"],
        "name": row["name"],
        "workers": [str(worker_id) for worker_id in worker_ids],
    }


def job_response(job: Job, *, worker_id: UUID | None = None) -> dict[str, Any]:
    """JobResponse, from a job with its worker links prefetched (`selectors.job_get(with_workers=True)`)."""
    return {
        "id": str(job.pk),
        "room_id": job.room,
        "category": job.category,
        "name": job.name,
        "full_name": job.full_name,
        "schema": job.schema,
        "workers": [str(link.worker_id) for link in job.worker_links.all()],
        "worker_id": _uuid(worker_id),
    }


def task_list_item(row: Row, queue_positions: dict[UUID, int]) -> dict[str, Any]:
    """TaskResponse without its payload, from a `selectors.TASK_ROW_FIELDS` row."""
    return {
        "id": str(row["id"]),
        "job_name": f"{row['job__room']}:{row['job__category']}:{row['job__name']}",
        "room_id": row["room"],
        "status": row["status"],
        "created_at": iso_datetime(row["created_at"]),
        "started_at": iso_datetime(row["started_at"]),
        "completed_at": iso_datetime(row["completed_at"]),
        "worker_id": _uuid(row["worker_id"]),
        "error": row["error"] or None,
        "queue_position": queue_positions.get(row["id"]),
    }


def task_response(task: Task) -> dict[str, Any]:
    """TaskResponse (with the payload, and an internal job's `result`), from a task with its job loaded."""
    return {
        "id": str(task.pk),
        "job_name": task.job_name,
        "room_id": task.room,
        "status": str(task.status),
        "created_at": iso_datetime(task.created_at),
        "started_at": iso_datetime(task.started_at),
        "completed_at": iso_datetime(task.completed_at),
        "worker_id": _uuid(task.worker_id),
        "error": task.error or None,
        "payload": task.payload,
        "result": task.result,
        "queue_position": getattr(task, "queue_position", None),
    }
