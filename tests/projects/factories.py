"""factory-boy factories for the project tracker, plus the bulk helper tests and the bench share.

Projects and tasks are created through the services (`project_create` makes the five
columns and the admin membership; `task_create` takes the `KEY-n` number), so test data
is built the way the API builds it. `make_project`, `make_task`, `add_member` and
`make_team` are the short forms the tests use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import factory
from django.db import connection
from django.db.models import F

from apps.accounts.models import User
from apps.projects import services
from apps.projects.models import (
    RANK_GAP,
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
from tests.accounts.factories import UserFactory


def project_key(n: int) -> str:
    """The n-th project key of capitals only (PB, PC, ..., BA, BB, ...)."""
    letters = ""
    while True:
        n, r = divmod(n, 26)
        letters = chr(65 + r) + letters
        if n == 0:
            break
    return ("P" + letters)[:10] if len(letters) < 2 else letters[:10]


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A workspace with its creator as owner (through `application_create`)."""

    class Meta:
        model = Application

    name = factory.Sequence(lambda n: f"Workspace {n}")
    description = ""
    created_by = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class: type[Application], *args: Any, **kwargs: Any) -> Application:
        return services.application_create(
            user=kwargs["created_by"], name=kwargs["name"], description=kwargs["description"]
        )


class ApplicationMemberFactory(factory.django.DjangoModelFactory):
    """A workspace membership through `application_member_add`."""

    class Meta:
        model = ApplicationMember

    application = factory.SubFactory(ApplicationFactory)
    user = factory.SubFactory(UserFactory)
    role = ApplicationMember.Role.EDITOR
    is_manager = False

    @classmethod
    def _create(cls, model_class: type[ApplicationMember], *args: Any, **kwargs: Any) -> ApplicationMember:
        return services.application_member_add(
            application=kwargs["application"],
            role=kwargs["role"],
            is_manager=kwargs["is_manager"],
            username=kwargs["user"].username,
        )


class ProjectFactory(factory.django.DjangoModelFactory):
    """A project with its default columns and its creator as admin (through `project_create`)."""

    class Meta:
        model = Project

    key = factory.Sequence(lambda n: project_key(n + 1))
    name = "Board"
    description = ""
    created_by = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class: type[Project], *args: Any, **kwargs: Any) -> Project:
        return services.project_create(
            user=kwargs["created_by"], key=kwargs["key"], name=kwargs["name"], description=kwargs["description"]
        )


class ProjectMemberFactory(factory.django.DjangoModelFactory):
    """A membership through `member_add` (so the user joins the project's workspace too)."""

    class Meta:
        model = ProjectMember

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = ProjectMember.Role.EDITOR

    @classmethod
    def _create(cls, model_class: type[ProjectMember], *args: Any, **kwargs: Any) -> ProjectMember:
        return services.member_add(project=kwargs["project"], username=kwargs["user"].username, role=kwargs["role"])


class TaskStatusFactory(factory.django.DjangoModelFactory):
    """An extra column (a project already has the five default ones)."""

    class Meta:
        model = TaskStatus

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Column {n}")
    category = TaskStatus.Category.ACTIVE
    rank = factory.Sequence(lambda n: 100 + n)


class TaskFactory(factory.django.DjangoModelFactory):
    """A task through `task_create`: `category` picks the column (assigned to the reporter
    unless given, since only todo tasks may be unassigned)."""

    class Meta:
        model = Task

    project = factory.SubFactory(ProjectFactory)
    category = TaskStatus.Category.TODO  # not a model field: `_create` turns it into the column
    reporter = factory.LazyAttribute(lambda o: o.project.created_by)
    title = "A task"

    @classmethod
    def _create(cls, model_class: type[Task], *args: Any, **kwargs: Any) -> Task:
        project, reporter, category = kwargs.pop("project"), kwargs.pop("reporter"), kwargs.pop("category")
        assignee = kwargs.pop("assignee", None)
        if assignee is None and category != TaskStatus.Category.TODO:
            assignee = reporter
        return services.task_create(
            project=project,
            reporter=reporter,
            status_id=status_of(project, category).pk,
            assignee_id=assignee.pk if assignee else None,
            **kwargs,
        )


class CommentFactory(factory.django.DjangoModelFactory):
    """A comment through `comment_create` (the task's `comment_count` follows; `@names` of
    members in `body` become mentions); the author defaults to the task's reporter."""

    class Meta:
        model = Comment

    task = factory.SubFactory(TaskFactory)
    author = factory.LazyAttribute(lambda o: o.task.reporter)
    body = factory.Sequence(lambda n: f"comment {n}")

    @classmethod
    def _create(cls, model_class: type[Comment], *args: Any, **kwargs: Any) -> Comment:
        task = kwargs["task"]
        return services.comment_create(
            project=task.project, author=kwargs["author"], task_id=task.pk, body=kwargs["body"]
        )


