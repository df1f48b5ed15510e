import re

import pytest
from django.conf import settings as django_settings

from tests.projects.factories import make_project

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not django_settings.SILK_ENABLED, reason="silk is off (SILK_ENABLED=0)"),
]


def test_anonymous_is_sent_to_log_in(client):
    response = client.get("/silk/")
    assert response.status_code == 302
    assert response["Location"].startswith(django_settings.LOGIN_URL)


def test_non_staff_is_refused(client, user):
    client.force_login(user)
    assert client.get("/silk/").status_code == 403


def test_superuser_sees_the_dashboard(client, superuser):
    client.force_login(superuser)
    assert client.get("/silk/").status_code == 200


def test_staff_who_is_not_superuser_is_refused(client, db):
    from tests.accounts.factories import UserFactory

    client.force_login(UserFactory(is_staff=True, is_superuser=False))
    assert client.get("/silk/").status_code == 403


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


TIMING = re.compile(r'db;dur=[\d.]+;desc="(?P<n>\d+) queries"')
SILK_TIMING = re.compile(r'silk;dur=[\d.]+;desc="(?P<n>\d+) queries"')


def _queries(response) -> int:
    return int(TIMING.search(response["Server-Timing"])["n"])


def test_server_timing_counts_the_endpoints_queries_only_when_silk_samples(client_for, user, settings):
    from silk.models import Request

    client = client_for(user)
    project = make_project(admin=user)
    body = {"title": "counted"}
    settings.SILK_SAMPLE_PERCENT = 0
    client.get("/api/projects/")  # the project counts are cached from here on
    plain = [
        client.get("/api/auth/me/"),
        client.get("/api/projects/"),
        client.post(f"/api/projects/{project.pk}/tasks/", body, format="json"),
    ]
    assert all("silk;" not in r["Server-Timing"] for r in plain)
    client.get("/api/projects/")  # counts cached again after the create
    settings.SILK_SAMPLE_PERCENT = 100
    sampled = [
        client.get("/api/auth/me/"),
        client.get("/api/projects/"),
        client.post(f"/api/projects/{project.pk}/tasks/", body, format="json"),
    ]
    assert Request.objects.count() == 3
    assert [_queries(r) for r in sampled] == [_queries(r) for r in plain]
    assert _queries(sampled[0]) == 1  # the token with its user
    for response in sampled:
        # silk's saves and EXPLAINs are its own metric
        assert int(SILK_TIMING.search(response["Server-Timing"])["n"]) > 0


def test_an_unsampled_request_never_reaches_silks_sql_recorder(client_for, user, settings, monkeypatch):
    import silk.sql

    examined = []
    should_wrap = silk.sql._should_wrap
    monkeypatch.setattr(silk.sql, "_should_wrap", lambda sql: examined.append(sql) or should_wrap(sql))
    client = client_for(user)
    settings.SILK_SAMPLE_PERCENT = 100
    client.get("/api/projects/")  # silk's hook is in place from here on
    assert examined
    examined.clear()
    settings.SILK_SAMPLE_PERCENT = 0
    assert client.get("/api/projects/").status_code == 200
    assert examined == []


def _stored_text(record) -> str:
    from silk.models import Response, SQLQuery

    response = Response.objects.get(request=record)
    return " ".join(
        [
            record.body or "",
            record.raw_body or "",
            response.body or "",
            str(response.raw_body or ""),
            " ".join(SQLQuery.objects.filter(request=record).values_list("query", flat=True)),
        ]
    )


def test_silk_never_stores_the_auth_endpoints_bodies(settings, db):
    from rest_framework.test import APIClient
    from silk.models import Request

    from tests.accounts.factories import UserFactory

    UserFactory(username="silk-login", password="a-long-secret-password")  # noqa: S106
    client = APIClient()
    settings.SILK_SAMPLE_PERCENT = 100
    response = client.post(
        "/api/auth/token/", {"username": "silk-login", "password": "a-long-secret-password"}, format="json"
    )
    assert response.status_code == 200
    key = response.json()["token"]
    me = client.get("/api/auth/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert me.status_code == 200
    records = {r.path: r for r in Request.objects.all()}
    assert set(records) == {"/api/auth/token/", "/api/auth/me/"}  # still timed and counted
    for record in records.values():
        stored = _stored_text(record)
        assert "a-long-secret-password" not in stored
        assert key not in stored
        assert "silk-login" not in record.body + record.raw_body


@pytest.mark.urls("tests.core.urls")
def test_silk_never_stores_a_response_marked_no_store(client_for, user, settings):
    from silk.models import Request, Response

    settings.SILK_SAMPLE_PERCENT = 100
    response = client_for(user).get("/t/no-store/")
    assert response.status_code == 200 and b"not-for-silk" in response.content
    record = Request.objects.get(path="/t/no-store/")
    assert "not-for-silk" not in Response.objects.get(request=record).body
    assert Response.objects.get(request=record).raw_body in ("", b"")


def test_a_silk_failure_never_fails_the_request(client_for, user, settings):
    from silk.models import Request

    project = make_project(admin=user)
    client = client_for(user)
    settings.SILK_SAMPLE_PERCENT = 100
    # a NUL byte in the body: silk cannot store it (PostgreSQL text refuses NUL)
    response = client.post(
        f"/api/projects/{project.pk}/tasks/", data=b'{"title": "a\x00b"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert not Request.objects.filter(path=f"/api/projects/{project.pk}/tasks/").exists()
    # and the next sampled request is recorded as usual
    assert client.get("/api/auth/me/").status_code == 200
    assert Request.objects.filter(path="/api/auth/me/").count() == 1
