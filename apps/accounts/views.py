from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.serializers import TokenRequestSerializer, TokenSerializer, UserSerializer
from apps.accounts.services import token_for_user
from apps.accounts.throttling import ResilientScopedRateThrottle


class TokenView(APIView):
    """Exchange a username and password for an API token."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ResilientScopedRateThrottle]
    throttle_scope = "auth_token"

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer}, auth=[])
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        key = token_for_user(user=serializer.validated_data["user"])
        return Response({"token": key}, status=status.HTTP_200_OK)


class MeView(APIView):
    """The authenticated caller."""

    @extend_schema(responses={200: UserSerializer})
    def get(self, request):
        return Response(UserSerializer(request.user).data)
