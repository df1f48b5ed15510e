"""/api/me/: the caller's own things across projects (mounted by config/urls.py)."""

from django.urls import path

from apps.projects import views, views_workspaces

app_name = "me"

urlpatterns = [
    path("mentions/", views.MyMentionsView.as_view(), name="mentions"),
    path("projects/", views_workspaces.MyProjectsView.as_view(), name="projects"),
]
