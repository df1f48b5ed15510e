"""Workspace endpoints (`/api/applications/`) and the caller's projects across workspaces.

Every URL under /api/applications/{id}/ is an `ApplicationView`: the workspace comes from the
caller's memberships (strangers get 404) before any handler runs; viewers get 403 on writes.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api import AUTHENTICATED, MEMBER, BriskView, Budget, ScopedView
from apps.core.builders import current_zone
from apps.core.idempotency import idempotent
from apps.projects import builders, selectors, services
from apps.projects.exceptions import ApplicationWriteForbidden, ManagerRequired, OwnerRequired
from apps.projects.models import Application, ApplicationMember
from apps.projects.serializers import (
    ApplicationCreateSerializer,
    ApplicationMemberAddSerializer,
    ApplicationMemberSerializer,
    ApplicationMemberUpdateSerializer,
    ApplicationSerializer,
    ApplicationUpdateSerializer,
    MyProjectSerializer,
    ProjectCreateSerializer,
    ProjectDetailSerializer,
    ProjectSerializer,
)

# The workspace's access rules, beyond core's MEMBER (any member: viewers included).
WS_WRITER = "workspace_writer"  # owners and editors
WS_MANAGER = "workspace_manager"  # owners, and members with is_manager
WS_OWNER = "workspace_owner"


class ApplicationView(ScopedView):
    """Everything under /api/applications/{id}/: the scope is the workspace, seen through the caller's membership."""

    scope: Application
    scope_with_counts = False

    def get_scope(self) -> Application:
        # one query: the workspace among the caller's, with `my_role` and `my_is_manager`
        return selectors.application_for_member(
            user=self.request.user,
            application_id=self.kwargs["application_id"],
            with_counts=self.scope_with_counts and self.request.method == "GET",
        )

    def check_access(self, rule: str) -> None:
        role, manager = self.scope.my_role, bool(self.scope.my_is_manager)
        if rule == WS_WRITER and role not in ApplicationMember.WRITERS:
            raise ApplicationWriteForbidden()
        if rule == WS_OWNER and role != ApplicationMember.Role.OWNER:
            raise OwnerRequired()
        if rule == WS_MANAGER and role != ApplicationMember.Role.OWNER and not manager:
            raise ManagerRequired()
        if rule not in (WS_WRITER, WS_OWNER, WS_MANAGER):
            super().check_access(rule)


def _projects_with_counts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts = selectors.project_counts_many(versions={row["id"]: row["counts_version"] for row in rows})
    zone = current_zone()
    return [builders.project_item(row, counts.get(row["id"]), zone) for row in rows]


def _my_projects_with_counts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts = selectors.project_counts_many(versions={row["id"]: row["counts_version"] for row in rows})
    zone = current_zone()
    return [builders.my_project_item(row, counts.get(row["id"]), zone) for row in rows]


