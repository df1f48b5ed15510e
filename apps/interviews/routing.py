from django.urls import re_path

from apps.interviews.consumers import InterviewConsumer

websocket_urlpatterns = [
    re_path(r"^ws/interviews/$", InterviewConsumer.as_asgi()),
]
