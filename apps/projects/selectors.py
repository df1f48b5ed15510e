"""Reads: one function per question, each with every join and annotation its callers need."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from apps.core.caching import cached_at_version, cached_at_versions, cached_entry
from apps.core.compiled import BoundQuery, compiled_query, concrete_columns, instance_from_row
from apps.projects.exceptions import ApplicationNotFound, ProjectNotFound, TaskNotFound
from apps.projects.models import (
    Application,
    ApplicationMember,
    ChecklistItem,
    Comment,
    CommentMention,
    Project,
    ProjectMember,
    Task,
    TaskStatus,
)

STATS_CACHE_NAME = "projects.stats"
STATS_TTL_SECONDS = 300
COUNT_KEYS = ("todo", "active", "review", "issue", "done")

# The derived project status for each outcome of `derived_category`, by the name the
# default column of that category carries.
DERIVED_STATUS_NAMES = {
    TaskStatus.Category.TODO: "Todo",
    TaskStatus.Category.ACTIVE: "In Progress",
    TaskStatus.Category.ISSUE: "Issue",
    TaskStatus.Category.DONE: "Done",
}


def empty_counts() -> dict[str, int]:
    return {"total": 0, **dict.fromkeys(COUNT_KEYS, 0)}


def derived_category(counts: dict[str, int]) -> TaskStatus.Category:
    """The project's status from its live task counts: the first rule that applies wins."""
    if counts["total"] == 0:
        return TaskStatus.Category.TODO
    if counts["done"] == counts["total"]:
        return TaskStatus.Category.DONE
    if counts["issue"]:
        return TaskStatus.Category.ISSUE
    if counts["active"] or counts["review"]:
        return TaskStatus.Category.ACTIVE
    return TaskStatus.Category.TODO


def stats_from_counts(counts: dict[str, int]) -> dict[str, Any]:
    return {**counts, "derived_status": DERIVED_STATUS_NAMES[derived_category(counts)]}


# --- projects -------------------------------------------------------------------------


PROJECT_ROW_FIELDS = (
    "id",
    "key",
    "name",
    "derived_status_id",
    "derived_status__name",
    "derived_status__category",
    "my_role",
    "counts_version",  # the version of its cached counts
    "created_at",
    "archived_at",
    # the override, its status and author joined (LEFT JOINs on the page's rows, no query of their own)
    "override_status_id",
    "override_status__name",
    "override_status__category",
    "override_reason",
    "override_by_id",
    "override_by__username",
    "override_expires_at",
)


def project_list_rows(*, user) -> QuerySet[Project, dict[str, Any]]:
    """The caller's live projects as `PROJECT_ROW_FIELDS` rows, newest first (builders.project_item)."""
    # one page query: role, derived status, override status and author joined, nothing else of those rows
    return Project.objects.visible_to(user).with_role(user).order_by("-id").values(*PROJECT_ROW_FIELDS)


@compiled_query(params={"user_id": int})
def _project_page(*, user_id: int):
    return Project.objects.member_of(user_id).with_role(user_id).order_by("-id").values(*PROJECT_ROW_FIELDS)


def project_list_page(*, user) -> BoundQuery | QuerySet[Project, dict[str, Any]]:
    """`project_list_rows`, ready to page and count, its SQL compiled once (apps.core.compiled)."""
    if user is None or not user.is_authenticated:
        return Project.objects.none().values(*PROJECT_ROW_FIELDS)
    return _project_page.bind(user_id=user.pk)


# The project row, its derived status's row (what select_related loads) and the caller's role.
_PROJECT_SCOPE_COLUMNS = (*concrete_columns(Project), *concrete_columns(TaskStatus, "derived_status__"), "my_role")
# The list filters that are bound as values; the others (archived, unassigned) shape the SQL.
_FILTER_PARAMS: dict[str, type] = {"status": int, "assignee": int, "priority": str}


def _filter_values(filters: dict) -> dict[str, Any]:
    return {
        "status": filters.get("status"),
        "assignee": None if filters.get("unassigned") else filters.get("assignee"),
        "priority": filters.get("priority") or None,
        "archived": filters.get("archived", False),
        "unassigned": bool(filters.get("unassigned")),
        "q": filters.get("q") or None,
    }


