"""Channel-group names and event payloads of the project tracker (sent on commit via apps.core.realtime)."""

from __future__ import annotations

from typing import Any

from apps.accounts.models import User
from apps.core.realtime import broadcast, revoke
from apps.projects.builders import checklist_item, comment_from_model, task_detail_from_model
from apps.projects.models import ChecklistItem, Comment, Project, Task, TaskStatus


def project_group(project_id: int) -> str:
    return f"projects.project.{project_id}"


def task_group(task_id: int) -> str:
    """A task's detail viewers: comment.*, checklist.updated, task.updated."""
    return f"projects.task.{task_id}"


def user_group(user_id: int) -> str:
    """One user's own socket (`/ws/me/`): mentions."""
    return f"projects.user.{user_id}"


def user_brief(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "username": user.username}


def status_brief(status: TaskStatus) -> dict[str, Any]:
    return {"id": status.pk, "name": status.name, "category": status.category}


def task_event_data(task: Task) -> dict[str, Any]:
    """The task as the REST API shows it (events carry the same shape): the detail's builder,
    not a TaskDetailSerializer built per event (issue 9: a tenth of a create's CPU)."""
    return task_detail_from_model(task)


def broadcast_task(event: str, task: Task, actor: User, **extra: Any) -> None:
    """`task.<event>` to the task's board and, for any change to an existing task (edit, move,
    assignee, archive, unarchive), `task.updated` with the same data to the task's detail
    viewers, after commit. The task is the whole task, counters included (`comment_count`,
    `checklist_total`, `checklist_done`: columns of the row the service locked)."""
    data = {"task": task_event_data(task), "changed_by": user_brief(actor), **extra}
    broadcast(project_group(task.project_id), event, data)
    if event != "task.created":  # nobody has the detail of a task that did not exist open
        broadcast(task_group(task.pk), "task.updated", data)


def task_deleted_event(*, project_id: int, data: dict[str, Any], actor: User) -> None:
    """`task.deleted` (the task as it was) to the board and the task's detail viewers, after commit."""
    payload = {"task": data, "changed_by": user_brief(actor)}
    broadcast(project_group(project_id), "task.deleted", payload)
    broadcast(task_group(data["id"]), "task.deleted", payload)


def tasks_archived_event(*, project_id: int, tasks: list[dict[str, Any]]) -> None:
    """The sweep's `tasks.archived` `{project_id, count}` to the board, and `task.updated` with
    each archived task to its detail viewers, after commit."""
    broadcast(project_group(project_id), "tasks.archived", {"project_id": project_id, "count": len(tasks)})
    for task in tasks:
        broadcast(task_group(task["id"]), "task.updated", {"task": task, "changed_by": None})


def member_event(event: str, *, project_id: int, user: User, role: str | None = None) -> None:
    """`member.added/updated/removed` to the board, after commit."""
    data: dict[str, Any] = {"user": user_brief(user)}
    if role is not None:
        data["role"] = role
    data["project_id"] = project_id
    broadcast(project_group(project_id), event, data)


def member_removed(*, project_id: int, user: User) -> None:
    """`member.removed` to the board, then the removed user's open sockets close 4403."""
    member_event("member.removed", project_id=project_id, user=user)
    revoke(project_group(project_id), user.pk)


def comment_data(comment: Comment, *, author: User | None) -> dict[str, Any]:
    """The comment as the REST API shows it (CommentSerializer's shape)."""
    return comment_from_model(comment, author=author)


def mention_event(*, user_id: int, project: Project, task: dict[str, Any], comment: dict[str, Any]) -> None:
    """`mention` to the mentioned user's own socket, after commit."""
    data = {"project": {"id": project.pk, "key": project.key}, "task": task, "comment": comment}
    broadcast(user_group(user_id), "mention", data)


def task_counters_event(*, project_id: int, task_id: int, actor: User, **figures: int) -> None:
    """`task.updated` with only the counters that changed (`comment_count`, `checklist_total`,
    `checklist_done`) to the board and the task's viewers, after commit: `partial` says the
    task object holds the id and those figures, not the whole task."""
    data = {"task": {"id": task_id, **figures}, "partial": True, "changed_by": user_brief(actor)}
    broadcast(project_group(project_id), "task.updated", data)
    broadcast(task_group(task_id), "task.updated", data)


def checklist_item_data(item: ChecklistItem) -> dict[str, Any]:
    """The item as the REST API shows it (ChecklistItemSerializer's shape)."""
    return checklist_item(
        {name: getattr(item, name) for name in ("id", "task_id", "text", "done", "rank", "done_by_id", "done_at")}
    )
