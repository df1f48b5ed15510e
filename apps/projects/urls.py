from django.urls import path

import apps.core.converters  # noqa: F401 - registers <id:...>, the one id converter
from apps.projects import views

app_name = "projects"

urlpatterns = [
    path("", views.ProjectListView.as_view(), name="project-list"),
    path("my-tasks/", views.MyTasksView.as_view(), name="my-tasks"),
    path("<id:project_id>/", views.ProjectDetailView.as_view(), name="project-detail"),
    path("<id:project_id>/stats/", views.ProjectStatsView.as_view(), name="project-stats"),
    path("<id:project_id>/statuses/", views.StatusListView.as_view(), name="status-list"),
    path("<id:project_id>/members/", views.MemberListView.as_view(), name="member-list"),
    path("<id:project_id>/members/<id:user_id>/", views.MemberDetailView.as_view(), name="member-detail"),
    path("<id:project_id>/tasks/", views.TaskListView.as_view(), name="task-list"),
    path("<id:project_id>/tasks/<id:task_id>/", views.TaskDetailView.as_view(), name="task-detail"),
    path("<id:project_id>/tasks/<id:task_id>/move/", views.TaskMoveView.as_view(), name="task-move"),
]
