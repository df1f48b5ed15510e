"""HTTP endpoints of the job queue: thin DRF views over selectors and services, plus the long-poll."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.jobs import selectors, services
from apps.jobs.models import TaskStatus
from apps.jobs.serializers import (
    JobClaimResultSerializer,
    JobDetailSerializer,
    JobListItemSerializer,
    JobRegisterSerializer,
    JobRoomMemberAddSerializer,
    JobRoomSerializer,
    JobTaskClaimSerializer,
    JobTaskListFilterSerializer,
    JobTaskSerializer,
    JobTaskStatusUpdateSerializer,
    JobTaskSubmitSerializer,
    JobWorkerListItemSerializer,
    JobWorkerSerializer,
)

ROOM_PARAM = OpenApiParameter(
    "room", OpenApiTypes.STR, OpenApiParameter.PATH, description="A room name, or @global / @internal."
)
FULL_NAME_PARAM = OpenApiParameter(
    "full_name", OpenApiTypes.STR, OpenApiParameter.PATH, description="The job's `room:category:name`."
)
ID_PARAM = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
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
            "status": {"type": "string", "enum": [s for s in TaskStatus.values if s != TaskStatus.PENDING]},
            "error": {"type": "string", "maxLength": 4000, "description": "Only with failed or cancelled."},
            "worker_id": {
                "type": "integer",
                "minimum": 1,
                "maximum": 2**63 - 1,
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


# --- rooms ------------------------------------------------------------------


class RoomView(APIView):
    """Create a room; the caller becomes its first member."""

    @extend_schema(
        request=None,
        parameters=[ROOM_PARAM],
        responses={200: JobRoomSerializer, 201: JobRoomSerializer, 409: OpenApiResponse(description="Name taken")},
    )
    def put(self, request, room: str):
        created = services.room_create(user=request.user, room=room)
        return Response(
            {"name": room, "created": created}, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class RoomMembersView(APIView):
    """A member adds another user to the room."""

    @extend_schema(
        request=JobRoomMemberAddSerializer,
        parameters=[ROOM_PARAM],
        responses={200: OpenApiResponse(description="Already a member"), 201: OpenApiResponse(description="Added")},
    )
    def post(self, request, room: str):
        body = JobRoomMemberAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        created = services.room_member_add(user=request.user, room=room, member_id=body.validated_data["user_id"])
        return Response(status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


# --- workers ----------------------------------------------------------------


class WorkerListCreateView(generics.GenericAPIView):
    """The caller's workers; POST registers a new worker."""

    serializer_class = JobWorkerListItemSerializer
    filter_backends = ()
    create_throttle_scope = "jobs_worker_register"

    def get_queryset(self):
        return selectors.worker_list_for_user(user=self.request.user)

    # auth, count, page (job counts in the page query)
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(JobWorkerListItemSerializer(page, many=True).data)

    @extend_schema(request=None, responses={201: JobWorkerSerializer})
    def post(self, request):
        worker = services.worker_create(user=request.user)
        return Response(JobWorkerSerializer(worker).data, status=status.HTTP_201_CREATED)