def _compilable(filters: dict) -> bool:
    # `q` is bound as "%q%" (icontains): that shape runs through the ORM each time
    return not filters.get("q")


@compiled_query(params={"user_id": int, "project_id": int, "unless_counts_version": int, **_FILTER_PARAMS})
def _member_project(
    *, user_id, project_id, with_total, unless_counts_version, status, assignee, priority, archived, unassigned, q
):
    queryset = Project.objects.member_of(user_id).with_role(user_id).filter(pk=project_id)
    if with_total:
        filters = {"status": status, "assignee": assignee, "priority": priority, "archived": archived}
        filters |= {"unassigned": unassigned, "q": q}
        matching = (
            filter_tasks(Task.objects.filter(project=OuterRef("pk")), filters)
            .order_by()
            .values("project")
            .annotate(n=Count("*"))
            .values("n")
        )
        total: Coalesce | Case = Coalesce(Subquery(matching, output_field=IntegerField()), Value(0))
        if unless_counts_version is not None:
            total = Case(
                When(counts_version=unless_counts_version, then=Value(None)),
                default=total,
                output_field=IntegerField(),
            )
        return queryset.annotate(task_total=total).values(*_PROJECT_SCOPE_COLUMNS, "task_total")
    return queryset.values(*_PROJECT_SCOPE_COLUMNS)


def project_for_member(
    *, user, project_id: int, task_filters: dict | None = None, unless_counts_version: int | None = None
) -> Project:
    """The project if the user is a member (else 404), with `my_role` annotated and its
    derived status loaded.

    With `task_filters`, the same query also annotates `task_total`, the number of
    tasks the list endpoint will page through: the membership check and the list's
    COUNT cost one round trip together. With `unless_counts_version` too, the COUNT runs
    only when the row's `counts_version` differs from it (`task_total` is None when equal:
    the caller's cached total is live, and PostgreSQL evaluates the CASE's subquery only
    when it is reached).

    Every request under /api/projects/{id}/ runs this: its SQL is compiled once per shape
    (apps.core.compiled).
    """
    if user is None or not user.is_authenticated:
        raise ProjectNotFound()
    filters = task_filters if task_filters is not None else {}
    rows = _member_project.rows(
        compiled=_compilable(filters),
        user_id=user.pk,
        project_id=project_id,
        with_total=task_filters is not None,
        unless_counts_version=unless_counts_version if task_filters is not None else None,
        **_filter_values(filters),
    )
    if not rows:
        raise ProjectNotFound()
    row = rows[0]
    project = instance_from_row(Project, row)
    project.derived_status = (
        None if row["derived_status__id"] is None else instance_from_row(TaskStatus, row, "derived_status__")
    )
    project.my_role = row["my_role"]
    if task_filters is not None:
        project.task_total = row["task_total"]
    return project


def counts_queryset(project_ids: list[int]) -> QuerySet:
    """One grouped query with conditional aggregates: `COUNT(*) FILTER (WHERE category = ...)` per category."""
    return (
        Task.objects.filter(project_id__in=project_ids, archived_at__isnull=True)
        .order_by()
        .values("project_id")
        .annotate(
            total=Count("id"),
            **{key: Count("id", filter=Q(status__category=key)) for key in COUNT_KEYS},
        )
    )


def compute_counts_many(project_ids: list[int]) -> dict[int, dict[str, int]]:
    """Live task counts per category for many projects, zeros for projects without tasks."""
    rows = counts_queryset(project_ids)
    counts = {project_id: empty_counts() for project_id in project_ids}
    for row in rows:
        counts[row.pop("project_id")] = row
    return counts


def project_counts(*, project: Project) -> dict[str, int]:
    """A project's live task counts, from the cache when cached at the row's `counts_version`."""
    return cached_at_version(
        STATS_CACHE_NAME,
        project.pk,
        project.counts_version,
        lambda: compute_counts_many([project.pk])[project.pk],
        STATS_TTL_SECONDS,
    )


def project_counts_many(*, versions: dict[int, int]) -> dict[int, dict[str, int]]:
    """Counts for a page of projects ({id: counts_version}): one cache round trip and at most one grouped query."""
    return cached_at_versions(STATS_CACHE_NAME, versions, compute_counts_many, STATS_TTL_SECONDS)


