"""Channel groups and event payloads of interview practice (sent on commit via apps.core.realtime)."""

from __future__ import annotations

from typing import Any

from apps.core.realtime import broadcast
from apps.interviews.models import Operation


def user_group(user_id: int) -> str:
    """Every operation event of one user: what `/ws/interviews/` subscribes to."""
    return f"interviews.user.{user_id}"


def operation_group(operation_id: int) -> str:
    """One operation's events: what a long-poll on `operations/{id}/` waits on."""
    return f"interviews.operation.{operation_id}"


def operation_data(op: Operation) -> dict[str, Any]:
    return {
        "id": op.pk,
        "session_id": op.session_id,
        "operation_type": op.operation_type,
        "status": op.status,
        "result": op.result,
        "error_code": op.error_code,
        "error_message": op.error_message,
        "retry_count": op.retry_count,
        "parent_operation_id": op.parent_operation_id,
    }


def broadcast_operation(op: Operation) -> None:
    if op.status not in Operation.TERMINAL:
        return
    event = "operation.completed" if op.status == Operation.Status.COMPLETED else "operation.failed"
    data = operation_data(op)
    broadcast(user_group(op.user_id), event, data)
    broadcast(operation_group(op.pk), event, data)
