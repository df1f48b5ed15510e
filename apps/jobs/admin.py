from django.contrib import admin, messages

from apps.core.exceptions import ApplicationError
from apps.jobs.models import TERMINAL_STATUSES, Job, Room, RoomMember, Task, TaskStatus, Worker, WorkerJob
from apps.jobs.services import task_status_change


class RoomNameFilter(admin.SimpleListFilter):
    """A text box, not a dropdown: there can be any number of rooms."""

    title = "room"
    parameter_name = "room"
    template = "admin/jobs/input_filter.html"

    def lookups(self, request, model_admin):
        return (("", ""),)  # the filter renders only when it has a lookup

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(room=self.value())
        return queryset


class RoomMemberInline(admin.TabularInline):
    model = RoomMember
    raw_id_fields = ("user",)
    extra = 0


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "created_by", "created_at")
    list_select_related = ("created_by",)
    raw_id_fields = ("created_by",)
    search_fields = ("name",)
    inlines = (RoomMemberInline,)
    show_full_result_count = False


class WorkerJobInline(admin.TabularInline):
    model = WorkerJob
    raw_id_fields = ("worker", "job")
    extra = 0


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("full_name", "category", "deleted", "created_at")
    list_filter = ("category", "deleted", RoomNameFilter)
    search_fields = ("=room", "name")  # exact room: the index, not a scan
    inlines = (WorkerJobInline,)
    show_full_result_count = False


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "last_heartbeat", "created_at")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    search_fields = ("user__username",)
    inlines = (WorkerJobInline,)
    show_full_result_count = False


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    """Tasks move only along the allowed transitions, so the admin shows them read-only; an
    operator cancels through the action, which goes through `task_status_change` like the API."""

    list_display = ("id", "job", "room", "status", "created_by", "worker", "created_at", "completed_at")
    list_filter = ("status", RoomNameFilter)
    list_select_related = ("job", "created_by", "worker")
    raw_id_fields = ("job", "created_by", "worker")
    search_fields = ("=room",)  # exact: served by the room indexes
    show_full_result_count = False
    ordering = ("-created_at",)
    readonly_fields = (
        "job",
        "room",
        "created_by",
        "worker",
        "payload",
        "status",
        "created_at",
        "started_at",
        "completed_at",
        "error",
    )
    actions = ("cancel_tasks",)

    def has_add_permission(self, request):
        return False  # tasks are submitted through the API

    @admin.action(description="Cancel the selected tasks (those not finished yet)")
    def cancel_tasks(self, request, queryset):
        cancelled, refused = 0, 0
        for task_id in queryset.exclude(status__in=TERMINAL_STATUSES).values_list("pk", flat=True):
            try:
                task_status_change(user=request.user, task_id=task_id, status=TaskStatus.CANCELLED)
            except ApplicationError:
                refused += 1
            else:
                cancelled += 1
        self.message_user(request, f"{cancelled} cancelled, {refused} refused.", messages.SUCCESS)
