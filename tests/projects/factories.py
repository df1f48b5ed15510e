"""Factories and helpers for the project tracker's tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from django.db import connection
from django.db.models import F

from apps.accounts.models import User
from apps.projects import services
from apps.projects.models import RANK_GAP, Project, ProjectMember, Task, TaskStatus
from tests.accounts.factories import UserFactory

_keys = itertools.count(1)


def next_key() -> str:
    """A fresh project key of capitals only (AA, AB, ...)."""
    n = next(_keys)
    letters = ""
    while True:
        n, r = divmod(n, 26)
        letters = chr(65 + r) + letters
        if n == 0:
            break
    return ("P" + letters)[:10] if len(letters) < 2 else letters[:10]


def make_project(*, admin: User | None = None, key: str | None = None, name: str = "Board") -> Project:
    admin = admin or UserFactory()
    return services.project_create(user=admin, key=key or next_key(), name=name)


def add_member(project: Project, user: User | None = None, role: str = ProjectMember.Role.EDITOR) -> User:
    user = user or UserFactory()
    ProjectMember.objects.create(project=project, user=user, role=role)
    return user


def status_of(project: Project, category: str) -> TaskStatus:
    return TaskStatus.objects.filter(project=project, category=category).order_by("rank").first()


def make_task(
    project: Project, *, reporter: User | None = None, category: str = "todo", assignee=None, **kwargs
) -> Task:
    reporter = reporter or project.created_by
    if assignee is None and category != TaskStatus.Category.TODO:
        assignee = reporter
    return services.task_create(
        project=project,
        reporter=reporter,
        title=kwargs.pop("title", "A task"),
        status_id=status_of(project, category).pk,
        assignee_id=assignee.pk if assignee else None,
        **kwargs,
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
    project: Project, n: int, *, assignee: User | None = None, assigned_every: int = 0, only_todo: bool = False
) -> None:
    """Insert `n` tasks into `project` in one INSERT ... SELECT generate_series, spread over its columns.

    Every task is assigned to `assignee` when `assigned_every` is 0, else one in `assigned_every`.
    The derived status is not updated: with `only_todo` it stays right.
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
            SELECT %(project)s, %(prefix)s || (g + %(start)s), 'Task ' || g, '', (%(statuses)s::bigint[])[1 + g %% 5],
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
            },
        )
    # as a write does: the task counts changed, so their version moves in the same transaction
    Project.objects.filter(pk=project.pk).update(next_task_number=start + n, counts_version=F("counts_version") + 1)
