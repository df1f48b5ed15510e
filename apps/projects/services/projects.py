"""Project and membership use cases."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.lookup import user_to_add
from apps.accounts.models import User
from apps.core.services import model_update
from apps.projects.events import member_event, member_removed
from apps.projects.exceptions import (
    AdminRequired,
    LastAdmin,
    MemberExists,
    MemberNotFound,
    ProjectKeyTaken,
)
from apps.projects.models import Project, ProjectMember, TaskStatus
from apps.projects.selectors import (
    empty_counts,
)
from apps.projects.services.board import lock_project

# --- projects ---------------------------------------------------------------------------


def project_create(*, user: User, key: str, name: str, description: str = "") -> Project:
    """A project with the default columns, derived status Todo and the creator as its admin.

    Four statements and no read-back: the project, the five statuses (one INSERT
    ... RETURNING), the derived status, the membership.
    """
    try:
        with transaction.atomic():
            project = Project.objects.create(key=key, name=name, description=description, created_by=user)
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
