from django.urls import re_path

from apps.jobs.consumers import RoomConsumer

websocket_urlpatterns = [
    re_path(r"^ws/jobs/rooms/(?P<room>[^/]{1,100})/$", RoomConsumer.as_asgi()),
]
