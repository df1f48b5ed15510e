"""Projects, their status columns, their tasks and who may see and change them."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

PROJECT_KEY_VALIDATOR = RegexValidator(r"^[A-Z]{2,10}\Z", "A project key is 2 to 10 capital letters (A-Z).")

# Gapped integer ranks: a task appended to a column takes the column's last rank plus
# RANK_GAP; a task moved between two neighbours takes the midpoint of their ranks, so a
# move writes one row. Only when two neighbours are adjacent integers (after about ten
# moves into the same gap) is that one column renumbered, in one UPDATE, back to
# multiples of RANK_GAP. bigint leaves room for 2**63 / 2**16 appends per column.
RANK_GAP = 2**16


def initial_counts_version() -> int:
    # From the clock (microseconds), not 0: a project that reuses an id after the database was
    # reset or restored cannot match what the cache still holds for the earlier one.
    return time.time_ns() // 1000


class ApplicationQuerySet(models.QuerySet["Application"]):
    def visible_to(self, user) -> ApplicationQuerySet:
        """The workspaces the user is a member of: every workspace route starts here."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(members__user_id=user.pk)


class Application(models.Model):
    """A workspace: a set of projects and the people who may work in them."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ApplicationQuerySet.as_manager()

    # Not columns: what the workspace selectors annotate.
    my_role: str | None
    my_is_manager: bool | None
    member_count: int
    project_count: int

    class Meta:
        ordering = ("-id",)

    def __str__(self) -> str:
        return self.name


class ApplicationMember(models.Model):
    """One user's role in one workspace; `is_manager` lets a non-owner manage its members."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        EDITOR = "editor", "Editor"
        VIEWER = "viewer", "Viewer"

    WRITERS = (Role.OWNER, Role.EDITOR)
    # the strongest first: the data migration and propagation keep the strongest role a user has
    STRENGTH = {Role.OWNER: 3, Role.EDITOR: 2, Role.VIEWER: 1}

    # covered by the unique (application, user) index
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="members", db_index=False)
    # covered by the (user, application) index below
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="application_memberships", db_index=False
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.EDITOR)
    is_manager = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("application_id", "id")
        constraints = [
            models.UniqueConstraint(fields=("application", "user"), name="projects_appmember_unique_user"),
        ]
        indexes = [
            # "my workspaces" and a user's CASCADE on delete
            models.Index(fields=("user", "application"), name="projects_appmember_user_app"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@w{self.application_id}:{self.role}"


class ProjectQuerySet(models.QuerySet["Project"]):
    def visible_to(self, user) -> ProjectQuerySet:
        """The live projects the user is a member of: everything a client may see starts here."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.member_of(user.pk)

    def member_of(self, user_id: int) -> ProjectQuerySet:
        """`visible_to` by the user's id (the compiled scope query binds the id)."""
        return self.filter(archived_at__isnull=True, members__user_id=user_id)

    def with_role(self, user) -> ProjectQuerySet:
        """Annotate `my_role`, the user's role in each project (one indexed subquery per row)."""
        role = ProjectMember.objects.filter(project=models.OuterRef("pk"), user=user).order_by().values("role")[:1]
        return self.annotate(my_role=models.Subquery(role))


class Project(models.Model):
    """A project: its statuses, tasks and members, and the status derived from its tasks."""

    # the workspace it belongs to: a workspace with live projects cannot be deleted (services),
    # PROTECT keeps any other path from dropping projects with it; covered by the indexes below
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="projects", db_index=False)
    key = models.CharField(max_length=10, unique=True, validators=[PROJECT_KEY_VALIDATOR])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    next_task_number = models.PositiveIntegerField(default=1)
    # Bumped in the same transaction by every write that changes the task counts: a cached
    # count is used only at this version (apps.core.caching), so a cache outage costs speed only.
    counts_version = models.PositiveBigIntegerField(default=initial_counts_version, editable=False)
    derived_status = models.ForeignKey("TaskStatus", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="projects_created"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    # An admin's override of the derived status: it applies while `override_expires_at` is
    # unset or in the future (computed when read; the sweep clears expired ones).
    override_status = models.ForeignKey(
        "TaskStatus", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    override_reason = models.CharField(max_length=500, blank=True, default="")
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    override_expires_at = models.DateTimeField(null=True, blank=True)

    objects = ProjectQuerySet.as_manager()

    # Not columns: what selectors annotate and views attach, declared for the type checker.
    my_role: str | None  # ProjectQuerySet.with_role()
    counts: dict[str, int]  # status counts attached for the response
    task_total: int  # annotated by the task-list selector

    class Meta:
        ordering = ("-id",)
        indexes = [
            # a workspace's projects, live or archived, newest first (its project lists; the FK)
            models.Index(fields=("application", "archived_at", "id"), name="projects_project_app_live"),
            # the sweep's expired overrides; a status's or a user's SET NULL on delete
            models.Index(
                fields=("override_expires_at",),
                name="projects_project_override_exp",
                condition=Q(override_status__isnull=False),
            ),
            models.Index(
                fields=("override_status",),
                name="projects_project_override_st",
                condition=Q(override_status__isnull=False),
            ),
            models.Index(
                fields=("override_by",), name="projects_project_override_by", condition=Q(override_by__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return self.key

    def override_active(self, now) -> bool:
        """Whether the override applies at `now` (no write when it expires: see the sweep)."""
        return self.override_status_id is not None and (
            self.override_expires_at is None or self.override_expires_at > now
        )


class TaskStatus(models.Model):
    """A column of a project's board; its category drives counts and the derived status."""

    class Category(models.TextChoices):
        TODO = "todo", "Todo"
        ACTIVE = "active", "Active"
        REVIEW = "review", "Review"
        ISSUE = "issue", "Issue"
        DONE = "done", "Done"

    # The columns every new project starts with, in board order.
    DEFAULTS = (
        ("Todo", Category.TODO),
        ("In Progress", Category.ACTIVE),
        ("In Review", Category.REVIEW),
        ("Issue", Category.ISSUE),
        ("Done", Category.DONE),
    )

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="statuses")
    name = models.CharField(max_length=50)
    category = models.CharField(max_length=10, choices=Category.choices)
    rank = models.PositiveIntegerField(default=0)

    # Not columns: annotated by the board queries in services/board.py and services/tasks.py.
    has_live: bool
    tail_rank: int | None
    parent_ok: bool
    assignee_role: str | None
    assignee_username: str | None
    assignee_workspace_role: str | None

    class Meta:
        ordering = ("project_id", "rank", "id")
        verbose_name_plural = "task statuses"
        constraints = [models.UniqueConstraint(fields=("project", "name"), name="projects_status_unique_name")]

    def __str__(self) -> str:
        return self.name


class ProjectTaskQuerySet(models.QuerySet["Task"]):
    def live(self) -> ProjectTaskQuerySet:
        return self.filter(archived_at__isnull=True)

    def open(self) -> ProjectTaskQuerySet:
        """Not archived and not in a done column."""
        return self.live().exclude(status__category=TaskStatus.Category.DONE)


class Task(models.Model):
    """A unit of work on a project's board, identified by `KEY-n`."""

    class TaskType(models.TextChoices):
        STORY = "story", "Story"
        BUG = "bug", "Bug"
        EPIC = "epic", "Epic"
        SUBTASK = "subtask", "Subtask"

    class Priority(models.TextChoices):
        LOWEST = "lowest", "Lowest"
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        HIGHEST = "highest", "Highest"

    # covered by the composite indexes that lead with it (Meta.indexes): no index of its own
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks", db_index=False)
    key = models.CharField(max_length=24)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True, default="")
    status = models.ForeignKey(TaskStatus, on_delete=models.PROTECT, related_name="tasks")
    task_type = models.CharField(max_length=10, choices=TaskType.choices, default=TaskType.STORY)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    story_points = models.PositiveSmallIntegerField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tasks",
        db_index=False,  # covered by (assignee, archived_at)
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="reported_tasks"
    )
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="subtasks")
    rank = models.BigIntegerField(default=0)
    row_version = models.PositiveIntegerField(default=1)
    # Live (not deleted) comments, kept by the comment services in the same transaction as
    # the comment write: the task list shows it without a per-page COUNT.
    comment_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    # The task's checklist items and those done, kept by the checklist services in the same
    # transaction as every item write (always equal to a fresh count: tests/projects/test_checklist.py).
    checklist_total = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    checklist_done = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectTaskQuerySet.as_manager()

    subtask_count: int  # not a column: annotated by the selectors that show it

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("project", "key"), name="projects_task_unique_key"),
            models.CheckConstraint(condition=Q(story_points__lte=1000), name="projects_task_story_points_range"),
        ]
        indexes = [
            # board columns and the stats' conditional aggregates
            models.Index(fields=("project", "status"), name="projects_task_proj_status"),
            # the task list's default filter (live tasks of a project) and the archive sweep
            models.Index(fields=("project", "archived_at"), name="projects_task_proj_archived"),
            # my-tasks: a user's live assigned tasks
            models.Index(fields=("assignee", "archived_at"), name="projects_task_assignee_arch"),
            # a column in board order: the list's ORDER BY and a move's neighbours
            models.Index(fields=("project", "status", "rank"), name="projects_task_column_rank"),
            # "does this column hold a live task": the derived status's EXISTS per column, which
            # must not wade through a column's archived tasks
            models.Index(
                fields=("project", "status"),
                name="projects_task_live_column",
                condition=Q(archived_at__isnull=True),
            ),
            # the archive sweep reads only live, completed tasks
            models.Index(
                fields=("completed_at",),
                name="projects_task_done_live",
                condition=Q(archived_at__isnull=True, completed_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.key


class ProjectMember(models.Model):
    """One user's role in one project."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        EDITOR = "editor", "Editor"
        VIEWER = "viewer", "Viewer"

    WRITERS = (Role.ADMIN, Role.EDITOR)

    # covered by the unique (project, user) index
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="members", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.EDITOR)
    created_at = models.DateTimeField(auto_now_add=True)

    workspace_role: str | None  # not a column: the assignee check annotates it

    class Meta:
        ordering = ("project_id", "id")
        constraints = [models.UniqueConstraint(fields=("project", "user"), name="projects_member_unique_user")]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.project_id}:{self.role}"


MAX_COMMENT_BODY = 10_000


class Comment(models.Model):
    """A Markdown comment on a task; a deleted one stays as a tombstone (empty body, `deleted_at`)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments", db_index=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(max_length=MAX_COMMENT_BODY)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    mentioned: list  # not a column: the users a write service mentioned (for its response and events)

    class Meta:
        indexes = [
            # a task's comments by id: the cursor page (`id < before ORDER BY id DESC`)
            models.Index(fields=("task", "id"), name="projects_comment_task_id"),
        ]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.task_id}"


class CommentMention(models.Model):
    """A project member named by `@username` in a comment (a row, not JSON)."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="mention_rows", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # also the index of a comment's mentions (the comment page's batched lookup)
            models.UniqueConstraint(fields=("comment", "user"), name="projects_mention_unique_user"),
        ]
        indexes = [
            # GET /api/me/mentions/: a user's mentions, newest first by id (cursor)
            models.Index(fields=("user", "id"), name="projects_mention_user_id"),
        ]

    def __str__(self) -> str:
        return f"@{self.user_id} in {self.comment_id}"


MAX_CHECKLIST_TEXT = 500


class ChecklistItem(models.Model):
    """One line of a task's checklist, in rank order (gapped ranks, as the board's tasks)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="checklist_items", db_index=False)
    text = models.CharField(max_length=MAX_CHECKLIST_TEXT)
    done = models.BooleanField(default=False)
    rank = models.BigIntegerField(default=0)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # a task's checklist in order: the list's ORDER BY, the tail rank, a move's neighbours
            models.Index(fields=("task", "rank"), name="projects_checklist_task_rank"),
            # a user's SET NULL on delete
            models.Index(fields=("done_by",), name="projects_checklist_done_by", condition=Q(done_by__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.text[:50]
