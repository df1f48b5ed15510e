"""HTTP endpoints of the job queue: thin DRF views over selectors and services, plus the long-poll."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.core.api import AUTHENTICATED, MEMBER, BriskView, Budget, ScopedView
from apps.core.builders import current_zone
from apps.core.idempotency import idempotent
from apps.core.longpoll import LongPoll
from apps.jobs import builders, selectors, services
from apps.jobs.events import task_group
from apps.jobs.models import TERMINAL_STATUSES, TRANSITIONS_TEXT, TaskStatus
from apps.jobs.serializers import (
    JobClaimResultSerializer,
    JobDetailSerializer,
    JobListItemSerializer,
    JobRegisterSerializer,
    JobRoomMemberAddSerializer,
    JobRoomSerializer,
    JobTaskClaimSerializer,
    JobTaskListFilterSerializer,
    JobTaskListItemSerializer,
    JobTaskSerializer,
    JobTaskStatusUpdateSerializer,
    JobTaskSubmitSerializer,
    JobWorkerListItemSerializer,
    JobWorkerSerializer,
)

ROOM_PARAM = OpenApiParameter(
    "room",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="A room name, or @global / @internal.",
    pattern=r"^(@global|@internal|[A-Za-z0-9][A-Za-z0-9_.-]{0,63})$",
)
FULL_NAME_PARAM = OpenApiParameter(
    "full_name",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The job's `room:category:name`.",
    pattern=r"^[^:/]+:[^:/]+:[^:/]+$",
)
ID_PARAM = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)
PREFER_PARAM = OpenApiParameter(
    "Prefer",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="`wait=N` (seconds, capped at 60): answer as soon as the task's status changes, "
    "or after N seconds with the unchanged task. A finished task (completed, failed, cancelled) "
    "answers at once. No database connection is held while waiting. Malformed: 400.",
)
PREFERENCE_APPLIED = OpenApiParameter(
    "Preference-Applied",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200],
    description="`wait=N`: the wait the server applied (a larger request is clamped to 60).",
)
LOCATION = OpenApiParameter(
    "Location", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[202], description="The task's URL."
)
# PATCH bodies are documented as they are validated (drf-spectacular would mark every field optional).
TASK_STATUS_UPDATE_BODY = {
    "application/json": {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {
                "type": "string",
                "enum": [s for s in TaskStatus.values if s != TaskStatus.PENDING],
                "description": TRANSITIONS_TEXT,
            },
            "error": {"type": "string", "maxLength": 4000, "description": "Only with failed or cancelled."},
            "worker_id": {
                "type": "string",
                "format": "uuid",
                "nullable": True,
                "description": "Required to claim a pending task.",
            },
        },
    }
}
ERRORS = {400: OpenApiResponse(description="Bad input"), 404: OpenApiResponse(description="Not found")}


def _status_filter(request) -> str | None:
    filters = JobTaskListFilterSerializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    return filters.validated_data.get("status")


def _tasks_with_positions(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # one ROW_NUMBER() query for the page's queue positions
    positions = selectors.queue_positions_for_rows(rows)
    zone = current_zone()
    return [builders.task_list_item(row, positions, zone) for row in rows]


def _jobs_with_worker_ids(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # one batch query for the page's worker links
    links = selectors.worker_ids_for_jobs([row["id"] for row in rows])
    return [builders.job_list_item(row, links[row["id"]]) for row in rows]


class RoomScopedView(ScopedView):
    """Everything under /api/jobs/rooms/{room}/: the caller must be a member of the room
    (shared rooms: a superuser). Checked once, before the handler: 404 for a stranger,
    403 for a shared room, 400 for a malformed name. Every member may do everything."""

    scope: str
    # methods that create a room nobody has yet, with the caller as its first member
    creates_room: frozenset[str] = frozenset()

    def get_scope(self) -> str:
        room = self.kwargs["room"]
        if self.request.method in self.creates_room:
            services.room_use(user=self.caller, room=room)  # one query, four when it creates the room
        else:
            selectors.room_check_access(user=self.request.user, room=room)  # one query: the caller's membership
        return room


# --- rooms ------------------------------------------------------------------


class RoomView(BriskView):
    """Create a room; the caller becomes its first member."""

    access = {"PUT": AUTHENTICATED}  # the room need not exist yet: the service decides
    query_budget = {"PUT": 4}  # token, room get_or_create (SELECT, INSERT), membership INSERT

    @extend_schema(
        request=None,
        parameters=[ROOM_PARAM],
        responses={
            200: JobRoomSerializer,
            201: JobRoomSerializer,
            404: OpenApiResponse(description="Taken by others: as any room you cannot see"),
        },
    )
    def put(self, request, room: str):
        created = services.room_create(user=request.user, room=room)
        return Response(
            {"name": room, "created": created}, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class RoomMembersView(RoomScopedView):
    """A member adds another user to the room."""

    access = {"POST": MEMBER}
    query_budget = {"POST": 6}  # token, membership, room, user exists, membership get_or_create (SELECT, INSERT)

    @extend_schema(
        request=JobRoomMemberAddSerializer,
        parameters=[ROOM_PARAM],
        responses={200: OpenApiResponse(description="Already a member"), 201: OpenApiResponse(description="Added")},
    )
    def post(self, request, room: str):
        data = self.validated(JobRoomMemberAddSerializer)
        created = services.room_member_add(room=self.scope, username=data.get("username"), email=data.get("email"))
        return Response(status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


# --- workers ----------------------------------------------------------------


class WorkerListCreateView(BriskView):
    """The caller's workers; POST registers a new worker."""

    serializer_class = JobWorkerListItemSerializer
    create_throttle_scope = "jobs_worker_register"
    access = {"GET": AUTHENTICATED, "POST": AUTHENTICATED}
    # GET: token, count, page (job counts in the page query); POST: token, INSERT
    query_budget = {"GET": 3, "POST": 2}

    @extend_schema(responses=JobWorkerListItemSerializer(many=True))
    def get(self, request):
        return self.page(selectors.worker_list_for_user(user=request.user), JobWorkerListItemSerializer)

    @extend_schema(
        request=None,
        responses={201: JobWorkerSerializer},
        description="Registers a worker owned by the caller. No body (send none, or `{}`). Link it to jobs "
        "with `PUT rooms/{room}/jobs/` and its `worker_id`; keep it alive with `PATCH workers/{id}/`.",
    )
    @idempotent
    def post(self, request):
        worker = services.worker_create(user=request.user)
        return Response(JobWorkerSerializer(worker).data, status=status.HTTP_201_CREATED)


