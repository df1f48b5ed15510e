from django.urls import path, register_converter

from apps.jobs import longpoll, views


class JobsIdConverter:
    """Ids of 1 to 18 digits: anything longer cannot be a bigint and is a 404, never a database error."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(JobsIdConverter, "jobs_id")

app_name = "jobs"

urlpatterns = [
    path("rooms/<str:room>/", views.RoomView.as_view(), name="room"),
    path("rooms/<str:room>/members/", views.RoomMembersView.as_view(), name="room-members"),
    path("rooms/<str:room>/jobs/", views.RoomJobsView.as_view(), name="room-jobs"),
    path("rooms/<str:room>/jobs/<str:full_name>/", views.RoomJobDetailView.as_view(), name="room-job"),
    path("rooms/<str:room>/jobs/<str:full_name>/tasks/", views.JobTaskListView.as_view(), name="room-job-tasks"),
    path("rooms/<str:room>/tasks/", views.RoomTaskListView.as_view(), name="room-tasks"),
    path("rooms/<str:room>/workers/", views.RoomWorkerListView.as_view(), name="room-workers"),
    path("workers/", views.WorkerListCreateView.as_view(), name="workers"),
    path("workers/<jobs_id:pk>/", views.WorkerDetailView.as_view(), name="worker"),
    path("tasks/claim/", views.TaskClaimView.as_view(), name="task-claim"),
    path("tasks/<jobs_id:pk>/", longpoll.task_detail, name="task"),
]
