"""The job queue's refusals: one class per stable `code` (services and selectors raise them).

A code means one thing everywhere in the API: `user_not_found`, `task_not_found` and the
others shared with projects carry the same status there (tests/core/test_errors.py).
"""

from __future__ import annotations

from apps.core.exceptions import ApplicationError, ConflictError, ForbiddenError, NotFoundError

# --- rooms ------------------------------------------------------------------


class InvalidRoomName(ApplicationError):
    code = "invalid_room"
    field = "room"
    default_message = (
        "Room names are 1-64 letters, digits, '_', '.' or '-' (starting with a letter or digit), "
        "or one of the shared rooms @global and @internal."
    )


class RoomNotFound(NotFoundError):
    """Also a stranger's answer for a room that exists: the same 404 either way."""

    code = "room_not_found"


class SharedRoom(ApplicationError):
    """The shared rooms (@global, @internal) always exist, have no members and take no tasks."""

    code = "shared_room"


class SharedRoomSuperuserOnly(ForbiddenError):
    code = "shared_room_superuser_only"


# --- workers and jobs -----------------------------------------------------------


class WorkerNotFound(NotFoundError):
    code = "worker_not_found"


class WorkerNotServingJob(ForbiddenError):
    code = "worker_not_serving_job"
    default_message = "That worker does not serve this job."


class InvalidJobName(ApplicationError):
    code = "invalid_job_name"
    field = "full_name"
    default_message = "A job's full name is 'room:category:name'."


class JobNotFound(NotFoundError):
    code = "job_not_found"


class JobSchemaConflict(ConflictError):
    code = "job_schema_conflict"


class InvalidJobSchema(ApplicationError):
    """The job's `schema` is not a JSON Schema (or one that cannot be applied)."""

    code = "invalid_job_schema"
    field = "schema"


class PayloadRejected(ApplicationError):
    """The payload fails the job's schema: `errors` lists each failing path and message."""

    code = "invalid_payload"
    field = "payload"


class InternalJobNotConfigured(ApplicationError):
    """An `@internal` job registered in the database that no function of this server runs."""

    status_code = 503
    code = "internal_job_not_configured"


# --- tasks ------------------------------------------------------------------


class TaskNotFound(NotFoundError):
    code = "task_not_found"


class InvalidTaskChange(ApplicationError):
    """A status change whose fields do not fit it (an error on a completed task, a claim without worker)."""

    code = "invalid"


class TaskChangeForbidden(ForbiddenError):
    """Only the worker's owner changes a held task; the submitter may also cancel it."""

    code = "permission_denied"


class InvalidTransition(ConflictError):
    code = "invalid_transition"


class TaskChanged(ConflictError):
    code = "task_changed"
    default_message = "The task changed meanwhile; reload it."
