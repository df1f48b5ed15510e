"""/api/applications/: workspaces, their members and projects (mounted by config/urls.py)."""

from django.urls import path

import apps.core.converters  # noqa: F401 - registers <id:...>, the one id converter
from apps.projects import views_workspaces as views

app_name = "applications"

urlpatterns = [
    path("", views.ApplicationListView.as_view(), name="application-list"),
    path("<id:application_id>/", views.ApplicationDetailView.as_view(), name="application-detail"),
    path("<id:application_id>/members/", views.ApplicationMemberListView.as_view(), name="member-list"),
    path(
        "<id:application_id>/members/<id:user_id>/",
        views.ApplicationMemberDetailView.as_view(),
        name="member-detail",
    ),
    path("<id:application_id>/projects/", views.ApplicationProjectListView.as_view(), name="project-list"),
    path(
        "<id:application_id>/projects/archived/",
        views.ApplicationArchivedProjectListView.as_view(),
        name="archived-project-list",
    ),
]
