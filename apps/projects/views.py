"""Thin views on the core template (`apps.core.api`): scope, access and budget declared per view.

Every URL under /api/projects/{id}/ is a `ProjectView`: the project comes from the caller's
memberships (strangers get 404) before any handler runs, and the method's role rule is
checked once. Budgets count the token lookup; each handler's docstring lists its queries.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api import AUTHENTICATED, MEMBER, BriskView, Budget, ScopedView
from apps.core.builders import current_zone
from apps.core.idempotency import idempotent
from apps.core.pagination import BeforeIdCursorPagination
from apps.projects import builders, events, presence, selectors, services
from apps.projects.exceptions import AdminRequired, WriteForbidden
from apps.projects.models import Project, ProjectMember
from apps.projects.pagination import ArchivedCursorPagination
from apps.projects.serializers import (
    ChecklistItemCreateSerializer,
    ChecklistItemSerializer,
    ChecklistItemUpdateSerializer,
    ChecklistMoveSerializer,
    CommentSerializer,
    CommentWriteSerializer,
    MemberAddSerializer,
    MemberSerializer,
    MemberUpdateSerializer,
    MentionSerializer,
    OverrideSetSerializer,
    PresenceSerializer,
    ProjectCreateInSerializer,
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
    # projects whose counts the cache misses (none when warm); POST: token, the workspace (the
    # given one's role check, or the caller's default one, + 2 INSERTs when it is created), 4 writes
    query_budget = {"GET": Budget(4, fewest=3), "POST": Budget(8, fewest=6)}

    @extend_schema(responses=ProjectSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.page(selectors.project_list_page(user=request.user), _projects_with_counts)

    @extend_schema(
        request=ProjectCreateInSerializer,
        responses={201: ProjectDetailSerializer, 409: OpenApiResponse(description="The project key is taken")},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        """Create a project in `application_id` (an owner's or editor's workspace) or the caller's
        own default workspace (created, named after them, if they own none); the caller becomes
        its admin (nothing is read back)."""
        project = services.project_create(user=self.caller, **self.validated(ProjectCreateInSerializer))
        return Response(ProjectDetailSerializer(project).data, status=status.HTTP_201_CREATED)


def _projects_with_counts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts = selectors.project_counts_many(versions={row["id"]: row["counts_version"] for row in rows})
    zone, now = current_zone(), timezone.now()
    return [builders.project_item(row, counts.get(row["id"]), zone, now) for row in rows]


class ProjectDetailView(ProjectView):
    """A project with its counts; PATCH renames or redescribes it, DELETE archives it (admins)."""

    serializer_class = ProjectDetailSerializer
    access = {"GET": MEMBER, "PATCH": ADMIN, "DELETE": ADMIN}
    # token, project with role, counts only when the cache misses, the override's status and
    # author only when there is an override (PATCH: + the UPDATE when something changed);
    # DELETE: token, project, UPDATE archived_at
    query_budget = {"GET": Budget(4, fewest=2), "PATCH": Budget(5, fewest=2), "DELETE": 3}

    def get(self, request: Request, project_id: int) -> Response:
        self.scope.counts = selectors.project_counts(project=self.scope)
        return Response(ProjectDetailSerializer(selectors.load_override(self.scope)).data)

    @extend_schema(request=ProjectUpdateSerializer, responses=ProjectDetailSerializer)
    def patch(self, request: Request, project_id: int) -> Response:
        project = services.project_update(project=self.scope, data=self.validated(ProjectUpdateSerializer))
        project.counts = selectors.project_counts(project=project)
        selectors.load_override(project)
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
    # GET: token, project with role, count, page (users joined); POST: token, project, user,
    # INSERT, the workspace membership (INSERT ... ON CONFLICT DO NOTHING)
    query_budget = {"GET": 4, "POST": 5}

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
    # POST: token, project with role, then task_create's 3-4 (see the service)
    query_budget = {"GET": 3, "POST": Budget(6, fewest=5)}

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
        return self.page(selectors.task_list_page(project_id=self.scope.pk, filters=self.filters), builders.task_items)

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
    # task, its comments' ids (+ their mentions' DELETE and theirs when it has any), its
    # checklist's DELETE, subtasks unparented, DELETE, live columns (+ the derived status when
    # it changes)
    query_budget = {"GET": 3, "PATCH": Budget(9, fewest=5), "DELETE": Budget(12, fewest=9)}

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


# --- comments and mentions -------------------------------------------------------------------


class CommentListView(ProjectView):
    """A task's comments, cursor-paginated (`?before=`: older pages), oldest first within a page;
    POST adds one (`@username` of a member mentions them)."""

    serializer_class = CommentSerializer
    pagination_class = BeforeIdCursorPagination
    create_throttle_scope = "projects_comment_create"
    access = {"GET": MEMBER, "POST": WRITER}
    # GET: token, project with role, the task's existence, page (author joined), the page's
    # mentions (one IN query). POST: token, project with role, then comment_create's 2-4
    query_budget = {"GET": 5, "POST": Budget(6, fewest=4)}

    @extend_schema(responses=CommentSerializer(many=True))
    def get(self, request: Request, project_id: int, task_id: int) -> Response:
        selectors.task_exists(project_id=self.scope.pk, task_id=task_id)
        return self.page(selectors.comment_rows(task_id=task_id), _comments_with_mentions)

    @extend_schema(request=CommentWriteSerializer, responses={201: CommentSerializer})
    @idempotent
    def post(self, request: Request, project_id: int, task_id: int) -> Response:
        data = self.validated(CommentWriteSerializer)
        comment = services.comment_create(project=self.scope, author=self.caller, task_id=task_id, **data)
        return Response(builders.comment_from_model(comment, author=self.caller), status=status.HTTP_201_CREATED)


def _comments_with_mentions(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return builders.comment_items(rows, selectors.mentions_for_comments([row["id"] for row in rows]))


class CommentDetailView(ProjectView):
    """Edit or delete one's own comment (delete leaves a tombstone)."""

    serializer_class = CommentSerializer
    access = {"PATCH": WRITER, "DELETE": WRITER}
    # PATCH: token, project, comment locked, its mentions, UPDATE; with names in the body also
    # the members named, the mentions dropped and added, the task's key for the new ones.
    # DELETE: token, project, comment locked, mentions deleted, UPDATE comment, task counter
    # (a tombstone deleted again: the first three only)
    query_budget = {"PATCH": Budget(9, fewest=5), "DELETE": Budget(6, fewest=3)}

    @extend_schema(
        request=CommentWriteSerializer,
        responses={200: CommentSerializer, 409: OpenApiResponse(description="The comment was deleted")},
    )
    def patch(self, request: Request, project_id: int, task_id: int, comment_id: int) -> Response:
        data = self.validated(CommentWriteSerializer)
        comment = services.comment_update(
            project=self.scope, actor=self.caller, task_id=task_id, comment_id=comment_id, **data
        )
        return Response(builders.comment_from_model(comment, author=self.caller))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, project_id: int, task_id: int, comment_id: int) -> Response:
        services.comment_delete(project=self.scope, actor=self.caller, task_id=task_id, comment_id=comment_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyMentionsView(BriskView):
    """Where the caller was mentioned, in their live projects, newest first (cursor-paginated)."""

    serializer_class = MentionSerializer
    pagination_class = BeforeIdCursorPagination
    access = {"GET": AUTHENTICATED}
    query_budget = {"GET": 2}  # token, page (comment, task and project joined)

    @extend_schema(responses=MentionSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.page(selectors.my_mention_rows(user=request.user), builders.mention_items)


# --- checklists --------------------------------------------------------------------------------


class ChecklistView(ProjectView):
    """A task's checklist in order; POST appends an item (the task's counters follow)."""

    serializer_class = ChecklistItemSerializer
    access = {"GET": MEMBER, "POST": WRITER}
    # GET: token, project with role, the task's existence, count, page. POST: token, project,
    # the task's counters (UPDATE ... RETURNING: also the task check and lock), last rank, INSERT
    query_budget = {"GET": 5, "POST": 5}

    @extend_schema(responses=ChecklistItemSerializer(many=True))
    def get(self, request: Request, project_id: int, task_id: int) -> Response:
        selectors.task_exists(project_id=self.scope.pk, task_id=task_id)
        return self.page(selectors.checklist_rows(task_id=task_id), builders.checklist_items)

    @extend_schema(request=ChecklistItemCreateSerializer, responses={201: ChecklistItemSerializer})
    @idempotent
    def post(self, request: Request, project_id: int, task_id: int) -> Response:
        data = self.validated(ChecklistItemCreateSerializer)
        item = services.checklist_item_create(project=self.scope, actor=self.caller, task_id=task_id, **data)
        return Response(events.checklist_item_data(item), status=status.HTTP_201_CREATED)


class ChecklistItemView(ProjectView):
    """Change an item's text or tick it (writers); DELETE removes it."""

    serializer_class = ChecklistItemSerializer
    access = {"PATCH": WRITER, "DELETE": WRITER}
    # PATCH: token, project, item locked (with its task's archived state), UPDATE when something
    # differs, the task's counters when `done` changes. DELETE: token, project, item locked,
    # DELETE, the task's counters
    query_budget = {"PATCH": Budget(5, fewest=3), "DELETE": 5}

    @extend_schema(request=ChecklistItemUpdateSerializer, responses=ChecklistItemSerializer)
    def patch(self, request: Request, project_id: int, task_id: int, item_id: int) -> Response:
        data = self.validated(ChecklistItemUpdateSerializer)
        item = services.checklist_item_update(
            project=self.scope, actor=self.caller, task_id=task_id, item_id=item_id, data=data
        )
        return Response(events.checklist_item_data(item))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, project_id: int, task_id: int, item_id: int) -> Response:
        services.checklist_item_delete(project=self.scope, actor=self.caller, task_id=task_id, item_id=item_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChecklistMoveView(ProjectView):
    """Place an item before or after another item of the same task."""

    serializer_class = ChecklistItemSerializer
    access = {"POST": WRITER}
    # token, project, item locked, anchor, neighbour rank, UPDATE; when the gap ran out also
    # the renumbering UPDATE, the anchor's new rank and the neighbour again
    query_budget = {"POST": Budget(9, fewest=6)}

    @extend_schema(request=ChecklistMoveSerializer, responses=ChecklistItemSerializer)
    def post(self, request: Request, project_id: int, task_id: int, item_id: int) -> Response:
        data = self.validated(ChecklistMoveSerializer)
        item = services.checklist_item_move(
            project=self.scope, actor=self.caller, task_id=task_id, item_id=item_id, **data
        )
        return Response(events.checklist_item_data(item))


# --- status override and archives --------------------------------------------------------------


class OverrideStatusView(ProjectView):
    """PUT overrides the project's derived status (admins; a reason is required); DELETE clears it."""

    serializer_class = ProjectDetailSerializer
    access = {"PUT": ADMIN, "DELETE": ADMIN}
    # PUT: token, project with role, project lock, its statuses, UPDATE, the counts only when
    # the cache misses. DELETE: token, project, lock (+ statuses and UPDATE when there is one)
    query_budget = {"PUT": Budget(6, fewest=5), "DELETE": Budget(5, fewest=3)}

    @extend_schema(request=OverrideSetSerializer, responses=ProjectDetailSerializer)
    def put(self, request: Request, project_id: int) -> Response:
        data = self.validated(OverrideSetSerializer)
        project = services.project_override_set(project=self.scope, actor=self.caller, **data)
        project.counts = selectors.project_counts(project=project)
        return Response(ProjectDetailSerializer(project).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, project_id: int) -> Response:
        services.project_override_clear(project=self.scope, actor=self.caller)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ArchivedTaskListView(ProjectView):
    """The project's archived tasks, newest archived first (cursor: `?before=<task id>`)."""

    serializer_class = TaskSerializer
    pagination_class = ArchivedCursorPagination
    access = {"GET": MEMBER}
    query_budget = {"GET": 3}  # token, project with role, page (the cursor's archived_at a subquery)

    @extend_schema(responses=TaskSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        return self.page(selectors.archived_task_rows(project_id=self.scope.pk), builders.task_items)


class TaskUnarchiveView(ProjectView):
    """Bring an archived task back (to its column's bottom); a live task is a 409."""

    serializer_class = TaskDetailSerializer
    access = {"POST": WRITER}
    # token, project, project lock, task locked, column tail, UPDATE, live columns, the
    # project's counts version (and derived status)
    query_budget = {"POST": 8}

    @extend_schema(
        request=None,
        responses={200: TaskDetailSerializer, 409: OpenApiResponse(description="The task is not archived")},
    )
    def post(self, request: Request, project_id: int, task_id: int) -> Response:
        task = services.task_unarchive(project=self.scope, actor=self.caller, task_id=task_id)
        return Response(builders.task_detail_from_model(task))


class ProjectUnarchiveView(ProjectView):
    """Bring an archived project back into its members' lists (admins); a live one is a 409."""

    serializer_class = ProjectDetailSerializer
    access = {"POST": ADMIN}
    query_budget = {"POST": 3}  # token, the project (archived ones too) with role, UPDATE

    def get_scope(self) -> Project:
        return selectors.archived_project_for_member(user=self.request.user, project_id=self.kwargs["project_id"])

    @extend_schema(request=None, responses={204: None, 409: OpenApiResponse(description="The project is not archived")})
    def post(self, request: Request, project_id: int) -> Response:
        services.project_unarchive(project=self.scope)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- presence ------------------------------------------------------------------------------------


class PresenceView(ProjectView):
    """Who has the project's board or one of its tasks open right now, on any server process
    (`presence.changed` on the board socket keeps a client's copy current)."""

    serializer_class = PresenceSerializer
    access = {"GET": MEMBER}
    # token, project with role; the presence itself is one Redis script call, no query
    query_budget = {"GET": 2}

    @extend_schema(responses={200: PresenceSerializer, 503: OpenApiResponse(description="Redis is unreachable")})
    def get(self, request: Request, project_id: int) -> Response:
        return Response(presence.project_presence(project_id=self.scope.pk))
