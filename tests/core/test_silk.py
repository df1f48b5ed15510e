import pytest
from django.conf import settings as django_settings

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not django_settings.SILK_ENABLED, reason="silk is off (SILK_ENABLED=0)"),
]


def test_anonymous_is_sent_to_log_in(client):
    response = client.get("/silk/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_non_staff_is_refused(client, user):
    client.force_login(user)
    assert client.get("/silk/").status_code == 403


def test_staff_sees_the_dashboard(client, superuser):
    client.force_login(superuser)
    assert client.get("/silk/").status_code == 200


def test_sampled_requests_are_recorded_and_unsampled_are_not(client_for, user, settings):
    from silk.models import Request

    client = client_for(user)
    settings.SILK_SAMPLE_PERCENT = 0
    client.get("/api/auth/me/")
    assert not Request.objects.filter(path="/api/auth/me/").exists()
    settings.SILK_SAMPLE_PERCENT = 100
    client.get("/api/auth/me/")
    assert Request.objects.filter(path="/api/auth/me/").count() == 1


def test_long_polls_are_never_recorded(client_for, user, settings):
    from silk.models import Request

    settings.SILK_SAMPLE_PERCENT = 100
    client_for(user).get("/api/auth/me/", HTTP_PREFER="wait=1")
    client_for(user).get("/healthz")
    assert not Request.objects.exists()


def test_recorded_requests_are_bounded():
    assert 0 < django_settings.SILKY_MAX_RECORDED_REQUESTS <= 10_000


def test_a_sampled_request_leaves_nothing_behind_for_the_next_one(
    client_for, user, settings, django_assert_num_queries
):
    client = client_for(user)
    settings.SILK_SAMPLE_PERCENT = 100
    client.get("/api/auth/me/")
    settings.SILK_SAMPLE_PERCENT = 0
    # the token lookup only: silk must not go on recording (and EXPLAINing) on this thread
    with django_assert_num_queries(1):
        client.get("/api/auth/me/")
