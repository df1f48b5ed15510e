"""/v1/joblib/: the zndraw-joblib endpoints, each a thin view over the jobs app's services and
selectors (the same calls /api/jobs/ makes), answering in the original's shapes."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.core.api import AUTHENTICATED, MEMBER, BriskView, Budget
from apps.core.longpoll import LongPoll
from apps.core.pagination import DEFAULT_LIMIT, EnvelopePagination, _int_param
from apps.core.renderers import FastJSONRenderer
from apps.jobs import selectors, services
from apps.jobs.compat import builders
from apps.jobs.compat.problems import problem_exception_handler
from apps.jobs.compat.schema import ProblemAutoSchema
from apps.jobs.compat.serializers import (
    CompatClaimSerializer,
    CompatJobRegisterSerializer,
    CompatJobSerializer,
    CompatJobSummarySerializer,
    CompatTaskListItemSerializer,
    CompatTaskSerializer,
    CompatTaskUpdateSerializer,
    CompatWorkerSerializer,
    CompatWorkerSummarySerializer,
)
from apps.jobs.events import task_group
from apps.jobs.models import TERMINAL_STATUSES
from apps.jobs.serializers import JobTaskClaimSerializer, JobTaskListFilterSerializer, JobTaskSubmitSerializer
from apps.jobs.views import FULL_NAME_PARAM, ID_PARAM, PREFER_PARAM, PREFERENCE_APPLIED, ROOM_PARAM, RoomScopedView

COMPAT_MAX_LIMIT = 500
PROBLEM = OpenApiResponse(description="application/problem+json (RFC 9457)")
ERRORS = {400: PROBLEM, 404: PROBLEM}


class CompatPagination(EnvelopePagination):
    """The original's `?limit=&offset=`: limit 0..500 (default 50), and `limit=0` counts only
    (no page query). Newest first, as the selectors order."""

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any]:
        self.limit = _int_param(request, "limit", default=DEFAULT_LIMIT, minimum=0, maximum=COMPAT_MAX_LIMIT)
        self.offset = _int_param(request, "offset", default=0, minimum=0, maximum=2**31)
        self.total = queryset.count()
        if self.limit == 0 or self.offset >= self.total:
            return []
        return list(queryset[self.offset : self.offset + self.limit])

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        limit, offset = super().get_schema_operation_parameters(view)
        limit = {
            **limit,
            "description": f"Page size, 0..{COMPAT_MAX_LIMIT} (default {DEFAULT_LIMIT}); 0 answers the total only.",
            "schema": {"type": "integer", "minimum": 0, "maximum": COMPAT_MAX_LIMIT},
        }
        return [limit, offset]

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        body = super().get_paginated_response_schema(schema)
        body["properties"]["limit"] = {"type": "integer", "minimum": 0, "maximum": COMPAT_MAX_LIMIT}
        return body


class ProblemDetails:
    """Errors as RFC 9457 problem details (mixed into the views below, which set JSON-only
    rendering and the compat page envelope)."""

    def get_exception_handler(self):
        return problem_exception_handler


class CompatView(ProblemDetails, BriskView):
    """An unscoped /v1/joblib/ endpoint (the services scope to the caller's workers and tasks)."""

    renderer_classes = [FastJSONRenderer]
    pagination_class = CompatPagination
    schema = ProblemAutoSchema()


class CompatRoomView(ProblemDetails, RoomScopedView):
    """A /v1/joblib/rooms/{room}/… endpoint: the caller must be a member of the room (a stranger
    gets 404); `creates_room` methods create a room nobody has yet."""

    renderer_classes = [FastJSONRenderer]
    pagination_class = CompatPagination
    schema = ProblemAutoSchema()


def _tasks_with_positions(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    positions = selectors.queue_positions_for_rows(rows)  # one ROW_NUMBER() query for the page
    return [builders.task_list_item(row, positions) for row in rows]


def _jobs_with_workers(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    links = selectors.worker_ids_for_jobs([row["id"] for row in rows])  # one batch query for the page
    return [builders.job_summary(row, links[row["id"]]) for row in rows]


def _status_filter(request) -> str | None:
    filters = JobTaskListFilterSerializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    return filters.validated_data.get("status")


# --- workers ----------------------------------------------------------------


class WorkersView(CompatView):
    """`POST /workers` creates a worker for the caller; `GET /workers` lists the caller's."""

    create_throttle_scope = "jobs_worker_register"
    access = {"GET": AUTHENTICATED, "POST": AUTHENTICATED}
    # GET: token, count, page (job counts in the page query); POST: token, INSERT
    query_budget = {"GET": Budget(3, fewest=2), "POST": 2}

    @extend_schema(responses={200: CompatWorkerSummarySerializer(many=True)})
    def get(self, request):
        return self.page(selectors.worker_list_for_user(user=request.user), builders.worker_summaries)

    @extend_schema(request=None, responses={201: CompatWorkerSerializer})
    def post(self, request):
        worker = services.worker_create(user=self.caller)
        return Response(builders.worker_response(worker), status=status.HTTP_201_CREATED)


class WorkerView(CompatView):
    """`PATCH /workers/{id}`: heartbeat. `DELETE /workers/{id}`: the worker leaves (its held tasks fail)."""

    access = {"PATCH": AUTHENTICATED, "DELETE": AUTHENTICATED}
    query_budget = {"PATCH": 2, "DELETE": 11}  # as /api/jobs/workers/{id}/

    @extend_schema(request=None, parameters=[ID_PARAM], responses={200: CompatWorkerSerializer, 404: PROBLEM})
    def patch(self, request, pk: UUID):
        return Response(builders.worker_response(services.worker_heartbeat(user=self.caller, worker_id=pk)))

    @extend_schema(parameters=[ID_PARAM], responses={204: None, 404: PROBLEM})
    def delete(self, request, pk: UUID):
        services.worker_delete(user=self.caller, worker_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoomWorkersView(CompatRoomView):
    """`GET /rooms/{room}/workers`: workers serving a job visible from the room."""

    access = {"GET": MEMBER}
    query_budget = {"GET": Budget(4, fewest=3)}  # token, membership, count, page

    @extend_schema(parameters=[ROOM_PARAM], responses={200: CompatWorkerSummarySerializer(many=True)})
    def get(self, request, room: str):
        return self.page(selectors.worker_list_for_room(room=self.scope), builders.worker_summaries)


# --- jobs -------------------------------------------------------------------


class RoomJobsView(CompatRoomView):
    """`PUT /rooms/{room}/jobs` registers a job (201, or 200 when registered with the same schema;
    a new worker for the caller when the body names none; the room created on first use).
    `GET /rooms/{room}/jobs` lists the jobs visible from the room."""

    creates_room = frozenset({"PUT"})
    access = {"GET": MEMBER, "PUT": MEMBER}
    # GET: token, membership, count, page, worker links of the page.
    # PUT: token, membership (+ room and membership created on first use), worker (+ INSERT when
    # none is named), job get_or_create, worker link, read-back with links
    query_budget = {"GET": Budget(5, fewest=3), "PUT": Budget(13, fewest=8)}

    @extend_schema(parameters=[ROOM_PARAM], responses={200: CompatJobSummarySerializer(many=True)})
    def get(self, request, room: str):
        return self.page(selectors.job_rows(room=self.scope), _jobs_with_workers)

    @extend_schema(
        parameters=[ROOM_PARAM],
        request=CompatJobRegisterSerializer,
        responses={200: CompatJobSerializer, 201: CompatJobSerializer, 403: PROBLEM, 409: PROBLEM, **ERRORS},
    )
    def put(self, request, room: str):
        data = self.validated(CompatJobRegisterSerializer)
        job, created, worker_id = services.job_register_with_worker(user=self.caller, room=self.scope, **data)
        job = selectors.job_get(room=self.scope, full_name=job.full_name, with_workers=True)
        return Response(
            builders.job_response(job, worker_id=worker_id),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class RoomJobView(CompatRoomView):
    """`GET /rooms/{room}/jobs/{job_name}`: one job with its schema and workers."""

    access = {"GET": MEMBER}
    query_budget = {"GET": 4}  # token, membership, job, worker links

    @extend_schema(parameters=[ROOM_PARAM, FULL_NAME_PARAM], responses={200: CompatJobSerializer, **ERRORS})
    def get(self, request, room: str, full_name: str):
        job = selectors.job_get(room=self.scope, full_name=full_name, with_workers=True)
        return Response(builders.job_response(job))


# --- tasks ------------------------------------------------------------------


class RoomTasksView(CompatRoomView):
    """`GET /rooms/{room}/tasks?status=`: the room's tasks, newest first, with queue positions."""

    access = {"GET": MEMBER}
    query_budget = {"GET": Budget(5, fewest=3)}  # token, membership, count, page, queue positions

    @extend_schema(
        parameters=[ROOM_PARAM, JobTaskListFilterSerializer],
        responses={200: CompatTaskListItemSerializer(many=True)},
    )
    def get(self, request, room: str):
        tasks = selectors.task_rows_for_room(room=self.scope, status=_status_filter(request))
        return self.page(tasks, _tasks_with_positions)


class JobTasksView(CompatRoomView):
    """`GET /rooms/{room}/jobs/{job_name}/tasks?status=`: a job's tasks from this room."""

    access = {"GET": MEMBER}
    query_budget = {"GET": Budget(6, fewest=4)}  # token, membership, job, count, page, queue positions

    @extend_schema(
        parameters=[ROOM_PARAM, FULL_NAME_PARAM, JobTaskListFilterSerializer],
        responses={200: CompatTaskListItemSerializer(many=True)},
    )
    def get(self, request, room: str, full_name: str):
        job = selectors.job_get(room=self.scope, full_name=full_name)
        tasks = selectors.task_rows_for_job(job=job, room=self.scope, status=_status_filter(request))
        return self.page(tasks, _tasks_with_positions)


class TaskSubmitView(CompatRoomView):
    """`POST /rooms/{room}/tasks/{job_name}` `{payload}`: 202, `Location: /v1/joblib/tasks/{id}`,
    `Retry-After: 1`. The payload must satisfy the job's schema (400 naming the failing path)."""

    creates_room = frozenset({"POST"})
    create_throttle_scope = "jobs_task_submit"
    access = {"POST": MEMBER}
    # token, membership (+ room and membership created on first use), job, INSERT, queue
    # position with the owners of the job's workers (an @internal job: the internal worker instead)
    query_budget = {"POST": Budget(9, fewest=5)}

    @extend_schema(
        parameters=[ROOM_PARAM, FULL_NAME_PARAM],
        request=JobTaskSubmitSerializer,
        responses={202: CompatTaskSerializer, **ERRORS},
    )
    def post(self, request, room: str, full_name: str):
        data = self.validated(JobTaskSubmitSerializer)
        job = selectors.job_get(room=self.scope, full_name=full_name)
        task = services.task_submit(user=self.caller, room=self.scope, job=job, payload=data["payload"])
        return Response(
            builders.task_response(task),
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": f"/v1/joblib/tasks/{task.pk}", "Retry-After": "1"},
        )


class TaskClaimView(CompatView):
    """`POST /tasks/claim` `{worker_id}`: the oldest pending task of the worker's jobs, or `{"task": null}`."""

    access = {"POST": AUTHENTICATED}
    query_budget = {"POST": 5}  # as /api/jobs/tasks/claim/

    @extend_schema(request=JobTaskClaimSerializer, responses={200: CompatClaimSerializer, **ERRORS})
    def post(self, request):
        data = self.validated(JobTaskClaimSerializer)
        task = services.task_claim(user=self.caller, worker_id=data["worker_id"])
        return Response({"task": builders.task_response(task) if task is not None else None})


class TaskView(LongPoll, CompatView):
    """`GET /tasks/{id}` (with `Prefer: wait=N`, at most 60: a long-poll answered when the status
    changes, `Preference-Applied` saying the wait); `PATCH /tasks/{id}` `{status, error?}`."""

    def longpoll_group(self, request, **kwargs) -> str:
        return task_group(kwargs["pk"])

    def longpoll_state(self, data) -> str:
        return data["status"]

    def longpoll_settled(self, data) -> bool:
        return data["status"] in TERMINAL_STATUSES

    access = {"GET": AUTHENTICATED, "PATCH": AUTHENTICATED}
    query_budget = {"GET": 2, "PATCH": 3}  # as /api/jobs/tasks/{id}/

    @extend_schema(
        parameters=[ID_PARAM, PREFER_PARAM, PREFERENCE_APPLIED], responses={200: CompatTaskSerializer, **ERRORS}
    )
    def get(self, request, pk: UUID):
        return Response(builders.task_response(selectors.task_get(user=request.user, pk=pk)))

    @extend_schema(
        parameters=[ID_PARAM],
        request=CompatTaskUpdateSerializer,
        responses={200: CompatTaskSerializer, 403: PROBLEM, 409: PROBLEM, **ERRORS},
    )
    def patch(self, request, pk: UUID):
        data = self.validated(CompatTaskUpdateSerializer)
        task = services.task_status_change(user=self.caller, task_id=pk, **data)
        return Response(builders.task_response(task))
