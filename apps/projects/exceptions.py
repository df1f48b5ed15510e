"""The project tracker's refusals: one class per stable `code` (services, selectors and views raise them).

A code means one thing everywhere in the API: `user_not_found`, `task_not_found` and the
others shared with jobs carry the same status there (tests/core/test_errors.py).
"""

from __future__ import annotations

from apps.core.exceptions import ApplicationError, ConflictError, ForbiddenError, NotFoundError

# --- projects and members ---------------------------------------------------------


class ProjectNotFound(NotFoundError):
    """Also a stranger's answer for a project that exists: the same 404 either way."""

    code = "project_not_found"
    default_message = "No such project."


class ProjectKeyTaken(ConflictError):
    code = "project_key_taken"


class WriteForbidden(ForbiddenError):
    code = "write_forbidden"
    default_message = "Viewers can read this project but not change it."


class AdminRequired(ForbiddenError):
    code = "admin_required"
    default_message = "Only a project admin can do this."


class MemberExists(ConflictError):
    code = "member_exists"
    default_message = "The user is already a member of this project."


class MemberNotFound(NotFoundError):
    code = "member_not_found"
    default_message = "No such member."


class LastAdmin(ConflictError):
    code = "last_admin"


# --- tasks --------------------------------------------------------------------------


class TaskNotFound(NotFoundError):
    code = "task_not_found"
    default_message = "No such task in this project."


class UnknownStatus(ApplicationError):
    code = "unknown_status"
    field = "status_id"
    default_message = "No such status in this project."


class AssigneeNotMember(ApplicationError):
    code = "assignee_not_member"
    field = "assignee_id"
    default_message = "The assignee must be a member of the project."


class AssigneeIsViewer(ApplicationError):
    code = "assignee_is_viewer"
    field = "assignee_id"
    default_message = "A viewer cannot be assigned tasks."


class UnassignedTaskNotTodo(ApplicationError):
    code = "unassigned_task_not_todo"
    field = "assignee_id"
    default_message = "An unassigned task must stay in a todo column; assign it first."


class UnknownParent(ApplicationError):
    code = "unknown_parent"
    field = "parent_id"
    default_message = "No such parent task in this project."


class InvalidParent(ApplicationError):
    code = "invalid_parent"
    field = "parent_id"


class StaleRowVersion(ConflictError):
    """The body carries the current task, so the client can merge and retry."""

    code = "stale_row_version"
    default_message = "The task changed since you read it."


class TaskArchived(ConflictError):
    code = "task_archived"


class TaskDone(ConflictError):
    code = "task_done"
    default_message = "A done task can only change its status (to reopen it)."


class InvalidAnchor(ApplicationError):
    code = "invalid_anchor"
    default_message = "A task cannot be placed next to itself."


class UnknownAnchor(ApplicationError):
    code = "unknown_anchor"
    default_message = "No such task in this project."


class AnchorNotInColumn(ApplicationError):
    code = "anchor_not_in_column"


class AnchorsOutOfOrder(ConflictError):
    code = "anchors_out_of_order"
    default_message = "after_id must come before before_id in the column."


# --- comments -----------------------------------------------------------------------


class CommentNotFound(NotFoundError):
    code = "comment_not_found"
    default_message = "No such comment on this task."


class NotCommentAuthor(ForbiddenError):
    code = "not_comment_author"
    default_message = "Only the comment's author can change or delete it."


class CommentDeleted(ConflictError):
    code = "comment_deleted"
    default_message = "The comment was deleted; a deleted comment cannot be edited."


# --- checklists ---------------------------------------------------------------------


class ChecklistItemNotFound(NotFoundError):
    code = "checklist_item_not_found"
    default_message = "No such checklist item on this task."


class ChecklistAnchorNotFound(ApplicationError):
    """The anchor of a move is not an item of the same task (another task's item included)."""

    code = "checklist_anchor_not_found"
    default_message = "The anchor must be another item of this task's checklist."


# --- status override and archives ---------------------------------------------------


class OverrideExpiryInPast(ApplicationError):
    code = "override_expiry_in_past"
    field = "expires_at"
    default_message = "expires_at must be in the future."


class TaskNotArchived(ConflictError):
    code = "task_not_archived"
    default_message = "The task is not archived."


class ProjectNotArchived(ConflictError):
    code = "project_not_archived"
    default_message = "The project is not archived."


# --- workspaces -----------------------------------------------------------------------


class ApplicationNotFound(NotFoundError):
    """Also a stranger's answer for a workspace that exists: the same 404 either way."""

    code = "application_not_found"
    default_message = "No such workspace."


class ApplicationWriteForbidden(ForbiddenError):
    code = "application_write_forbidden"
    default_message = "Viewers can read this workspace but not change it."


class OwnerRequired(ForbiddenError):
    code = "owner_required"
    default_message = "Only a workspace owner can do this."


class ManagerRequired(ForbiddenError):
    code = "manager_required"
    default_message = "Only a workspace owner or manager can manage its members."


class ApplicationHasProjects(ConflictError):
    code = "application_has_projects"
    default_message = "The workspace still has live projects; archive or move them first."


class LastOwner(ConflictError):
    code = "last_owner"
    default_message = "The last owner cannot leave or step down; make someone else owner first."


class UnknownApplication(ApplicationError):
    """Not one of the caller's workspaces (a stranger's included: no hint that it exists)."""

    code = "unknown_application"
    field = "application_id"
    default_message = "No such workspace among yours."


class ApplicationViewerCannotCreate(ForbiddenError):
    code = "application_create_forbidden"
    field = "application_id"
    default_message = "Workspace viewers cannot create projects in it."


class AssigneeNotWorkspaceWriter(ApplicationError):
    code = "assignee_not_workspace_writer"
    field = "assignee_id"
    default_message = "The assignee must be an owner or editor of the project's workspace."


# --- presence ---------------------------------------------------------------------------


class PresenceUnavailable(ApplicationError):
    """Presence lives in Redis only: without it there is no honest answer (sockets stay open)."""

    status_code = 503
    code = "presence_unavailable"
    default_message = "Presence is unavailable right now; try again."