class WorkerDetailView(APIView):
    """Heartbeat (PATCH) or disconnect (DELETE) one of the caller's workers."""

    @extend_schema(request=None, parameters=[ID_PARAM], responses={200: JobWorkerSerializer, 404: ERRORS[404]})
    def patch(self, request, pk: int):
        worker = services.worker_heartbeat(user=request.user, worker_id=pk)
        return Response(JobWorkerSerializer(worker).data)

    @extend_schema(parameters=[ID_PARAM], responses={204: None, 404: ERRORS[404]})
    def delete(self, request, pk: int):
        services.worker_delete(user=request.user, worker_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoomWorkerListView(generics.ListAPIView):
    """Workers serving a job visible from the room."""

    serializer_class = JobWorkerListItemSerializer
    filter_backends = ()

    def get_queryset(self):
        room = self.kwargs["room"]
        selectors.room_check_access(user=self.request.user, room=room)
        return selectors.worker_list_for_room(room=room)

    # auth, room access, count, page (job counts in the page query)
    @extend_schema(parameters=[ROOM_PARAM])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# --- jobs -------------------------------------------------------------------


class RoomJobsView(generics.GenericAPIView):
    """Jobs visible from the room (its own and the shared ones); PUT registers one."""

    serializer_class = JobListItemSerializer
    filter_backends = ()

    def get_queryset(self):
        room = self.kwargs["room"]
        selectors.room_check_access(user=self.request.user, room=room)
        return selectors.job_list(room=room)

    # auth, room access, count, page, worker links of the page
    @extend_schema(parameters=[ROOM_PARAM], responses={200: JobListItemSerializer(many=True)})
    def get(self, request, room: str):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(JobListItemSerializer(page, many=True).data)

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
        body = JobRegisterSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        job, created = services.job_register(user=request.user, room=room, **body.validated_data)
        job = selectors.job_get(room=room, full_name=job.full_name, with_workers=True)
        return Response(
            JobDetailSerializer(job).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class RoomJobDetailView(APIView):
    """One job, with its schema and worker ids."""

    # auth, room access, job, worker links
    @extend_schema(parameters=[ROOM_PARAM, FULL_NAME_PARAM], responses={200: JobDetailSerializer, **ERRORS})
    def get(self, request, room: str, full_name: str):
        selectors.room_check_access(user=request.user, room=room)
        job = selectors.job_get(room=room, full_name=full_name, with_workers=True)
        return Response(JobDetailSerializer(job).data)


# --- tasks ------------------------------------------------------------------


class _TaskPageMixin:
    serializer_class = JobTaskSerializer
    filter_backends = ()

    def task_page(self, queryset):
        page = self.paginate_queryset(queryset)
        # one ROW_NUMBER() query for the page's queue positions
        selectors.tasks_attach_queue_positions(page)
        return self.get_paginated_response(JobTaskSerializer(page, many=True).data)


class RoomTaskListView(_TaskPageMixin, generics.GenericAPIView):
    """The room's tasks, newest first, with their queue positions."""

    # auth, room access, count, page (job joined), queue positions
    @extend_schema(parameters=[ROOM_PARAM, JobTaskListFilterSerializer], responses={200: JobTaskSerializer(many=True)})
    def get(self, request, room: str):
        selectors.room_check_access(user=request.user, room=room)
        return self.task_page(selectors.task_list_for_room(room=room, status=_status_filter(request)))


class JobTaskListView(_TaskPageMixin, generics.GenericAPIView):
    """A job's tasks from this room (GET), or submit one (POST → 202 and Location)."""

    create_throttle_scope = "jobs_task_submit"

    # auth, room access, job, count, page (job joined), queue positions
    @extend_schema(
        parameters=[ROOM_PARAM, FULL_NAME_PARAM, JobTaskListFilterSerializer],
        responses={200: JobTaskSerializer(many=True)},
    )
    def get(self, request, room: str, full_name: str):
        selectors.room_check_access(user=request.user, room=room)
        job = selectors.job_get(room=room, full_name=full_name)
        return self.task_page(selectors.task_list_for_job(job=job, room=room, status=_status_filter(request)))

    # auth, room access, job, insert, queue position, worker owners (internal: + internal worker)
    @extend_schema(
        parameters=[ROOM_PARAM, FULL_NAME_PARAM, LOCATION],
        request=JobTaskSubmitSerializer,
        responses={202: JobTaskSerializer, **ERRORS},
    )
    def post(self, request, room: str, full_name: str):
        body = JobTaskSubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        selectors.room_check_access(user=request.user, room=room)
        job = selectors.job_get(room=room, full_name=full_name)
        task = services.task_submit(user=request.user, room=room, job=job, payload=body.validated_data["payload"])
        return Response(
            JobTaskSerializer(task).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": f"/api/jobs/tasks/{task.pk}/"},
        )


class TaskClaimView(APIView):
    """Claim the oldest pending task among the worker's jobs, or `{"task": null}`."""

    # auth, worker heartbeat (ownership), job ids, oldest pending task FOR UPDATE SKIP LOCKED, conditional UPDATE
    @extend_schema(
        request=JobTaskClaimSerializer,
        responses={200: JobClaimResultSerializer, 403: OpenApiResponse(description="Someone else's worker"), **ERRORS},
    )
    def post(self, request):
        body = JobTaskClaimSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task = services.task_claim(user=request.user, worker_id=body.validated_data["worker_id"])
        return Response({"task": JobTaskSerializer(task).data if task is not None else None})


class TaskDetailView(APIView):
    """One task. GET is served by the async `apps.jobs.longpoll.task_detail` (long-poll); this class
    documents it and handles PATCH through DRF's authentication, permissions and serializers."""

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
    def get(self, request, pk: int):
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
    def patch(self, request, pk: int):
        body = JobTaskStatusUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task = services.task_status_change(user=request.user, task_id=pk, **body.validated_data)
        return Response(JobTaskSerializer(task).data)
