"""/v1/joblib/: the zndraw-joblib paths exactly, without a trailing slash (the client's PUT and
POST would not follow Django's slash redirect). Anything else under the prefix is a problem 404."""

from django.urls import path, re_path

from apps.jobs.compat import views
from apps.jobs.compat.problems import not_found

app_name = "joblib"

urlpatterns = [
    path("workers", views.WorkersView.as_view(), name="workers"),
    path("workers/<uuid:pk>", views.WorkerView.as_view(), name="worker"),
    path("rooms/<str:room>/jobs", views.RoomJobsView.as_view(), name="room-jobs"),
    path("rooms/<str:room>/jobs/<str:full_name>", views.RoomJobView.as_view(), name="room-job"),
    path("rooms/<str:room>/jobs/<str:full_name>/tasks", views.JobTasksView.as_view(), name="room-job-tasks"),
    path("rooms/<str:room>/workers", views.RoomWorkersView.as_view(), name="room-workers"),
    path("rooms/<str:room>/tasks", views.RoomTasksView.as_view(), name="room-tasks"),
    path("rooms/<str:room>/tasks/<str:full_name>", views.TaskSubmitView.as_view(), name="task-submit"),
    path("tasks/claim", views.TaskClaimView.as_view(), name="task-claim"),
    path("tasks/<uuid:pk>", views.TaskView.as_view(), name="task"),
    re_path(r"^(?P<path>.*)$", not_found, name="not-found"),
]
