"""Thin views: scope to the caller's projects, validate, hand writes to services.

Query budgets (including the token lookup) are listed on each view; tests pin them.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.exceptions import ForbiddenError, NotFoundError
from apps.core.pagination import BeforeIdCursorPagination, EnvelopePagination
from apps.projects import selectors, services
from apps.projects.models import Project, ProjectMember, Task, TaskStatus
from apps.projects.serializers import (
    MAX_ID,
    MemberAddSerializer,
    MemberSerializer,
    MemberUpdateSerializer,
    ProjectCreateSerializer,
    ProjectDetailSerializer,
    ProjectSerializer,
    ProjectUpdateSerializer,
    StatsSerializer,
    StatusSerializer,
    TaskConflictSerializer,
    TaskCreateSerializer,
    TaskDetailSerializer,
    TaskFilterSerializer,
    TaskMoveSerializer,
    TaskSerializer,
    TaskUpdateSerializer,
)


def _validated(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def require_writer(project: Project) -> None:
    if project.my_role not in ProjectMember.WRITERS:
        raise ForbiddenError("Viewers can read this project but not change it.", code="write_forbidden")


def require_admin(project: Project) -> None:
    if project.my_role != ProjectMember.Role.ADMIN:
        raise ForbiddenError("Only a project admin can do this.", code="admin_required")


class ProjectScopedView(generics.GenericAPIView):
    """Every URL under /api/projects/{id}/ starts from the caller's projects: strangers get 404."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # an id no row can have (past bigint) is a 404, not a database overflow
        if any(isinstance(value, int) and value > MAX_ID for value in self.kwargs.values()):
            raise NotFoundError("Not found.", code="not_found")

    def get_project(self, **kwargs) -> Project:
        return selectors.project_for_member(user=self.request.user, project_id=self.kwargs["project_id"], **kwargs)


# --- projects -------------------------------------------------------------------------------


class ProjectListView(generics.GenericAPIView):
    queryset = Project.objects.none()  # for the schema only: handlers start from selectors
    serializer_class = ProjectSerializer
    pagination_class = EnvelopePagination
    create_throttle_scope = "projects_create"

    @extend_schema(responses=ProjectSerializer(many=True))
    def get(self, request: Request) -> Response:
        """The caller's projects with their counts.

        Queries: token, count, page (role and derived status joined), and at most one
        grouped count query for the projects whose counts the cache misses.
        """
        page = self.paginate_queryset(selectors.project_list(user=request.user))
        counts = selectors.project_counts_many(project_ids=[project.pk for project in page])
        data = ProjectSerializer(page, many=True, context={"counts": counts}).data
        return self.get_paginated_response(data)

    @extend_schema(request=ProjectCreateSerializer, responses={201: ProjectDetailSerializer})
    def post(self, request: Request) -> Response:
        """Create a project; the caller becomes its admin. Queries: token + 4 INSERT/UPDATE, no read-back."""
        data = _validated(ProjectCreateSerializer, request.data)
        project = services.project_create(user=request.user, **data)
        return Response(ProjectDetailSerializer(project).data, status=status.HTTP_201_CREATED)


class ProjectDetailView(ProjectScopedView):
    queryset = Project.objects.none()  # for the schema only: handlers start from selectors
    serializer_class = ProjectDetailSerializer

    def get(self, request: Request, project_id: int) -> Response:
        """Queries: token, project with role, counts (only when the cache misses)."""
        project = self.get_project()
        project.counts = selectors.project_counts(project_id=project.pk)
        return Response(ProjectDetailSerializer(project).data)

    @extend_schema(request=ProjectUpdateSerializer, responses=ProjectDetailSerializer)
    def patch(self, request: Request, project_id: int) -> Response:
        project = self.get_project()
        require_admin(project)
        data = _validated(ProjectUpdateSerializer, request.data)
        project = services.project_update(project=project, data=data)
        project.counts = selectors.project_counts(project_id=project.pk)
        return Response(ProjectDetailSerializer(project).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, project_id: int) -> Response:
        """Archive the project (admins only)."""
        project = self.get_project()
        require_admin(project)
        services.project_archive(project=project)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectStatsView(ProjectScopedView):
    queryset = Project.objects.none()  # for the schema only: handlers start from selectors
    serializer_class = StatsSerializer

    def get(self, request: Request, project_id: int) -> Response:
        """Queries: token, project with role, and the conditional-aggregate count only on a cache miss."""
        project = self.get_project()
        return Response(StatsSerializer(selectors.project_stats(project_id=project.pk)).data)


