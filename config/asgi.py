"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django's ASGI handler, except that a sync view's request costs one thread hop, not one per middleware
from apps.core.handlers import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.layers import get_channel_layer  # noqa: E402
from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.core.cache import caches  # noqa: E402

from apps.core.middleware import RequestBodyLimit  # noqa: E402
from apps.core.realtime import websocket_application  # noqa: E402
from apps.core.runtime import settle_heap  # noqa: E402
from apps.interviews.routing import websocket_urlpatterns as interviews_ws  # noqa: E402
from apps.jobs.routing import websocket_urlpatterns as jobs_ws  # noqa: E402
from apps.livechat.routing import websocket_urlpatterns as livechat_ws  # noqa: E402
from apps.projects.routing import websocket_urlpatterns as projects_ws  # noqa: E402
from apps.workshops.routing import websocket_urlpatterns as workshops_ws  # noqa: E402

websocket_urlpatterns = [*jobs_ws, *projects_ws, *interviews_ws, *workshops_ws, *livechat_ws]

# Build the cache backend and the channel layer now, in one thread: built lazily, the first
# concurrent requests raced each other importing them (ImportError, InvalidChannelLayerError).
caches["default"]
get_channel_layer()

application = ProtocolTypeRouter(
    {
        # uvicorn serves no files itself: in development Django serves the admin's and the
        # API docs' static files; in production a proxy or CDN does (SERVE_STATIC=0).
        # Bodies are limited while they stream, before Django spools them (apps.core.middleware).
        "http": RequestBodyLimit(ASGIStaticFilesHandler(django_asgi_app) if settings.SERVE_STATIC else django_asgi_app),
        # session or token (`?token=` or subprotocols ["brisk.token", key]), then the origin
        # check (apps.core.realtime.origin_allowed), then the routes (no match: closed 4404)
        "websocket": websocket_application(websocket_urlpatterns),
    }
)

# What is loaded now lives as long as the process: out of the garbage collector's walks
# (apps.core.runtime; a full collection paused a worker with 1,000 waiting long-polls).
settle_heap()