class CommentMentionFactory(factory.django.DjangoModelFactory):
    """A mention row as such (the services write them from `@names`; this is for selector tests)."""

    class Meta:
        model = CommentMention

    comment = factory.SubFactory(CommentFactory)
    user = factory.SubFactory(UserFactory)


class ChecklistItemFactory(factory.django.DjangoModelFactory):
    """An item appended through `checklist_item_create` (the task's counters follow)."""

    class Meta:
        model = ChecklistItem

    task = factory.SubFactory(TaskFactory)
    text = factory.Sequence(lambda n: f"step {n}")
    done = False

    @classmethod
    def _create(cls, model_class: type[ChecklistItem], *args: Any, **kwargs: Any) -> ChecklistItem:
        task = kwargs["task"]
        return services.checklist_item_create(
            project=task.project, actor=task.reporter, task_id=task.pk, text=kwargs["text"], done=kwargs["done"]
        )


def make_project(*, admin: User | None = None, key: str | None = None, name: str = "Board") -> Project:
    extra = {"key": key} if key else {}
    return ProjectFactory(created_by=admin or UserFactory(), name=name, **extra)


def add_member(project: Project, user: User | None = None, role: str = ProjectMember.Role.EDITOR) -> User:
    return ProjectMemberFactory(project=project, user=user or UserFactory(), role=role).user


def status_of(project: Project, category: str) -> TaskStatus:
    return TaskStatus.objects.filter(project=project, category=category).order_by("rank").first()


def make_task(
    project: Project, *, reporter: User | None = None, category: str = "todo", assignee=None, **kwargs
) -> Task:
    return TaskFactory(
        project=project, reporter=reporter or project.created_by, category=category, assignee=assignee, **kwargs
    )


@dataclass
class Team:
    """A project with the three people every permission test needs, plus a viewer."""

    project: Project
    admin: User
    editor: User
    viewer: User
    stranger: User


def make_team() -> Team:
    admin = UserFactory()
    project = make_project(admin=admin)
    project.my_role = ProjectMember.Role.ADMIN
    editor = add_member(project, role=ProjectMember.Role.EDITOR)
    viewer = add_member(project, role=ProjectMember.Role.VIEWER)
    return Team(project=project, admin=admin, editor=editor, viewer=viewer, stranger=UserFactory())


def bulk_tasks(
    project: Project,
    n: int,
    *,
    assignee: User | None = None,
    assigned_every: int = 0,
    only_todo: bool = False,
    description: str = "",
) -> None:
    """Insert `n` tasks into `project` in one INSERT ... SELECT generate_series, spread over its columns.

    Every task is assigned to `assignee` when `assigned_every` is 0, else one in `assigned_every`.
    The derived status and the cached counts are not updated (`services.project_recount`
    does both); with `only_todo` the derived status stays right. The bench seeds its large
    projects with this helper too (bench/scenarios/projects.py).
    """
    statuses = list(TaskStatus.objects.filter(project=project).order_by("rank").values_list("id", flat=True))
    if only_todo:
        statuses = [statuses[0]] * len(statuses)
    start = Project.objects.values_list("next_task_number", flat=True).get(pk=project.pk)
    assignee_id = assignee.pk if assignee else None
    every = max(assigned_every, 1)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO projects_task (project_id, key, title, description, status_id, task_type, priority,
                rank, row_version, created_at, updated_at, reporter_id, assignee_id, completed_at)
            SELECT %(project)s, %(prefix)s || (g + %(start)s), 'Task ' || g, %(description)s,
                (%(statuses)s::bigint[])[1 + g %% 5],
                'story', 'medium', g::bigint * %(gap)s, 1, now(), now(), %(reporter)s,
                CASE WHEN g %% %(every)s = 0 THEN %(assignee)s::bigint END,
                CASE WHEN g %% 5 = 4 AND NOT %(only_todo)s THEN now() END  -- the fifth column is Done
            FROM generate_series(0, %(n)s - 1) AS g
            """,
            {
                "project": project.pk,
                "prefix": f"{project.key}-",
                "start": start,
                "statuses": statuses,
                "gap": RANK_GAP,
                "reporter": project.created_by_id,
                "assignee": assignee_id,
                "every": every,
                "n": n,
                "only_todo": only_todo,
                "description": description,
            },
        )
    # as a write does: the task counts changed, so their version moves in the same transaction
    Project.objects.filter(pk=project.pk).update(next_task_number=start + n, counts_version=F("counts_version") + 1)
