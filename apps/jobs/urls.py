from django.urls import path

from apps.jobs import views

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
    path("workers/<uuid:pk>/", views.WorkerDetailView.as_view(), name="worker"),
    path("tasks/claim/", views.TaskClaimView.as_view(), name="task-claim"),
    path("tasks/<uuid:pk>/", views.TaskDetailView.as_view(), name="task"),
]
