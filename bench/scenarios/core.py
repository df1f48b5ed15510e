"""Foundation scenarios: the caller and the health check."""

from __future__ import annotations

from bench.harness import Request, Scenario, declared


def seed(scale: int) -> dict:
    from apps.accounts.models import User
    from apps.accounts.services import token_for_user

    user = User.objects.create_user(username="bench-core", password="bench-core-password")  # noqa: S106
    return {"token": token_for_user(user=user)}


SCENARIOS = [
    # token with its user
    Scenario(
        name="core.auth.me",
        cpu_ceiling_ms=10,
        method="GET",
        budget=declared("auth-me", "GET"),
        request=lambda s, i: Request("GET", "/api/auth/me/", token=s["token"]),
    ),
    # SELECT 1 (plus a cache and a channel-layer round trip)
    Scenario(
        name="core.healthz", cpu_ceiling_ms=16, method="GET", budget=1, request=lambda s, i: Request("GET", "/healthz")
    ),
]
