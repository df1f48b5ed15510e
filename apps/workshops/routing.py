from django.urls import re_path

from apps.workshops.consumers import WorkshopConsumer

websocket_urlpatterns = [
    re_path(r"^ws/workshops/(?P<workshop_id>[0-9]{1,18})/$", WorkshopConsumer.as_asgi()),
]
