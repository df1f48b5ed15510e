"""Workspace use cases: workspaces, their members, and what a member's removal takes with it.

A project member is always a member of the project's workspace (`workspace_member_ensure`,
run by every project membership write), so the project routes keep their one membership
check. Membership changes of one workspace take the workspace's row lock first: the
last-owner checks cannot race.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from apps.accounts.lookup import user_to_add
from apps.accounts.models import User
from apps.core.services import model_update
from apps.projects.events import broadcast_task, member_removed
from apps.projects.exceptions import (
    ApplicationHasProjects,
    ApplicationNotFound,
    ApplicationViewerCannotCreate,
    LastAdmin,
    LastOwner,
    ManagerRequired,
    MemberExists,
    MemberNotFound,
    OwnerRequired,
    UnknownApplication,
)
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
from apps.projects.selectors import subtask_count

Role = ApplicationMember.Role


def workspace_role_for_project_role(project_role: str) -> str:
    """The workspace role a new project member gets there: viewer for a project viewer, else editor."""
    return Role.VIEWER if project_role == ProjectMember.Role.VIEWER else Role.EDITOR


def workspace_member_ensure(*, application_id: int, user: User, project_role: str) -> None:
    """Make `user` a workspace member unless they are one (one INSERT ... ON CONFLICT DO NOTHING:
    an existing role, stronger or weaker, is kept)."""
    ApplicationMember.objects.bulk_create(
        [
            ApplicationMember(
                application_id=application_id, user=user, role=workspace_role_for_project_role(project_role)
            )
        ],
        ignore_conflicts=True,
    )


# --- workspaces -----------------------------------------------------------------------------


def _annotate_new(application: Application, *, role: str, members: int, projects: int) -> Application:
    application.my_role, application.my_is_manager = role, False
    application.member_count, application.project_count = members, projects
    return application


@transaction.atomic
def application_create(*, user: User, name: str, description: str = "") -> Application:
    """A workspace with its creator as owner (two INSERTs, nothing read back)."""
    application = Application.objects.create(name=name, description=description, created_by=user)
    ApplicationMember.objects.create(application=application, user=user, role=Role.OWNER)
    return _annotate_new(application, role=Role.OWNER, members=1, projects=0)


@transaction.atomic
def application_update(*, application: Application, data: dict[str, Any]) -> Application:
    """Rename or redescribe (owners); nothing is written when nothing differs."""
    application, _ = model_update(instance=application, fields=("name", "description"), data=data)
    return application


def _lock_application(application_id: int) -> Application:
    locked = Application.objects.select_for_update().filter(pk=application_id).first()
    if locked is None:
        raise ApplicationNotFound()
    return locked


@transaction.atomic
def application_delete(*, application: Application) -> None:
    """Delete the workspace (owners): refused (409) while it has a live project; its archived
    projects, their tasks and everything under them go with it."""
    _lock_application(application.pk)
    projects = list(Project.objects.filter(application_id=application.pk).values_list("id", "archived_at"))
    if any(archived_at is None for _, archived_at in projects):
        raise ApplicationHasProjects()
    if projects:
        _delete_archived_projects(application.pk)
    ApplicationMember.objects.filter(application_id=application.pk).delete()
    # no project points at it any more: one DELETE, not the collector's read of its projects
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Application._meta.db_table} WHERE id = %s", [application.pk])  # noqa: S608


def _delete_archived_projects(application_id: int) -> None:
    """Delete the workspace's (archived) projects and every row under them, leaves first, one
    statement per table whatever their number (Django's collector would load every row and
    delete in batches of 100: a cost growing with the rows). Plain SQL that SQLite runs too."""
    tables = {
        "mention": CommentMention._meta.db_table,
        "comment": Comment._meta.db_table,
        "item": ChecklistItem._meta.db_table,
        "task": Task._meta.db_table,
        "status": TaskStatus._meta.db_table,
        "member": ProjectMember._meta.db_table,
        "project": Project._meta.db_table,
    }
    projects = "SELECT id FROM {project} WHERE application_id = %s".format(**tables)  # noqa: S608 - table names
    tasks = f"SELECT id FROM {tables['task']} WHERE project_id IN ({projects})"  # noqa: S608 - table names
    statements = (
        f"DELETE FROM {tables['mention']} WHERE comment_id IN "  # noqa: S608 - table names from the models
        f"(SELECT id FROM {tables['comment']} WHERE task_id IN ({tasks}))",
        f"DELETE FROM {tables['comment']} WHERE task_id IN ({tasks})",  # noqa: S608
        f"DELETE FROM {tables['item']} WHERE task_id IN ({tasks})",  # noqa: S608
        # the statuses' SET NULL references, before the statuses go
        f"UPDATE {tables['project']} SET derived_status_id = NULL, override_status_id = NULL "  # noqa: S608
        "WHERE application_id = %s",
        # a task's parent is a task of the same project: all of them go in one statement
        f"DELETE FROM {tables['task']} WHERE project_id IN ({projects})",  # noqa: S608
        f"DELETE FROM {tables['status']} WHERE project_id IN ({projects})",  # noqa: S608
        f"DELETE FROM {tables['member']} WHERE project_id IN ({projects})",  # noqa: S608
        f"DELETE FROM {tables['project']} WHERE application_id = %s",  # noqa: S608
    )
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, [application_id])


def application_for_project_create(*, user: User, application_id: int | None) -> int:
    """The workspace a new project goes to: `application_id` when the caller is an owner or
    editor there, else (no id given) the oldest workspace the caller owns, created (named
    after them) when they own none. One query, plus two INSERTs the first time."""
    if application_id is not None:
        role = (
            ApplicationMember.objects.filter(application_id=application_id, user=user)
            .values_list("role", flat=True)
            .first()
        )
        if role is None:
            raise UnknownApplication()
        if role not in ApplicationMember.WRITERS:
            raise ApplicationViewerCannotCreate()
        return application_id
    owned = (
        ApplicationMember.objects.filter(user=user, role=Role.OWNER)
        .order_by("application_id")
        .values_list("application_id", flat=True)
        .first()
    )
    if owned is not None:
        return owned
    return application_create(user=user, name=user.username[:200]).pk


# --- members --------------------------------------------------------------------------------


def _check_manages(*, actor_role: str | None, actor_is_manager: bool, touches_owner: bool) -> None:
    if actor_role == Role.OWNER:
        return
    if touches_owner:
        raise OwnerRequired("Only an owner can add, change or remove owners and managers.")
    if not actor_is_manager:
        raise ManagerRequired()


def _other_owners(application_id: int, user_id: int) -> bool:
    owners = ApplicationMember.objects.filter(application_id=application_id, role=Role.OWNER)
    return owners.exclude(user_id=user_id).exists()


def _manager_flag(role: str, is_manager: bool) -> bool:
    # a viewer never manages: managing members is a write, and viewers do not write
    return bool(is_manager) and role != Role.VIEWER


@transaction.atomic
def application_member_add(
    *,
    application: Application,
    role: str,
    is_manager: bool = False,
    username: str | None = None,
    email: str | None = None,
) -> ApplicationMember:
    """Add a member (owners and managers; only owners add owners or managers)."""
    _check_manages(
        actor_role=application.my_role,
        actor_is_manager=bool(application.my_is_manager),
        touches_owner=role == Role.OWNER or is_manager,
    )
    user = user_to_add(username=username, email=email)
    try:
        with transaction.atomic():
            member = ApplicationMember.objects.create(
                application=application, user=user, role=role, is_manager=_manager_flag(role, is_manager)
            )
    except IntegrityError:
        raise MemberExists("The user is already a member of this workspace.") from None
    return member


def _locked_member(application: Application, user_id: int) -> ApplicationMember:
    _lock_application(application.pk)  # serializes membership changes: the last-owner check cannot race
    member = ApplicationMember.objects.select_related("user").filter(application=application, user_id=user_id).first()
    if member is None:
        raise MemberNotFound("No such member of this workspace.")
    return member


@transaction.atomic
def application_member_update(
    *, application: Application, user_id: int, role: str | None = None, is_manager: bool | None = None
) -> ApplicationMember:
    """Change a member's role or manager flag (owners and managers; only owners touch owners
    and the manager flag). The last owner cannot step down (409)."""
    member = _locked_member(application, user_id)
    new_role = member.role if role is None else role
    new_manager = _manager_flag(new_role, member.is_manager if is_manager is None else is_manager)
    _check_manages(
        actor_role=application.my_role,
        actor_is_manager=bool(application.my_is_manager),
        touches_owner=Role.OWNER in (member.role, new_role) or new_manager != member.is_manager,
    )
    if member.role == Role.OWNER and new_role != Role.OWNER and not _other_owners(application.pk, user_id):
        raise LastOwner()
    if (member.role, member.is_manager) != (new_role, new_manager):
        member.role, member.is_manager = new_role, new_manager
        member.save(update_fields=["role", "is_manager"])
    return member


@transaction.atomic
def application_member_remove(*, application: Application, actor: User, user_id: int) -> None:
    """Remove a member (owners and managers; anyone may leave), and with them, in the same
    transaction: their memberships of the workspace's projects and their assignment of the
    projects' open tasks. After commit each board hears `member.removed` (the user's sockets on
    it close) and `task.updated` for each task unassigned. The last owner cannot leave (409),
    nor can anyone who is the last admin of one of the workspace's projects (409 `last_admin`)."""
    member = _locked_member(application, user_id)
    if actor.pk != user_id:
        _check_manages(
            actor_role=application.my_role,
            actor_is_manager=bool(application.my_is_manager),
            touches_owner=member.role == Role.OWNER or member.is_manager,
        )
    if member.role == Role.OWNER and not _other_owners(application.pk, user_id):
        raise LastOwner("The last owner cannot leave the workspace; make someone else owner first.")

    # the workspace's projects the user belongs to, locked in id order (as every membership
    # write of a project takes its lock: the projects' last-admin checks cannot race this)
    project_ids = list(
        Project.objects.select_for_update()
        .filter(application_id=application.pk, members__user_id=user_id)
        .order_by("id")
        .values_list("id", flat=True)
    )
    if project_ids:
        _refuse_last_admin(project_ids, user_id)
        _unassign_open_tasks(project_ids, user_id, actor)
        ProjectMember.objects.filter(project_id__in=project_ids, user_id=user_id).delete()
        for project_id in project_ids:
            member_removed(project_id=project_id, user=member.user)
    member.delete()


