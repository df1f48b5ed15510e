"""Admin for operators. Task fields that drive counts and keys are read-only here; a task's
other edits go through `services.task_update`, like a PATCH: the row version is checked and
bumped and the board hears `task.updated`. Deletions from the admin recount the projects
touched (counts and derived status)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from apps.core.admin import ServiceRefusalAdminMixin
from apps.projects.models import (
    Application,
    ApplicationMember,
    ChecklistItem,
    Comment,
    Project,
    ProjectMember,
    Task,
    TaskStatus,
)
from apps.projects.services import (
    application_create,
    application_delete,
    application_member_remove,
    application_member_update,
    application_update,
    checklist_item_delete,
    comment_delete,
    member_remove,
    member_update,
    project_recount,
    task_update,
)

# admin form field -> the task_update key it feeds
TASK_ADMIN_FIELDS = {
    "title": "title",
    "description": "description",
    "task_type": "task_type",
    "priority": "priority",
    "story_points": "story_points",
    "due_date": "due_date",
    "assignee": "assignee_id",
    "parent": "parent_id",
}


class TaskAdminForm(forms.ModelForm):
    # The version the operator read: a task changed meanwhile (by the API) is not overwritten.
    row_version_read = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Task
        fields = list(TASK_ADMIN_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["row_version_read"].initial = self.instance.row_version


class ProjectMemberInline(admin.TabularInline):
    """Shown, not edited: roles change in "Project members", through the services."""

    model = ProjectMember
    extra = 0
    fields = ("user", "role", "created_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "application", "derived_status", "created_by", "created_at", "archived_at")
    list_select_related = ("application", "derived_status", "created_by")
    search_fields = ("key", "name")
    list_filter = ("archived_at",)
    autocomplete_fields = ("application", "created_by")
    readonly_fields = ("next_task_number", "derived_status", "created_at")
    inlines = (ProjectMemberInline,)
    show_full_result_count = False


@admin.register(TaskStatus)
class TaskStatusAdmin(admin.ModelAdmin):
    list_display = ("name", "project", "category", "rank")
    list_select_related = ("project",)
    list_filter = ("category",)
    search_fields = ("name", "project__key")
    autocomplete_fields = ("project",)
    readonly_fields = ("category",)
    show_full_result_count = False


@admin.register(Task)
class TaskAdmin(ServiceRefusalAdminMixin, admin.ModelAdmin):
    form = TaskAdminForm
    list_display = ("key", "title", "project", "status", "assignee", "priority", "archived_at", "updated_at")
    list_select_related = ("project", "status", "assignee")
    list_filter = ("status__category", "priority", "project")
    search_fields = ("key", "title")
    autocomplete_fields = ("project", "assignee", "reporter", "parent")
    readonly_fields = (
        "project",
        "key",
        "reporter",
        "status",
        "rank",
        "row_version",
        "completed_at",
        "archived_at",
        "created_at",
        "updated_at",
    )
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # tasks are created through the API (task_create numbers and places them)

    def save_model(self, request, obj, form, change):
        data = {
            TASK_ADMIN_FIELDS[name]: form.cleaned_data[name] for name in form.changed_data if name in TASK_ADMIN_FIELDS
        }
        for name in ("assignee_id", "parent_id"):
            if name in data and data[name] is not None:
                data[name] = data[name].pk
        task_update(
            project=obj.project,
            actor=request.user,
            task_id=obj.pk,
            row_version=form.cleaned_data["row_version_read"],
            data=data,
        )

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        project_recount(project_id=obj.project_id)

    def delete_queryset(self, request, queryset):
        project_ids = set(queryset.values_list("project_id", flat=True).distinct())
        super().delete_queryset(request, queryset)
        for project_id in project_ids:
            project_recount(project_id=project_id)


@admin.register(ProjectMember)
class ProjectMemberAdmin(ServiceRefusalAdminMixin, admin.ModelAdmin):
    """Role changes and removals go through `member_update` / `member_remove` (the last admin
    stays, the board hears `member.updated` / `member.removed`); members are added through the API."""

    list_display = ("project", "user", "role", "created_at")
    list_select_related = ("project", "user")
    list_filter = ("role",)
    search_fields = ("project__key", "user__username")
    readonly_fields = ("project", "user", "created_at")
    fields = ("project", "user", "role", "created_at")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        member_update(project=obj.project, user_id=obj.user_id, role=form.cleaned_data["role"])

    def delete_model(self, request, obj):
        project = obj.project
        project.my_role = ProjectMember.Role.ADMIN  # the operator acts as a project admin
        member_remove(project=project, actor=request.user, user_id=obj.user_id)

    def delete_queryset(self, request, queryset):
        for member in queryset.select_related("project"):
            self.delete_model(request, member)


@admin.register(Comment)
class CommentAdmin(ServiceRefusalAdminMixin, admin.ModelAdmin):
    """Read and moderate: a delete goes through `comment_delete` (a tombstone, the task's
    `comment_count` follows, the task's viewers hear `comment.deleted`); no edits or adds here."""

    list_display = ("id", "task", "author", "created_at", "edited_at", "deleted_at")
    list_select_related = ("task", "author")
    search_fields = ("task__key", "author__username")
    list_filter = ("deleted_at",)
    fields = ("task", "author", "body", "created_at", "edited_at", "deleted_at")
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        comment_delete(
            project=obj.task.project, actor=request.user, task_id=obj.task_id, comment_id=obj.pk, moderated=True
        )

    def delete_queryset(self, request, queryset):
        for comment in queryset.select_related("task__project"):
            self.delete_model(request, comment)


@admin.register(ChecklistItem)
class ChecklistItemAdmin(ServiceRefusalAdminMixin, admin.ModelAdmin):
    """Read; a delete goes through `checklist_item_delete` (the task's counters follow). Items are
    added, ticked and moved through the API."""

    list_display = ("id", "task", "text", "done", "done_by", "done_at")
    list_select_related = ("task", "done_by")
    search_fields = ("task__key", "text")
    list_filter = ("done",)
    fields = ("task", "text", "done", "rank", "done_by", "done_at", "created_at")
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        checklist_item_delete(project=obj.task.project, actor=request.user, task_id=obj.task_id, item_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for item in queryset.select_related("task__project"):
            self.delete_model(request, item)


# --- workspaces ------------------------------------------------------------------------------


def _as_owner(application: Application) -> Application:
    # the operator acts as a workspace owner
    application.my_role, application.my_is_manager = ApplicationMember.Role.OWNER, False
    return application


@admin.register(Application)
class ApplicationAdmin(ServiceRefusalAdminMixin, admin.ModelAdmin):
    """A workspace: created (the operator its owner), renamed and deleted through the services
    (a delete is refused while it has live projects, and takes its archived ones with it)."""

    list_display = ("id", "name", "created_by", "created_at")
    list_select_related = ("created_by",)
    search_fields = ("name",)
    fields = ("name", "description", "created_by", "created_at")
    readonly_fields = ("created_by", "created_at")
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in ("name", "description")}
        if change:
            # the form already set the new values on `obj`: the service compares with the row
            application_update(application=Application.objects.get(pk=obj.pk), data=data)
        else:
            created = application_create(user=request.user, **data)
            obj.pk, obj.created_by, obj.created_at = created.pk, created.created_by, created.created_at

    def get_deleted_objects(self, objs, request):
        # what goes is the service's decision (refused while live projects remain, archived
        # ones deleted with it), not the collector's PROTECT listing of the projects
        return [str(obj) for obj in objs], {"workspaces": len(objs)}, set(), []

    def delete_model(self, request, obj):
        application_delete(application=obj)

    def delete_queryset(self, request, queryset):
        for application in queryset:
            self.delete_model(request, application)


@admin.register(ApplicationMember)
class ApplicationMemberAdmin(ServiceRefusalAdminMixin, admin.ModelAdmin):
    """Role and manager changes go through `application_member_update` (the last owner stays),
    removals through `application_member_remove` (the member leaves the workspace's projects and
    their open tasks there are unassigned); members are added through the API."""

    list_display = ("application", "user", "role", "is_manager", "created_at")
    list_select_related = ("application", "user")
    list_filter = ("role", "is_manager")
    search_fields = ("application__name", "user__username")
    readonly_fields = ("application", "user", "created_at")
    fields = ("application", "user", "role", "is_manager", "created_at")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        application_member_update(
            application=_as_owner(obj.application),
            user_id=obj.user_id,
            role=form.cleaned_data["role"],
            is_manager=form.cleaned_data["is_manager"],
        )

    def delete_model(self, request, obj):
        application_member_remove(application=_as_owner(obj.application), actor=request.user, user_id=obj.user_id)

    def delete_queryset(self, request, queryset):
        for member in queryset.select_related("application"):
            self.delete_model(request, member)
