"""Test-only routes exercising the core machinery (mounted with @pytest.mark.urls)."""

from django.urls import include, path
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.core.longpoll import LongPoll
from apps.core.pagination import BeforeIdCursorPagination
from apps.core.realtime import broadcast


class UserRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username"]


class UserList(generics.ListAPIView):
    """Non-staff users: the staff callers of these tests stay off the page."""

    serializer_class = UserRowSerializer

    def get_queryset(self):
        return User.objects.filter(is_staff=False).only("id", "username").order_by("id")


class UserListWithKnownTotal(UserList):
    """As UserList, with the total known beforehand (here: told by `?known=`)."""

    def list(self, request, *args, **kwargs):
        self.known_total = int(request.query_params["known"])
        return super().list(request, *args, **kwargs)


class UserStream(generics.ListAPIView):
    serializer_class = UserRowSerializer
    pagination_class = BeforeIdCursorPagination

    def get_queryset(self):
        return User.objects.filter(is_staff=False).only("id", "username")


class RenameAndBroadcast(generics.GenericAPIView):
    """Writes a row and broadcasts in the same transaction."""

    serializer_class = UserRowSerializer

    def post(self, request):
        from django.db import transaction
        from rest_framework.response import Response

        with transaction.atomic():
            User.objects.filter(pk=request.user.pk).update(first_name="renamed")
            broadcast(f"test.user.{request.user.pk}", "user.renamed", {"id": request.user.pk})
        return Response({"ok": True})


class WaitForRename(LongPoll, APIView):
    """A minimal long-poll: the caller's first_name, once it changes (or the wait ends)."""

    def get(self, request, user_id: int):
        # the caller's own row only: another user's id is a 404
        return Response({"first_name": User.objects.only("first_name").get(pk=request.user.pk, id=user_id).first_name})

    def longpoll_group(self, request, **kwargs) -> str:
        return f"test.user.{kwargs['user_id']}"

    def longpoll_state(self, data) -> str:
        return data["first_name"]


def no_store(request):
    """A response that must not be stored anywhere (as a token response would be)."""
    from django.http import JsonResponse

    response = JsonResponse({"secret": "not-for-silk"})
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("t/no-store/", no_store),
    path("t/users/", UserList.as_view()),
    path("t/users-known-total/", UserListWithKnownTotal.as_view()),
    path("t/stream/", UserStream.as_view()),
    path("t/rename/", RenameAndBroadcast.as_view()),
    path("t/wait/<int:user_id>/", WaitForRename.as_view()),
    path("", include("config.urls")),
]
