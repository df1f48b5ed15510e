"""Test-only routes: the project's URLs plus views that fail in ways a client cannot cause."""

from django.core.exceptions import PermissionDenied
from django.urls import include, path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny


def plain_view_bug(request):
    raise RuntimeError("a bug in a plain Django view")


def plain_view_denied(request):
    raise PermissionDenied


@api_view(["GET"])
@permission_classes([AllowAny])
def drf_view_bug(request):
    raise RuntimeError("a bug in a DRF view")


urlpatterns = [
    path("api/test-errors/plain-bug/", plain_view_bug),
    path("api/test-errors/plain-denied/", plain_view_denied),
    path("api/test-errors/drf-bug/", drf_view_bug),
    path("", include("config.urls")),
]