def _refuse_last_admin(project_ids: list[int], user_id: int) -> None:
    other_admin = ProjectMember.objects.filter(
        project_id=OuterRef("project_id"), role=ProjectMember.Role.ADMIN
    ).exclude(user_id=user_id)
    sole = list(
        ProjectMember.objects.filter(project_id__in=project_ids, user_id=user_id, role=ProjectMember.Role.ADMIN)
        .filter(~Exists(other_admin))
        .order_by("project_id")
        .values_list("project__key", flat=True)
    )
    if sole:
        raise LastAdmin(
            f"The user is the last admin of {', '.join(sole)}; make someone else admin there first.",
            extra={"projects": sole},
        )


def _unassign_open_tasks(project_ids: list[int], user_id: int, actor: User) -> None:
    """Unassign the user's open (live, not done) tasks of these projects: one read with the
    rows locked, one UPDATE; `task.updated` with each task after commit. A task left
    unassigned outside a todo column must be assigned again before its next edit."""
    tasks = list(
        Task.objects.open()
        .select_for_update(of=("self",))
        .filter(project_id__in=project_ids, assignee_id=user_id)
        .select_related("status", "reporter")
        .annotate(subtask_count=subtask_count())
        .order_by("id")
    )
    if not tasks:
        return
    now = timezone.now()
    Task.objects.filter(pk__in=[task.pk for task in tasks]).update(
        assignee=None, row_version=F("row_version") + 1, updated_at=now
    )
    for task in tasks:
        task.assignee, task.row_version, task.updated_at = None, task.row_version + 1, now
        broadcast_task("task.updated", task, actor)


__all__ = [
    "application_create",
    "application_delete",
    "application_for_project_create",
    "application_member_add",
    "application_member_remove",
    "application_member_update",
    "application_update",
    "workspace_member_ensure",
]