class ApplicationListView(BriskView):
    """The caller's workspaces; POST creates one (the caller becomes its owner)."""

    serializer_class = ApplicationSerializer
    create_throttle_scope = "projects_create"
    access = {"GET": AUTHENTICATED, "POST": AUTHENTICATED}
    # GET: token, count, page (the caller's role, member and live project counts as
    # subqueries); POST: token, INSERT workspace, INSERT owner membership
    query_budget = {"GET": 3, "POST": 3}

    @extend_schema(responses=ApplicationSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.page(selectors.application_list(user=request.user), ApplicationSerializer)

    @extend_schema(request=ApplicationCreateSerializer, responses={201: ApplicationSerializer})
    @idempotent
    def post(self, request: Request) -> Response:
        application = services.application_create(user=self.caller, **self.validated(ApplicationCreateSerializer))
        return Response(ApplicationSerializer(application).data, status=status.HTTP_201_CREATED)


class ApplicationDetailView(ApplicationView):
    """A workspace; PATCH renames or redescribes it, DELETE deletes it (owners; 409 while it has live projects)."""

    serializer_class = ApplicationSerializer
    scope_with_counts = True
    access = {"GET": MEMBER, "PATCH": WS_OWNER, "DELETE": WS_OWNER}
    # GET: token, workspace with role and counts. PATCH: token, workspace, UPDATE (when
    # something differs), the counts. DELETE: token, workspace, lock, its projects; when it has
    # archived ones the 8 statements deleting them and everything under them; its members, itself
    query_budget = {"GET": 2, "PATCH": Budget(4, fewest=3), "DELETE": Budget(14, fewest=6)}

    def get(self, request: Request, application_id: int) -> Response:
        return Response(ApplicationSerializer(self.scope).data)

    @extend_schema(request=ApplicationUpdateSerializer, responses=ApplicationSerializer)
    def patch(self, request: Request, application_id: int) -> Response:
        services.application_update(application=self.scope, data=self.validated(ApplicationUpdateSerializer))
        fresh = selectors.application_for_member(user=request.user, application_id=self.scope.pk, with_counts=True)
        return Response(ApplicationSerializer(fresh).data)

    @extend_schema(responses={204: None, 409: OpenApiResponse(description="The workspace still has live projects")})
    def delete(self, request: Request, application_id: int) -> Response:
        services.application_delete(application=self.scope)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApplicationMemberListView(ApplicationView):
    """The workspace's members; POST adds one (owners and managers)."""

    serializer_class = ApplicationMemberSerializer
    access = {"GET": MEMBER, "POST": WS_MANAGER}
    # GET: token, workspace with role, count, page (users joined); POST: token, workspace,
    # user, INSERT
    query_budget = {"GET": 4, "POST": 4}

    @extend_schema(responses=ApplicationMemberSerializer(many=True))
    def get(self, request: Request, application_id: int) -> Response:
        return self.page(selectors.application_member_list(application=self.scope), ApplicationMemberSerializer)

    @extend_schema(request=ApplicationMemberAddSerializer, responses={201: ApplicationMemberSerializer})
    def post(self, request: Request, application_id: int) -> Response:
        member = services.application_member_add(
            application=self.scope, **self.validated(ApplicationMemberAddSerializer)
        )
        return Response(ApplicationMemberSerializer(member).data, status=status.HTTP_201_CREATED)


class ApplicationMemberDetailView(ApplicationView):
    """Change a member's role or manager flag (owners and managers), or remove a member (owners
    and managers; anyone may leave): removal takes them off the workspace's projects and
    unassigns their open tasks there, in one transaction."""

    serializer_class = ApplicationMemberSerializer
    # DELETE: any member may leave; removing someone else is the service's manager rule
    access = {"PATCH": WS_MANAGER, "DELETE": MEMBER}
    # PATCH: token, workspace, lock, member, other owners (only when an owner steps down),
    # UPDATE. DELETE: token, workspace, lock, member, other owners (an owner leaving), the
    # projects they belong to locked, and when there are any: the last-admin check, their
    # open tasks locked, the UPDATE unassigning them (when any), the project memberships'
    # DELETE; then the workspace membership's DELETE
    query_budget = {"PATCH": Budget(6, fewest=5), "DELETE": Budget(11, fewest=6)}

    @extend_schema(
        request=ApplicationMemberUpdateSerializer,
        responses={200: ApplicationMemberSerializer, 409: OpenApiResponse(description="The last owner")},
    )
    def patch(self, request: Request, application_id: int, user_id: int) -> Response:
        data = self.validated(ApplicationMemberUpdateSerializer)
        member = services.application_member_update(application=self.scope, user_id=user_id, **data)
        return Response(ApplicationMemberSerializer(member).data)

    @extend_schema(responses={204: None, 409: OpenApiResponse(description="The last owner, or a project's last admin")})
    def delete(self, request: Request, application_id: int, user_id: int) -> Response:
        services.application_member_remove(application=self.scope, actor=self.caller, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApplicationProjectListView(ApplicationView):
    """The workspace's live projects the caller is a member of (the /api/projects/ items);
    POST creates one in it (owners and editors; the caller becomes its admin)."""

    serializer_class = ProjectSerializer
    create_throttle_scope = "projects_create"
    access = {"GET": MEMBER, "POST": WS_WRITER}
    # GET: token, workspace with role, count, page (role and derived status joined), one
    # grouped count for the projects whose counts the cache misses (none when warm).
    # POST: token, workspace, then project_create's 4
    query_budget = {"GET": Budget(5, fewest=4), "POST": 6}

    @extend_schema(responses=ProjectSerializer(many=True))
    def get(self, request: Request, application_id: int) -> Response:
        rows = selectors.workspace_project_rows(user=request.user, application_id=self.scope.pk)
        return self.page(rows, _projects_with_counts)

    @extend_schema(
        request=ProjectCreateSerializer,
        responses={201: ProjectDetailSerializer, 409: OpenApiResponse(description="The project key is taken")},
    )
    @idempotent
    def post(self, request: Request, application_id: int) -> Response:
        data = self.validated(ProjectCreateSerializer)
        project = services.project_create(user=self.caller, application=self.scope, **data)
        return Response(ProjectDetailSerializer(project).data, status=status.HTTP_201_CREATED)


class ApplicationArchivedProjectListView(ApplicationView):
    """The workspace's archived projects the caller is a member of, newest first."""

    serializer_class = ProjectSerializer
    access = {"GET": MEMBER}
    # token, workspace with role, count, page, the counts the cache misses
    query_budget = {"GET": Budget(5, fewest=4)}

    @extend_schema(responses=ProjectSerializer(many=True))
    def get(self, request: Request, application_id: int) -> Response:
        rows = selectors.workspace_project_rows(user=request.user, application_id=self.scope.pk, archived=True)
        return self.page(rows, _projects_with_counts)


class MyProjectsView(BriskView):
    """The caller's live projects across their workspaces, newest first, each with its workspace."""

    serializer_class = MyProjectSerializer
    access = {"GET": AUTHENTICATED}
    # token, count, page (role, derived status and workspace name joined), the counts the cache misses
    query_budget = {"GET": Budget(4, fewest=3)}

    @extend_schema(responses=MyProjectSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.page(selectors.my_project_rows(user=request.user), _my_projects_with_counts)
