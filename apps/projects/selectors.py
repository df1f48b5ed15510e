"""Reads: one function per question, each with every join and annotation its callers need."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from apps.core.caching import cached_at_version, cached_at_versions, cached_entry
from apps.projects.exceptions import ProjectNotFound, TaskNotFound
from apps.projects.models import Project, ProjectMember, Task, TaskStatus

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
    "my_role",
    "counts_version",  # the version of its cached counts
    "created_at",
    "archived_at",
)


def project_list_rows(*, user) -> QuerySet[Project, dict[str, Any]]:
    """The caller's live projects as `PROJECT_ROW_FIELDS` rows, newest first (builders.project_item)."""
    # one page query: role and derived status's name joined, nothing else of either row
    return Project.objects.visible_to(user).with_role(user).order_by("-id").values(*PROJECT_ROW_FIELDS)


def project_for_member(
    *, user, project_id: int, task_filters: dict | None = None, unless_counts_version: int | None = None
) -> Project:
    """The project if the user is a member (else 404), with `my_role` annotated.

    With `task_filters`, the same query also annotates `task_total`, the number of
    tasks the list endpoint will page through: the membership check and the list's
    COUNT cost one round trip together. With `unless_counts_version` too, the COUNT runs
    only when the row's `counts_version` differs from it (`task_total` is None when equal:
    the caller's cached total is live, and PostgreSQL evaluates the CASE's subquery only
    when it is reached).
    """
    queryset = Project.objects.visible_to(user).with_role(user).select_related("derived_status").filter(pk=project_id)
    if task_filters is not None:
        matching = (
            filter_tasks(Task.objects.filter(project=OuterRef("pk")), task_filters)
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
        queryset = queryset.annotate(task_total=total)
    project = queryset.first()
    if project is None:
        raise ProjectNotFound()
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
