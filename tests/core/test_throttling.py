"""Create endpoints are throttled per user through the shared Redis cache, and fail open without it."""

import pytest

from apps.jobs.models import Worker
from apps.projects.models import Project
from tests.accounts.factories import UserFactory
from tests.liveserver import free_port

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


@pytest.fixture
def tight_rates(settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])
    rates.update(projects_create="3/min", jobs_worker_register="2/hour")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def _create_project(client, n):
    return client.post("/api/projects/", {"key": f"TH{chr(65 + n)}", "name": "Throttled"}, format="json")


def test_the_defaults_are_far_above_a_real_client(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates["jobs_task_submit"] == "6000/min"
    assert rates["projects_task_create"] == "6000/min"
    assert rates["projects_create"] == "600/min"
    assert rates["jobs_worker_register"] == "600/min"


def test_creates_past_the_rate_are_429_with_the_json_error_shape(tight_rates, client_for):
    user = UserFactory()
    client = client_for(user)
    for n in range(3):
        assert _create_project(client, n).status_code == 201
    refused = _create_project(client, 3)
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    assert "throttled" in refused.json()["detail"].lower()
    assert 0 < int(refused["Retry-After"]) <= 60
    assert Project.objects.count() == 3
    # reads are never counted against the create rate
    assert client.get("/api/projects/").status_code == 200
    # another user has their own allowance
    assert _create_project(client_for(UserFactory()), 4).status_code == 201


def test_worker_registration_is_throttled(tight_rates, client_for):
    client = client_for(UserFactory())
    assert [client.post("/api/jobs/workers/").status_code for _ in range(3)] == [201, 201, 429]
    assert Worker.objects.count() == 2


def test_the_counter_lives_in_the_shared_cache(tight_rates, client_for):
    """What one worker process counted, another sees: clearing the shared cache resets it."""
    from django.core.cache import cache

    client = client_for(UserFactory())
    for n in range(3):
        _create_project(client, n)
    assert _create_project(client, 3).status_code == 429
    cache.clear()
    assert _create_project(client, 4).status_code == 201


def test_an_unreachable_cache_lets_creates_through(tight_rates, client_for, settings):
    user = UserFactory()
    client = client_for(user)
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    statuses = [_create_project(client, n).status_code for n in range(5)]
    assert statuses == [201] * 5