class StatusListView(ProjectScopedView):
    queryset = TaskStatus.objects.none()  # for the schema only: handlers start from selectors
    serializer_class = StatusSerializer
    pagination_class = EnvelopePagination

    @extend_schema(responses=StatusSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project = self.get_project()
        page = self.paginate_queryset(selectors.status_list(project=project))
        return self.get_paginated_response(StatusSerializer(page, many=True).data)


# --- members ---------------------------------------------------------------------------------


class MemberListView(ProjectScopedView):
    queryset = ProjectMember.objects.none()  # for the schema only: handlers start from selectors
    serializer_class = MemberSerializer
    pagination_class = EnvelopePagination

    @extend_schema(responses=MemberSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project = self.get_project()
        page = self.paginate_queryset(selectors.member_list(project=project))
        return self.get_paginated_response(MemberSerializer(page, many=True).data)

    @extend_schema(request=MemberAddSerializer, responses={201: MemberSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project = self.get_project()
        require_admin(project)
        data = _validated(MemberAddSerializer, request.data)
        member = services.member_add(project=project, **data)
        return Response(MemberSerializer(member).data, status=status.HTTP_201_CREATED)


class MemberDetailView(ProjectScopedView):
    queryset = ProjectMember.objects.none()  # for the schema only: handlers start from selectors
    serializer_class = MemberSerializer

    @extend_schema(request=MemberUpdateSerializer, responses=MemberSerializer)
    def patch(self, request: Request, project_id: int, user_id: int) -> Response:
        project = self.get_project()
        require_admin(project)
        data = _validated(MemberUpdateSerializer, request.data)
        member = services.member_update(project=project, user_id=user_id, role=data["role"])
        return Response(MemberSerializer(member).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, project_id: int, user_id: int) -> Response:
        """Admins remove members; any member may remove themselves (leave)."""
        project = self.get_project()
        services.member_remove(project=project, actor=request.user, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- tasks -------------------------------------------------------------------------------------


class TaskListView(ProjectScopedView):
    queryset = Task.objects.none()  # for the schema only: handlers start from selectors
    serializer_class = TaskSerializer
    pagination_class = EnvelopePagination  # honours `known_total`: no COUNT when the total is known
    create_throttle_scope = "projects_task_create"

    @extend_schema(parameters=[TaskFilterSerializer], responses=TaskSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        """Queries: token, project with role and the filtered COUNT, page (status, assignee,
        reporter joined; subtask counts as a subquery). The page is skipped past the end.

        The unfiltered list takes its total from the cached counts when they are live, and
        then runs no COUNT at all (still three queries: the project lookup stays).
        """
        params = TaskFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = params.to_filters()
        total = None
        if selectors.is_default_task_filter(filters):
            total = selectors.live_task_total_if_cached(project_id=self.kwargs["project_id"])
        project = self.get_project(task_filters=filters if total is None else None)
        self.known_total = project.task_total if total is None else total
        page = self.paginate_queryset(selectors.task_list(project=project, filters=filters))
        return self.get_paginated_response(TaskSerializer(page, many=True).data)

    @extend_schema(request=TaskCreateSerializer, responses={201: TaskDetailSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        """Queries: token, project with role, then task_create's 3–5 (see the service)."""
        project = self.get_project()
        require_writer(project)
        data = _validated(TaskCreateSerializer, request.data)
        task = services.task_create(project=project, reporter=request.user, **data)
        return Response(TaskDetailSerializer(task).data, status=status.HTTP_201_CREATED)


class TaskDetailView(ProjectScopedView):
    queryset = Task.objects.none()  # for the schema only: handlers start from selectors
    serializer_class = TaskDetailSerializer

    def get(self, request: Request, project_id: int, task_id: int) -> Response:
        """Queries: token, project with role, task (joined, subtask count annotated)."""
        project = self.get_project()
        return Response(TaskDetailSerializer(selectors.task_for_project(project=project, task_id=task_id)).data)

    @extend_schema(
        request=TaskUpdateSerializer,
        responses={
            200: TaskDetailSerializer,
            409: OpenApiResponse(TaskConflictSerializer, description="Stale row_version: the current task."),
        },
    )
    def patch(self, request: Request, project_id: int, task_id: int) -> Response:
        project = self.get_project()
        require_writer(project)
        data = dict(_validated(TaskUpdateSerializer, request.data))
        row_version = data.pop("row_version")
        task = services.task_update(
            project=project, actor=request.user, task_id=task_id, row_version=row_version, data=data
        )
        return Response(TaskDetailSerializer(task).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, project_id: int, task_id: int) -> Response:
        project = self.get_project()
        require_writer(project)
        services.task_delete(project=project, actor=request.user, task_id=task_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TaskMoveView(ProjectScopedView):
    queryset = Task.objects.none()  # for the schema only: handlers start from selectors
    serializer_class = TaskDetailSerializer

    @extend_schema(request=TaskMoveSerializer, responses=TaskDetailSerializer)
    def post(self, request: Request, project_id: int, task_id: int) -> Response:
        project = self.get_project()
        require_writer(project)
        data = _validated(TaskMoveSerializer, request.data)
        task = services.task_move(project=project, actor=request.user, task_id=task_id, **data)
        return Response(TaskDetailSerializer(task).data)


class MyTasksView(generics.GenericAPIView):
    queryset = Task.objects.none()  # for the schema only: handlers start from selectors
    serializer_class = TaskSerializer
    pagination_class = BeforeIdCursorPagination

    @extend_schema(responses=TaskSerializer(many=True))
    def get(self, request: Request) -> Response:
        """The caller's open assigned tasks, newest first. Queries: token, page."""
        page = self.paginate_queryset(selectors.my_open_tasks(user=request.user))
        return self.get_paginated_response(TaskSerializer(page, many=True).data)
