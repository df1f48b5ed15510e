"""Admin for operators. Task fields that drive counts and keys are read-only here: those
changes go through the services, which keep the counts, the derived status and the
boards in step. Deletions from the admin recount the projects touched (counts and derived status)."""

from __future__ import annotations

from django.contrib import admin

from apps.projects.models import Project, ProjectMember, Task, TaskStatus
from apps.projects.services import project_recount


class ProjectMemberInline(admin.TabularInline):
    model = ProjectMember
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "derived_status", "created_by", "created_at", "archived_at")
    list_select_related = ("derived_status", "created_by")
    search_fields = ("key", "name")
    list_filter = ("archived_at",)
    autocomplete_fields = ("created_by",)
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
class TaskAdmin(admin.ModelAdmin):
    list_display = ("key", "title", "project", "status", "assignee", "priority", "archived_at", "updated_at")
    list_select_related = ("project", "status", "assignee")
    list_filter = ("status__category", "priority", "project")
    search_fields = ("key", "title")
    autocomplete_fields = ("project", "assignee", "reporter", "parent")
    readonly_fields = (
        "project",
        "key",
        "status",
        "rank",
        "row_version",
        "completed_at",
        "archived_at",
        "created_at",
        "updated_at",
    )
    show_full_result_count = False

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        project_recount(project_id=obj.project_id)

    def delete_queryset(self, request, queryset):
        project_ids = set(queryset.values_list("project_id", flat=True).distinct())
        super().delete_queryset(request, queryset)
        for project_id in project_ids:
            project_recount(project_id=project_id)


@admin.register(ProjectMember)
class ProjectMemberAdmin(admin.ModelAdmin):
    list_display = ("project", "user", "role", "created_at")
    list_select_related = ("project", "user")
    list_filter = ("role",)
    search_fields = ("project__key", "user__username")
    autocomplete_fields = ("project", "user")
    show_full_result_count = False