def cached_task_total(*, project_id: int) -> tuple[int, int] | None:
    """(counts_version, live task count) as cached, or None; nothing is computed.

    The default task list (live tasks, no filter) pages through exactly `total`: when the
    project row's version matches, it needs no COUNT over the project, which at 100k tasks
    costs more than the page (see `project_for_member(unless_counts_version=...)`).
    """
    entry = cached_entry(STATS_CACHE_NAME, project_id)
    return None if entry is None else (entry[0], entry[1]["total"])


def is_default_task_filter(filters: dict) -> bool:
    return filters.get("archived") is False and not any(
        filters.get(name) for name in ("status", "assignee", "unassigned", "priority", "q")
    )


def project_stats(*, project: Project) -> dict[str, Any]:
    return stats_from_counts(project_counts(project=project))


def project_counts_for_id(*, project_id: int) -> dict[str, int]:
    """The counts of a project known by id only (sweeps, tests): reads its version first."""
    return project_counts(project=Project.objects.only("id", "counts_version").get(pk=project_id))


def project_stats_for_id(*, project_id: int) -> dict[str, Any]:
    return stats_from_counts(project_counts_for_id(project_id=project_id))


def status_list(*, project: Project) -> QuerySet[TaskStatus]:
    return TaskStatus.objects.filter(project=project).order_by("rank", "id")


def member_list(*, project: Project) -> QuerySet[ProjectMember]:
    return ProjectMember.objects.filter(project=project).select_related("user").order_by("id")


# --- tasks ----------------------------------------------------------------------------


def subtask_count() -> Coalesce:
    # a correlated subquery evaluated for the page's rows only (parent index), not a
    # GROUP BY over the whole project
    counts = Task.objects.filter(parent=OuterRef("pk")).order_by().values("parent").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def filter_tasks(queryset: QuerySet[Task], filters: dict) -> QuerySet[Task]:
    """Apply the validated list filters (see TaskFilterSerializer)."""
    archived = filters.get("archived", False)
    if archived is not None:
        queryset = queryset.filter(archived_at__isnull=not archived)
    if filters.get("status") is not None:
        queryset = queryset.filter(status_id=filters["status"])
    if filters.get("unassigned"):
        queryset = queryset.filter(assignee__isnull=True)
    elif filters.get("assignee") is not None:
        queryset = queryset.filter(assignee_id=filters["assignee"])
    if filters.get("priority"):
        queryset = queryset.filter(priority=filters["priority"])
    if filters.get("q"):
        q = filters["q"]
        queryset = queryset.filter(Q(title__icontains=q) | Q(key__iexact=q))
    return queryset


# What a task item shows (builders.task_item): two usernames joined, never the users' 20 other columns.
TASK_ROW_FIELDS = (
    "id",
    "key",
    "project_id",
    "title",
    "status_id",
    "status__name",
    "status__category",
    "status__rank",
    "task_type",
    "priority",
    "story_points",
    "due_date",
    "assignee_id",
    "assignee__username",
    "reporter_id",
    "reporter__username",
    "parent_id",
    "subtask_count",
    "comment_count",
    "checklist_total",
    "checklist_done",
    "rank",
    "row_version",
    "completed_at",
    "archived_at",
    "created_at",
    "updated_at",
)
TASK_DETAIL_ROW_FIELDS = (*TASK_ROW_FIELDS, "description")


def task_list_rows(*, project_id: int, filters: dict) -> QuerySet[Task, dict[str, Any]]:
    """A project's tasks in board order (column, then rank within it), as `TASK_ROW_FIELDS` rows."""
    return (
        filter_tasks(Task.objects.filter(project_id=project_id), filters)
        .annotate(subtask_count=subtask_count())
        # (project, status, rank) index: the page is read in index order, no sort of the project
        .order_by("status_id", "rank")
        .values(*TASK_ROW_FIELDS)
    )


@compiled_query(params={"project_id": int, **_FILTER_PARAMS})
def _task_page(*, project_id, status, assignee, priority, archived, unassigned, q):
    filters = {"status": status, "assignee": assignee, "priority": priority, "archived": archived}
    return task_list_rows(project_id=project_id, filters=filters | {"unassigned": unassigned, "q": q})


