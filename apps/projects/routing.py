from django.urls import re_path

from apps.projects.consumers import MeConsumer, ProjectConsumer, TaskConsumer

websocket_urlpatterns = [
    re_path(r"^ws/projects/(?P<project_id>[0-9]{1,18})/$", ProjectConsumer.as_asgi()),
    re_path(
        r"^ws/projects/(?P<project_id>[0-9]{1,18})/tasks/(?P<task_id>[0-9]{1,18})/$",
        TaskConsumer.as_asgi(),
    ),
    re_path(r"^ws/me/$", MeConsumer.as_asgi()),
]
