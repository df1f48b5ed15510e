from django.contrib.auth import logout as session_logout
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import ApiToken
from apps.accounts.serializers import TokenRequestSerializer, TokenSerializer, UserSerializer
from apps.accounts.services import token_for_user
from apps.accounts.throttling import LOGIN_THROTTLES
from apps.accounts.tokens import token_revoke


class TokenView(APIView):
    """Exchange a username and password for a new API token (valid `AUTH_TOKEN_TTL` seconds).

    Throttled per client address and per username."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = list(LOGIN_THROTTLES)
    query_budget = {"POST": 3}  # the user by username, the stale tokens deleted, the new token inserted

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="Bad credentials (one message for any) or missing fields"),
            429: OpenApiResponse(description="Too many attempts from this address or for this username"),
        },
        auth=[],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        key = token_for_user(user=serializer.validated_data["user"])
        return Response({"token": key}, status=status.HTTP_200_OK)


class LogoutView(APIView):
    """Revoke the token this request carries (or end the session of a browser login)."""

    query_budget = {"POST": 2}  # the token with its user, its DELETE

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="Revoked"), 401: OpenApiResponse(description="No credentials")},
    )
    def post(self, request):
        if isinstance(request.auth, ApiToken):
            token_revoke(token=request.auth)
        else:
            session_logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """The authenticated caller."""

    query_budget = {"GET": 1}  # the token with its user

    @extend_schema(responses={200: UserSerializer, 401: OpenApiResponse(description="No credentials")})
    def get(self, request):
        return Response(UserSerializer(request.user).data)