def task_list_page(*, project_id: int, filters: dict) -> BoundQuery:
    """`task_list_rows`, ready to page (`[offset:offset + limit]`): its SQL compiled once per shape."""
    return _task_page.bind(compiled=_compilable(filters), project_id=project_id, **_filter_values(filters))


def task_detail_row(*, project_id: int, task_id: int) -> dict[str, Any]:
    """One task of the project as a `TASK_DETAIL_ROW_FIELDS` row (builders.task_detail_item), else 404."""
    row = (
        Task.objects.filter(project_id=project_id, pk=task_id)
        .annotate(subtask_count=subtask_count())
        .values(*TASK_DETAIL_ROW_FIELDS)
        .first()
    )
    if row is None:
        raise TaskNotFound()
    return row


def my_open_task_rows(*, user) -> QuerySet[Task, dict[str, Any]]:
    """The user's assigned open tasks across their live projects, as `TASK_ROW_FIELDS` rows (cursor-paginated)."""
    return (
        Task.objects.open()
        .filter(assignee=user, project__in=Project.objects.visible_to(user).values("pk"))
        .annotate(subtask_count=subtask_count())
        .values(*TASK_ROW_FIELDS)
    )


# --- comments and mentions --------------------------------------------------------------

COMMENT_ROW_FIELDS = ("id", "task_id", "author_id", "author__username", "body", "created_at", "edited_at", "deleted_at")


def task_exists(*, project_id: int, task_id: int) -> None:
    """404 unless the task is the project's (archived ones included)."""
    if not Task.objects.filter(project_id=project_id, pk=task_id).exists():
        raise TaskNotFound()


def comment_rows(*, task_id: int) -> QuerySet[Comment, dict[str, Any]]:
    """A task's comments (tombstones included) as `COMMENT_ROW_FIELDS` rows, for the id cursor
    ((task, id) index); the author's name joined."""
    return Comment.objects.filter(task_id=task_id).values(*COMMENT_ROW_FIELDS)


