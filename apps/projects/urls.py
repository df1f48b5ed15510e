from django.urls import path

from apps.projects import views

app_name = "projects"

urlpatterns = [
    path("", views.ProjectListView.as_view(), name="project-list"),
    path("my-tasks/", views.MyTasksView.as_view(), name="my-tasks"),
    path("<int:project_id>/", views.ProjectDetailView.as_view(), name="project-detail"),
    path("<int:project_id>/stats/", views.ProjectStatsView.as_view(), name="project-stats"),
    path("<int:project_id>/statuses/", views.StatusListView.as_view(), name="status-list"),
    path("<int:project_id>/members/", views.MemberListView.as_view(), name="member-list"),
    path("<int:project_id>/members/<int:user_id>/", views.MemberDetailView.as_view(), name="member-detail"),
    path("<int:project_id>/tasks/", views.TaskListView.as_view(), name="task-list"),
    path("<int:project_id>/tasks/<int:task_id>/", views.TaskDetailView.as_view(), name="task-detail"),
    path("<int:project_id>/tasks/<int:task_id>/move/", views.TaskMoveView.as_view(), name="task-move"),
]
