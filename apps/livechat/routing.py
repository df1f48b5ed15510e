from django.urls import re_path

from apps.livechat.consumers import DeskConsumer

websocket_urlpatterns = [
    re_path(r"^ws/livechat/$", DeskConsumer.as_asgi()),
]
