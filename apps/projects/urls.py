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
    path("<id:project_id>/override-status/", views.OverrideStatusView.as_view(), name="override-status"),
    path("<id:project_id>/unarchive/", views.ProjectUnarchiveView.as_view(), name="project-unarchive"),
    path("<id:project_id>/tasks/", views.TaskListView.as_view(), name="task-list"),
    path("<id:project_id>/tasks/archived/", views.ArchivedTaskListView.as_view(), name="archived-task-list"),
    path("<id:project_id>/tasks/<id:task_id>/", views.TaskDetailView.as_view(), name="task-detail"),
    path("<id:project_id>/tasks/<id:task_id>/move/", views.TaskMoveView.as_view(), name="task-move"),
    path("<id:project_id>/tasks/<id:task_id>/unarchive/", views.TaskUnarchiveView.as_view(), name="task-unarchive"),
    path("<id:project_id>/tasks/<id:task_id>/comments/", views.CommentListView.as_view(), name="comment-list"),
    path(
        "<id:project_id>/tasks/<id:task_id>/comments/<id:comment_id>/",
        views.CommentDetailView.as_view(),
        name="comment-detail",
    ),
    path("<id:project_id>/tasks/<id:task_id>/checklist/", views.ChecklistView.as_view(), name="checklist"),
    path(
        "<id:project_id>/tasks/<id:task_id>/checklist/<id:item_id>/",
        views.ChecklistItemView.as_view(),
        name="checklist-item",
    ),
    path(
        "<id:project_id>/tasks/<id:task_id>/checklist/<id:item_id>/move/",
        views.ChecklistMoveView.as_view(),
        name="checklist-move",
    ),
    path("<id:project_id>/presence/", views.PresenceView.as_view(), name="presence"),
]
