"""Thin views on the core template (`apps.core.api`): scope, access and budget declared per view.

Every URL under /api/projects/{id}/ is a `ProjectView`: the project comes from the caller's
memberships (strangers get 404) before any handler runs, and the method's role rule is
checked once. Budgets count the token lookup; each handler's docstring lists its queries.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api import AUTHENTICATED, MEMBER, BriskView, Budget, ScopedView
from apps.core.idempotency import idempotent
from apps.core.pagination import BeforeIdCursorPagination
from apps.projects import builders, selectors, services
from apps.projects.exceptions import AdminRequired, WriteForbidden
from apps.projects.models import Project, ProjectMember
from apps.projects.serializers import (
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

# The project's own access rules, beyond core's MEMBER (any member: viewers included).
WRITER = "writer"  # admins and editors
ADMIN = "admin"


class ProjectView(ScopedView):
    """Everything under /api/projects/{id}/: the scope is the project, seen through the caller's membership."""

    scope: Project

    def get_scope(self) -> Project:
        # one query: the project among the caller's live projects, with `my_role` annotated
        return selectors.project_for_member(user=self.request.user, project_id=self.kwargs["project_id"])

    def check_access(self, rule: str) -> None:
        role = self.scope.my_role
        if rule == WRITER and role not in ProjectMember.WRITERS:
            raise WriteForbidden()
        if rule == ADMIN and role != ProjectMember.Role.ADMIN:
            raise AdminRequired()
        if rule not in (WRITER, ADMIN):
            super().check_access(rule)


# --- projects -------------------------------------------------------------------------------