def mentions_for_comments(comment_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """{comment id: [{id, username}, ...]} for a page of comments, in one query (no query per comment)."""
    mentions: dict[int, list[dict[str, Any]]] = {pk: [] for pk in comment_ids}
    if not comment_ids:
        return mentions
    rows = (
        CommentMention.objects.filter(comment_id__in=comment_ids)
        .order_by("comment_id", "id")
        .values_list("comment_id", "user_id", "user__username")
    )
    for comment_id, user_id, username in rows:
        mentions[comment_id].append({"id": user_id, "username": username})
    return mentions


MENTION_ROW_FIELDS = (
    "id",
    "created_at",
    "comment_id",
    "comment__body",
    "comment__author_id",
    "comment__author__username",
    "comment__task_id",
    "comment__task__key",
    "comment__task__project_id",
    "comment__task__project__key",
)


def my_mention_rows(*, user) -> QuerySet[CommentMention, dict[str, Any]]:
    """The user's mentions in their live projects (cursor-paginated by id, newest first); one
    query, comment, task and project joined."""
    return CommentMention.objects.filter(
        user=user,
        comment__deleted_at__isnull=True,
        comment__task__project__in=Project.objects.visible_to(user).values("pk"),
    ).values(*MENTION_ROW_FIELDS)


# --- checklists ---------------------------------------------------------------------------

CHECKLIST_ROW_FIELDS = ("id", "task_id", "text", "done", "rank", "done_by_id", "done_at")


def checklist_rows(*, task_id: int) -> QuerySet[ChecklistItem, dict[str, Any]]:
    """A task's checklist in order ((task, rank) index), as `CHECKLIST_ROW_FIELDS` rows."""
    return ChecklistItem.objects.filter(task_id=task_id).order_by("rank", "id").values(*CHECKLIST_ROW_FIELDS)


# --- status override and archives -----------------------------------------------------------


def load_override(project: Project) -> Project:
    """Attach the override's status and author when the project has an override (one query), else nothing."""
    if project.override_status_id is not None:
        row = (
            Project.objects.filter(pk=project.pk)
            .select_related("override_status", "override_by")
            .only("id", "override_status", "override_by__id", "override_by__username")
            .first()
        )
        if row is not None:
            project.override_status, project.override_by = row.override_status, row.override_by
    return project


def archived_project_for_member(*, user, project_id: int) -> Project:
    """The project, archived or not, if the user is a member (else 404), with `my_role`."""
    if user is None or not user.is_authenticated:
        raise ProjectNotFound()
    project = (
        Project.objects.filter(pk=project_id, members__user_id=user.pk)
        .with_role(user.pk)
        .select_related("derived_status")
        .first()
    )
    if project is None:
        raise ProjectNotFound()
    return project


def archived_task_rows(*, project_id: int) -> QuerySet[Task, dict[str, Any]]:
    """A project's archived tasks as `TASK_ROW_FIELDS` rows ((project, archived_at) index), newest archived first."""
    return (
        Task.objects.filter(project_id=project_id, archived_at__isnull=False)
        .annotate(subtask_count=subtask_count())
        .values(*TASK_ROW_FIELDS)
    )


# --- workspaces -------------------------------------------------------------------------------


def _member_count() -> Coalesce:
    # correlated counts for the page's rows only ((application, user) unique index), not a
    # GROUP BY joined to the page (which would multiply rows by members times projects)
    counts = (
        ApplicationMember.objects.filter(application=OuterRef("pk"))
        .order_by()
        .values("application")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def _project_count() -> Coalesce:
    # the workspace's live projects ((application, archived_at, id) index)
    counts = (
        Project.objects.filter(application=OuterRef("pk"), archived_at__isnull=True)
        .order_by()
        .values("application")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def _with_my_membership(queryset: QuerySet[Application], user_id: int) -> QuerySet[Application]:
    mine = ApplicationMember.objects.filter(application=OuterRef("pk"), user_id=user_id).order_by()
    return queryset.annotate(
        my_role=Subquery(mine.values("role")[:1]), my_is_manager=Subquery(mine.values("is_manager")[:1])
    )


def application_list(*, user) -> QuerySet[Application]:
    """The caller's workspaces, newest first, each with the caller's role, its member and live
    project counts: one page query (counts and role correlated subqueries per row)."""
    queryset = Application.objects.visible_to(user).order_by("-id")
    if user is None or not user.is_authenticated:
        return queryset
    return _with_my_membership(queryset, user.pk).annotate(member_count=_member_count(), project_count=_project_count())


def application_for_member(*, user, application_id: int, with_counts: bool = False) -> Application:
    """The workspace if the user is a member (else 404), with `my_role` and `my_is_manager`
    (and the member and live project counts with `with_counts`), in one query."""
    if user is None or not user.is_authenticated:
        raise ApplicationNotFound()
    queryset = _with_my_membership(Application.objects.filter(pk=application_id, members__user_id=user.pk), user.pk)
    if with_counts:
        queryset = queryset.annotate(member_count=_member_count(), project_count=_project_count())
    application = queryset.first()
    if application is None:
        raise ApplicationNotFound()
    return application


def application_member_list(*, application: Application) -> QuerySet[ApplicationMember]:
    """The workspace's members, users joined, in order of joining."""
    return ApplicationMember.objects.filter(application=application).select_related("user").order_by("id")


def workspace_project_rows(*, user, application_id: int, archived: bool = False) -> QuerySet[Project, dict[str, Any]]:
    """The workspace's projects the caller is a member of (live, or archived with `archived`),
    newest first, as `PROJECT_ROW_FIELDS` rows (builders.project_item): the /api/projects/ items."""
    if user is None or not user.is_authenticated:
        return Project.objects.none().values(*PROJECT_ROW_FIELDS)
    return (
        Project.objects.filter(
            application_id=application_id, archived_at__isnull=not archived, members__user_id=user.pk
        )
        .with_role(user.pk)
        .order_by("-id")
        .values(*PROJECT_ROW_FIELDS)
    )


MY_PROJECT_ROW_FIELDS = (*PROJECT_ROW_FIELDS, "application_id", "application__name")


def my_project_rows(*, user) -> QuerySet[Project, dict[str, Any]]:
    """The caller's live projects across their workspaces, newest first, as
    `MY_PROJECT_ROW_FIELDS` rows (the workspace's name joined)."""
    return Project.objects.visible_to(user).with_role(user).order_by("-id").values(*MY_PROJECT_ROW_FIELDS)