class WorkerDetailView(BriskView):
    """Heartbeat (PATCH) or disconnect (DELETE) one of the caller's workers."""

    access = {"PATCH": AUTHENTICATED, "DELETE": AUTHENTICATED}  # the services scope to the caller's workers
    # PATCH: token, conditional UPDATE. DELETE: token, worker locked, held tasks locked and
    # failed, job links, DELETE (cascades), orphaned jobs soft-deleted
    query_budget = {"PATCH": 2, "DELETE": 11}

    @extend_schema(request=None, parameters=[ID_PARAM], responses={200: JobWorkerSerializer, 404: ERRORS[404]})
    def patch(self, request, pk: UUID):
        worker = services.worker_heartbeat(user=request.user, worker_id=pk)
        return Response(JobWorkerSerializer(worker).data)

    @extend_schema(parameters=[ID_PARAM], responses={204: None, 404: ERRORS[404]})
    def delete(self, request, pk: UUID):
        services.worker_delete(user=request.user, worker_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoomWorkerListView(RoomScopedView):
    """Workers serving a job visible from the room."""

    serializer_class = JobWorkerListItemSerializer
    access = {"GET": MEMBER}
    query_budget = {"GET": 4}  # token, membership, count, page (job counts in the page query)

    @extend_schema(parameters=[ROOM_PARAM], responses={200: JobWorkerListItemSerializer(many=True)})
    def get(self, request, room: str):
        return self.page(selectors.worker_list_for_room(room=self.scope), JobWorkerListItemSerializer)


# --- jobs -------------------------------------------------------------------


class RoomJobsView(RoomScopedView):
    """Jobs visible from the room (its own and the shared ones); PUT registers one (creating the
    room, with the caller as its first member, when nobody has it yet)."""

    creates_room = frozenset({"PUT"})

    serializer_class = JobListItemSerializer
    access = {"GET": MEMBER, "PUT": MEMBER}
    # GET: token, membership, count, page, worker links of the page.
    # PUT: token, membership (+ room get_or_create and membership INSERT for a new room), worker,
    # job get_or_create, worker link, read-back with links
    query_budget = {"GET": 5, "PUT": Budget(12, fewest=8)}

    @extend_schema(parameters=[ROOM_PARAM], responses={200: JobListItemSerializer(many=True)})
    def get(self, request, room: str):
        return self.page(selectors.job_page(room=self.scope), _jobs_with_worker_ids)

    @extend_schema(
        parameters=[ROOM_PARAM],
        request=JobRegisterSerializer,
        responses={
            200: JobDetailSerializer,
            201: JobDetailSerializer,
            403: OpenApiResponse(description="Shared rooms need a superuser"),
            409: OpenApiResponse(description="Registered with another schema"),
        },
    )
    def put(self, request, room: str):
        data = self.validated(JobRegisterSerializer)
        job, created = services.job_register(user=request.user, room=self.scope, **data)
        job = selectors.job_get(room=self.scope, full_name=job.full_name, with_workers=True)
        return Response(
            JobDetailSerializer(job).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class RoomJobDetailView(RoomScopedView):
    """One job, with its schema and worker ids."""

    access = {"GET": MEMBER}
    query_budget = {"GET": 4}  # token, membership, job, worker links

    @extend_schema(parameters=[ROOM_PARAM, FULL_NAME_PARAM], responses={200: JobDetailSerializer, **ERRORS})
    def get(self, request, room: str, full_name: str):
        job = selectors.job_get(room=self.scope, full_name=full_name, with_workers=True)
        return Response(JobDetailSerializer(job).data)


# --- tasks ------------------------------------------------------------------


class RoomTaskListView(RoomScopedView):
    """The room's tasks, newest first, with their queue positions."""

    serializer_class = JobTaskListItemSerializer
    access = {"GET": MEMBER}
    query_budget = {"GET": 5}  # token, membership, count, page (job joined), queue positions

    @extend_schema(
        parameters=[ROOM_PARAM, JobTaskListFilterSerializer], responses={200: JobTaskListItemSerializer(many=True)}
    )
    def get(self, request, room: str):
        tasks = selectors.task_page_for_room(room=self.scope, status=_status_filter(request))
        return self.page(tasks, _tasks_with_positions)


class JobTaskListView(RoomScopedView):
    """A job's tasks from this room (GET), or submit one (POST → 202 and Location; a room nobody
    has yet is created, with the caller as its first member)."""

    creates_room = frozenset({"POST"})

    serializer_class = JobTaskSerializer
    create_throttle_scope = "jobs_task_submit"
    access = {"GET": MEMBER, "POST": MEMBER}
    # GET: token, membership, job, count, page (job joined), queue positions.
    # POST: token, membership (+ room get_or_create and membership INSERT for a new room), job,
    # INSERT, queue position with the owners of the job's workers (an @internal job: the internal
    # worker's user and worker instead of the last: one more)
    query_budget = {"GET": 6, "POST": Budget(9, fewest=5)}

    @extend_schema(
        parameters=[ROOM_PARAM, FULL_NAME_PARAM, JobTaskListFilterSerializer],
        responses={200: JobTaskListItemSerializer(many=True)},
    )
    def get(self, request, room: str, full_name: str):
        job = selectors.job_get(room=self.scope, full_name=full_name)
        tasks = selectors.task_page_for_job(job=job, room=self.scope, status=_status_filter(request))
        return self.page(tasks, _tasks_with_positions)

    @extend_schema(
        parameters=[ROOM_PARAM, FULL_NAME_PARAM, LOCATION],
        request=JobTaskSubmitSerializer,
        responses={202: JobTaskSerializer, **ERRORS},
    )
    @idempotent
    def post(self, request, room: str, full_name: str):
        data = self.validated(JobTaskSubmitSerializer)
        job = selectors.job_get(room=self.scope, full_name=full_name)
        task = services.task_submit(user=request.user, room=self.scope, job=job, payload=data["payload"])
        return Response(
            JobTaskSerializer(task).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": f"/api/jobs/tasks/{task.pk}/"},
        )


class TaskClaimView(BriskView):
    """Claim the oldest pending task among the worker's jobs, or `{"task": null}`."""

    access = {"POST": AUTHENTICATED}  # the service checks the worker is the caller's
    # token, worker heartbeat (ownership), job ids, oldest pending task FOR UPDATE SKIP LOCKED, conditional UPDATE
    query_budget = {"POST": 5}

    @extend_schema(
        request=JobTaskClaimSerializer,
        responses={200: JobClaimResultSerializer, **ERRORS},
    )
    def post(self, request):
        data = self.validated(JobTaskClaimSerializer)
        task = services.task_claim(user=request.user, worker_id=data["worker_id"])
        return Response({"task": JobTaskSerializer(task).data if task is not None else None})


class TaskDetailView(LongPoll, BriskView):
    """One task. With `Prefer: wait=N` the GET is a long-poll (apps.core.longpoll) woken by the task's
    events: it answers once the status changed, at once for a finished task, else after N seconds."""

    def longpoll_group(self, request, **kwargs) -> str:
        return task_group(kwargs["pk"])

    def longpoll_state(self, data) -> str:
        return data["status"]

    def longpoll_settled(self, data) -> bool:
        return data["status"] in TERMINAL_STATUSES

    access = {"GET": AUTHENTICATED, "PATCH": AUTHENTICATED}  # the selectors scope to the caller's rooms
    query_budget = {"GET": 2, "PATCH": 3}  # see the comments on each handler

    # auth, task (visibility, job, worker, queue position)
    @extend_schema(
        parameters=[ID_PARAM, PREFER_PARAM, PREFERENCE_APPLIED],
        responses={
            200: OpenApiResponse(
                JobTaskSerializer,
                description="The task; with `Prefer: wait=N`, once its status changed or after N seconds.",
                # drf-spectacular documents response headers through OpenApiParameter on the operation
            ),
            **ERRORS,
        },
    )
    def get(self, request, pk: UUID):
        return Response(JobTaskSerializer(selectors.task_get(user=request.user, pk=pk)).data)

    # auth, task (visibility, job, worker), conditional UPDATE (claim by PATCH: + worker, + worker serves job)
    @extend_schema(
        parameters=[ID_PARAM],
        request=TASK_STATUS_UPDATE_BODY,
        responses={
            200: JobTaskSerializer,
            403: OpenApiResponse(description="Not the worker's owner"),
            409: OpenApiResponse(description="Transition not allowed or task lost"),
            **ERRORS,
        },
    )
    def patch(self, request, pk: UUID):
        body = JobTaskStatusUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task = services.task_status_change(user=request.user, task_id=pk, **body.validated_data)
        return Response(JobTaskSerializer(task).data)
