"""Project and membership use cases."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.lookup import user_to_add
from apps.accounts.models import User
from apps.core.realtime import broadcast
from apps.core.services import model_update
from apps.projects.events import member_event, member_removed, project_group, status_brief
from apps.projects.exceptions import (
    AdminRequired,
    LastAdmin,
    MemberExists,
    MemberNotFound,
    OverrideExpiryInPast,
    ProjectKeyTaken,
    ProjectNotArchived,
    UnknownStatus,
)
from apps.projects.models import Application, Project, ProjectMember, TaskStatus
from apps.projects.selectors import (
    empty_counts,
)
from apps.projects.services.board import lock_project
from apps.projects.services.workspaces import application_for_project_create, workspace_member_ensure

# --- projects ---------------------------------------------------------------------------


def project_create(
    *,
    user: User,
    key: str,
    name: str,
    description: str = "",
    application_id: int | None = None,
    application: Application | None = None,
) -> Project:
    """A project with the default columns, derived status Todo and the creator as its admin,
    in a workspace: `application` (already checked: the caller is an owner or editor there),
    else `application_id` (checked here), else the caller's own default workspace (see
    `application_for_project_create`: one query, two INSERTs the first time).

    Then four statements and no read-back: the project, the five statuses (one INSERT
    ... RETURNING), the derived status, the membership.
    """
    try:
        with transaction.atomic():
            if application is not None:
                workspace_id = application.pk
            else:
                workspace_id = application_for_project_create(user=user, application_id=application_id)
            project = Project.objects.create(
                application_id=workspace_id, key=key, name=name, description=description, created_by=user
            )
            statuses = TaskStatus.objects.bulk_create(
                [
                    TaskStatus(project=project, name=status_name, category=category, rank=index)
                    for index, (status_name, category) in enumerate(TaskStatus.DEFAULTS)
                ]
            )
            project.derived_status = statuses[0]
            Project.objects.filter(pk=project.pk).update(derived_status=statuses[0])
            ProjectMember.objects.create(project=project, user=user, role=ProjectMember.Role.ADMIN)
    except IntegrityError as exc:
        # The only unique value a client chooses here is the key; no savepoint is needed
        # because the whole transaction is discarded.
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) or str(exc)
        if "key" in constraint and "fkey" not in constraint:
            raise ProjectKeyTaken(f"The project key {key} is taken.") from None
        raise
    project.my_role = ProjectMember.Role.ADMIN
    project.counts = empty_counts()
    return project


@transaction.atomic
def project_update(*, project: Project, data: dict[str, Any]) -> Project:
    """Change the name or description; nothing is written when nothing differs."""
    project, _ = model_update(instance=project, fields=("name", "description"), data=data)
    return project


@transaction.atomic
def project_archive(*, project: Project) -> None:
    """Archive the project: it leaves every member's list and its URLs answer 404."""
    Project.objects.filter(pk=project.pk, archived_at__isnull=True).update(archived_at=timezone.now())


# --- members ----------------------------------------------------------------------------


def _admins_left_without(project_id: int, user_id: int) -> int:
    admins = ProjectMember.objects.filter(project_id=project_id, role=ProjectMember.Role.ADMIN)
    return admins.exclude(user_id=user_id).count()


@transaction.atomic
def member_add(*, project: Project, role: str, username: str | None = None, email: str | None = None) -> ProjectMember:
    """Add the user named by `username` or `email`; any user that cannot be added is the same 400."""
    user = user_to_add(username=username, email=email)
    try:
        with transaction.atomic():
            member = ProjectMember.objects.create(project=project, user=user, role=role)
    except IntegrityError:
        raise MemberExists() from None
    # a project member is always a member of its workspace (kept there if already one)
    workspace_member_ensure(application_id=project.application_id, user=user, project_role=role)
    member_event("member.added", project_id=project.pk, user=user, role=role)
    return member


def _locked_member(project: Project, user_id: int) -> ProjectMember:
    lock_project(project.pk)  # serializes membership changes: the last-admin check cannot race
    member = ProjectMember.objects.select_related("user").filter(project=project, user_id=user_id).first()
    if member is None:
        raise MemberNotFound()
    return member


@transaction.atomic
def member_update(*, project: Project, user_id: int, role: str) -> ProjectMember:
    member = _locked_member(project, user_id)
    if (
        member.role == ProjectMember.Role.ADMIN
        and role != ProjectMember.Role.ADMIN
        and not _admins_left_without(project.pk, user_id)
    ):
        raise LastAdmin("The last admin cannot step down; make someone else admin first.")
    if member.role != role:
        member.role = role
        member.save(update_fields=["role"])
        member_event("member.updated", project_id=project.pk, user=member.user, role=role)
    return member


