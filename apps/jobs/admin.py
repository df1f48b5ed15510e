from django.contrib import admin

from apps.jobs.models import Job, Room, RoomMember, Task, Worker, WorkerJob


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
    list_display = ("id", "job", "room", "status", "created_by", "worker", "created_at", "completed_at")
    list_filter = ("status", RoomNameFilter)
    list_select_related = ("job", "created_by", "worker")
    raw_id_fields = ("job", "created_by", "worker")
    search_fields = ("=room",)  # exact: served by the room indexes
    show_full_result_count = False
    ordering = ("-created_at",)