class ProjectListView(BriskView):
    """The caller's projects with their status counts; POST creates one (the caller becomes its admin)."""

    serializer_class = ProjectSerializer
    create_throttle_scope = "projects_create"
    access = {"GET": AUTHENTICATED, "POST": AUTHENTICATED}
    # GET: token, count, page (role and derived status joined), one grouped count for the
    # projects whose counts the cache misses (none when warm); POST: token + 4 writes
    query_budget = {"GET": Budget(4, fewest=3), "POST": 5}

    @extend_schema(responses=ProjectSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.page(selectors.project_list_rows(user=request.user), _projects_with_counts)

    @extend_schema(
        request=ProjectCreateSerializer,
        responses={201: ProjectDetailSerializer, 409: OpenApiResponse(description="The project key is taken")},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        """Create a project; the caller becomes its admin (nothing is read back)."""
        project = services.project_create(user=self.caller, **self.validated(ProjectCreateSerializer))
        return Response(ProjectDetailSerializer(project).data, status=status.HTTP_201_CREATED)


def _projects_with_counts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts = selectors.project_counts_many(versions={row["id"]: row["counts_version"] for row in rows})
    return [builders.project_item(row, counts.get(row["id"])) for row in rows]


class ProjectDetailView(ProjectView):
    """A project with its counts; PATCH renames or redescribes it, DELETE archives it (admins)."""

    serializer_class = ProjectDetailSerializer
    access = {"GET": MEMBER, "PATCH": ADMIN, "DELETE": ADMIN}
    # token, project with role, counts only when the cache misses (PATCH: + the UPDATE when
    # something changed); DELETE: token, project, UPDATE archived_at
    query_budget = {"GET": Budget(3, fewest=2), "PATCH": Budget(4, fewest=2), "DELETE": 3}

    def get(self, request: Request, project_id: int) -> Response:
        self.scope.counts = selectors.project_counts(project=self.scope)
        return Response(ProjectDetailSerializer(self.scope).data)

    @extend_schema(request=ProjectUpdateSerializer, responses=ProjectDetailSerializer)
    def patch(self, request: Request, project_id: int) -> Response:
        project = services.project_update(project=self.scope, data=self.validated(ProjectUpdateSerializer))
        project.counts = selectors.project_counts(project=project)
        return Response(ProjectDetailSerializer(project).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, project_id: int) -> Response:
        """Archive the project (admins only)."""
        services.project_archive(project=self.scope)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectStatsView(ProjectView):
    """The project's live task counts per category and its derived status (cached)."""

    serializer_class = StatsSerializer
    access = {"GET": MEMBER}
    # token, project with role, and the conditional-aggregate count only on a cache miss
    query_budget = {"GET": Budget(3, fewest=2)}

    def get(self, request: Request, project_id: int) -> Response:
        return Response(StatsSerializer(selectors.project_stats(project=self.scope)).data)


class StatusListView(ProjectView):
    """The board's columns, in order."""

    serializer_class = StatusSerializer
    access = {"GET": MEMBER}
    query_budget = {"GET": 4}  # token, project with role, count, page

    @extend_schema(responses=StatusSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        return self.page(selectors.status_list(project=self.scope), StatusSerializer)


# --- members ---------------------------------------------------------------------------------


class MemberListView(ProjectView):
    """The project's members and roles; POST adds one (admins)."""

    serializer_class = MemberSerializer
    access = {"GET": MEMBER, "POST": ADMIN}
    # GET: token, project with role, count, page (users joined); POST: token, project, user, INSERT
    query_budget = {"GET": 4, "POST": 4}

    @extend_schema(responses=MemberSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        return self.page(selectors.member_list(project=self.scope), MemberSerializer)

    @extend_schema(request=MemberAddSerializer, responses={201: MemberSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        member = services.member_add(project=self.scope, **self.validated(MemberAddSerializer))
        return Response(MemberSerializer(member).data, status=status.HTTP_201_CREATED)


class MemberDetailView(ProjectView):
    """Change a member's role (admins), or remove a member (admins; anyone may leave)."""

    serializer_class = MemberSerializer
    # DELETE: any member may leave; removing someone else is the service's admin rule
    access = {"PATCH": ADMIN, "DELETE": MEMBER}
    # token, project with role, project lock, member, other admins (only when an admin steps
    # down or leaves), UPDATE / DELETE
    query_budget = {"PATCH": Budget(6, fewest=5), "DELETE": Budget(6, fewest=5)}

    @extend_schema(
        request=MemberUpdateSerializer,
        responses={200: MemberSerializer, 409: OpenApiResponse(description="The last admin cannot step down")},
    )
    def patch(self, request: Request, project_id: int, user_id: int) -> Response:
        data = self.validated(MemberUpdateSerializer)
        member = services.member_update(project=self.scope, user_id=user_id, role=data["role"])
        return Response(MemberSerializer(member).data)

    @extend_schema(responses={204: None, 409: OpenApiResponse(description="The last admin cannot leave")})
    def delete(self, request: Request, project_id: int, user_id: int) -> Response:
        """Admins remove members; any member may remove themselves (leave)."""
        services.member_remove(project=self.scope, actor=self.caller, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- tasks -------------------------------------------------------------------------------------


class TaskListView(ProjectView):
    """The project's tasks in board order, filtered; POST creates one (KEY-n taken atomically)."""

    serializer_class = TaskSerializer
    create_throttle_scope = "projects_task_create"
    access = {"GET": MEMBER, "POST": WRITER}
    # GET: token, project with role and the filtered COUNT (skipped when the cached counts are
    # live), page (status, assignee, reporter joined; subtask counts as a subquery).
    # POST: token, project with role, then task_create's 4-5 (see the service)
    query_budget = {"GET": 3, "POST": Budget(7, fewest=5)}

    def get_scope(self) -> Project:
        if self.request.method != "GET":
            return super().get_scope()
        params = TaskFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        self.filters = params.to_filters()
        # the unfiltered list takes its total from the cached counts when they are live (cached
        # at the row's counts_version), else the project lookup counts the matching tasks in
        # the same round trip
        cached = None
        if selectors.is_default_task_filter(self.filters):
            cached = selectors.cached_task_total(project_id=self.kwargs["project_id"])
        project = selectors.project_for_member(
            user=self.request.user,
            project_id=self.kwargs["project_id"],
            task_filters=self.filters,
            unless_counts_version=None if cached is None else cached[0],
        )
        self.known_total = project.task_total
        if self.known_total is None and cached is not None:
            self.known_total = cached[1]
        return project

    @extend_schema(parameters=[TaskFilterSerializer], responses=TaskSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        return self.page(selectors.task_list_rows(project_id=self.scope.pk, filters=self.filters), builders.task_items)

    @extend_schema(request=TaskCreateSerializer, responses={201: TaskDetailSerializer})
    @idempotent
    def post(self, request: Request, project_id: int) -> Response:
        data = self.validated(TaskCreateSerializer)
        task = services.task_create(project=self.scope, reporter=self.caller, **data)
        return Response(builders.task_detail_from_model(task), status=status.HTTP_201_CREATED)


class TaskDetailView(ProjectView):
    """One task; PATCH edits it (with the row_version read), DELETE removes it."""

    serializer_class = TaskDetailSerializer
    access = {"GET": MEMBER, "PATCH": WRITER, "DELETE": WRITER}
    # GET: token, project with role, task (joined, subtask count annotated).
    # PATCH: token, project, project lock, task locked, UPDATE (a status change also reads
    # the target column and re-derives the project status). DELETE: token, project, lock,
    # task, subtasks unparented, DELETE, live columns (+ the derived status when it changes)
    query_budget = {"GET": 3, "PATCH": Budget(9, fewest=5), "DELETE": Budget(8, fewest=7)}

    def get(self, request: Request, project_id: int, task_id: int) -> Response:
        return Response(builders.task_detail_item(selectors.task_detail_row(project_id=self.scope.pk, task_id=task_id)))

    @extend_schema(
        request=TaskUpdateSerializer,
        responses={
            200: TaskDetailSerializer,
            409: OpenApiResponse(TaskConflictSerializer, description="Stale row_version: the current task."),
        },
    )
    def patch(self, request: Request, project_id: int, task_id: int) -> Response:
        data = self.validated(TaskUpdateSerializer)
        row_version = data.pop("row_version")
        task = services.task_update(
            project=self.scope, actor=self.caller, task_id=task_id, row_version=row_version, data=data
        )
        return Response(builders.task_detail_from_model(task))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, project_id: int, task_id: int) -> Response:
        services.task_delete(project=self.scope, actor=self.caller, task_id=task_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TaskMoveView(ProjectView):
    """Move a task to a column and between two neighbours."""

    serializer_class = TaskDetailSerializer
    access = {"POST": WRITER}
    # token, project, project lock, task locked, anchors, neighbour rank, UPDATE; across
    # columns also the target status and the live-column checks for the derived status
    query_budget = {"POST": Budget(9, fewest=7)}

    @extend_schema(request=TaskMoveSerializer, responses=TaskDetailSerializer)
    def post(self, request: Request, project_id: int, task_id: int) -> Response:
        data = self.validated(TaskMoveSerializer)
        task = services.task_move(project=self.scope, actor=self.caller, task_id=task_id, **data)
        return Response(builders.task_detail_from_model(task))


class MyTasksView(BriskView):
    """The caller's open assigned tasks across their projects, newest first (cursor-paginated)."""

    serializer_class = TaskSerializer
    pagination_class = BeforeIdCursorPagination
    access = {"GET": AUTHENTICATED}
    query_budget = {"GET": 2}  # token, page

    @extend_schema(responses=TaskSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.page(selectors.my_open_task_rows(user=request.user), builders.task_items)