@transaction.atomic
def member_remove(*, project: Project, actor: User, user_id: int) -> None:
    """Admins remove anyone; any member may leave. The last admin cannot leave."""
    if actor.pk != user_id and project.my_role != ProjectMember.Role.ADMIN:
        raise AdminRequired("Only an admin can remove another member.")
    member = _locked_member(project, user_id)
    if member.role == ProjectMember.Role.ADMIN and not _admins_left_without(project.pk, user_id):
        raise LastAdmin("The last admin cannot leave the project.")
    member.delete()
    member_removed(project_id=project.pk, user=member.user)


# --- status override and unarchive --------------------------------------------------------


def _effective(project: Project, statuses: dict[int, TaskStatus], now: datetime.datetime) -> TaskStatus | None:
    status_id = project.override_status_id if project.override_active(now) else project.derived_status_id
    return None if status_id is None else statuses.get(status_id)


def _announce_effective(project_id: int, old: TaskStatus | None, new: TaskStatus | None, cause: str) -> None:
    if (old and old.pk) == (new and new.pk):
        return
    broadcast(
        project_group(project_id),
        "project.status_changed",
        {
            "project_id": project_id,
            "old_status": None if old is None else status_brief(old),
            "new_status": None if new is None else status_brief(new),
            "cause": cause,
        },
    )


def _statuses(project_id: int) -> dict[int, TaskStatus]:
    return {status.pk: status for status in TaskStatus.objects.filter(project_id=project_id)}


@transaction.atomic
def project_override_set(
    *, project: Project, actor: User, status_id: int, reason: str, expires_at: datetime.datetime | None = None
) -> Project:
    """Override the derived status (admins): `project.status_changed` when the effective status changes."""
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise OverrideExpiryInPast()
    locked = lock_project(project.pk)
    statuses = _statuses(project.pk)
    status = statuses.get(status_id)
    if status is None:
        raise UnknownStatus()
    old = _effective(locked, statuses, now)
    locked.override_status, locked.override_reason = status, reason
    locked.override_by, locked.override_expires_at = actor, expires_at
    locked.save(update_fields=["override_status", "override_reason", "override_by", "override_expires_at"])
    _announce_effective(project.pk, old, status, "override_set")
    return _with_statuses(locked, statuses, project.my_role)


@transaction.atomic
def project_override_clear(*, project: Project, actor: User) -> None:
    """Clear the override (admins); nothing is written when there is none."""
    locked = lock_project(project.pk)
    if locked.override_status_id is None:
        return
    _clear_override(locked, timezone.now(), "override_cleared")


def _clear_override(locked: Project, now: datetime.datetime, cause: str) -> None:
    statuses = _statuses(locked.pk)
    old = _effective(locked, statuses, now)
    Project.objects.filter(pk=locked.pk).update(
        override_status=None, override_reason="", override_by=None, override_expires_at=None
    )
    locked.override_status_id = None
    _announce_effective(locked.pk, old, _effective(locked, statuses, now), cause)


def overrides_clear_expired(*, now: datetime.datetime | None = None) -> int:
    """Clear the overrides whose expiry passed (the archive sweep runs this); the board hears
    `project.status_changed` when the effective status changes with it. One transaction per project."""
    now = now or timezone.now()
    expired = Project.objects.filter(override_status__isnull=False, override_expires_at__lte=now)
    cleared = 0
    for project_id in expired.values_list("pk", flat=True):
        with transaction.atomic():
            locked = expired.select_for_update().filter(pk=project_id).first()
            if locked is None:
                continue  # cleared or extended meanwhile
            # the effective status before the expiry is the override's: announce from there
            locked.override_expires_at = None
            _clear_override(locked, now, "override_expired")
            cleared += 1
    return cleared


def _with_statuses(project: Project, statuses: dict[int, TaskStatus], my_role: str | None) -> Project:
    project.derived_status = statuses.get(project.derived_status_id) if project.derived_status_id else None
    project.my_role = my_role
    return project


@transaction.atomic
def project_unarchive(*, project: Project) -> None:
    """Bring an archived project back into its members' lists (admins)."""
    if project.archived_at is None:
        raise ProjectNotArchived()
    Project.objects.filter(pk=project.pk).update(archived_at=None)
