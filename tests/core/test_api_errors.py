"""Every response under /api/ is JSON in the documented error shape, whatever DEBUG is."""

import json

import pytest
from django.test import Client

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.mark.parametrize(
    "path",
    [
        "/api/projects/abc/",
        "/api/jobs/tasks/abc/",
        "/api/jobs/tasks/99999999999999999999999/",
        "/api/nothing/here/",
        "/api/",
        "/api/projects/1/tasks/x/move/",
    ],
)
def test_unknown_api_paths_are_json_404(debug, client_for, path):
    client = client_for(UserFactory())
    assert_error(client.get(path), 404, "not_found")
    assert_error(Client().get(path), 404, "not_found")


def test_outside_api_a_404_stays_a_page(debug):
    response = Client().get("/no/such/page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_401_has_a_code(api_client):
    assert_error(api_client.get("/api/auth/me/"), 401, "not_authenticated")


def test_405_has_a_code(client_for):
    response = client_for(UserFactory()).delete("/api/auth/me/")
    assert_error(response, 405, "method_not_allowed")


def test_415_has_a_code(api_client):
    response = api_client.post("/api/auth/token/", "username=a", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


def test_json_parse_error_has_a_code(api_client):
    response = api_client.post("/api/auth/token/", "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_csrf_failure_under_api_is_json(debug):
    # a plain Django POST view under /api/ that CSRF protects: the admin-less path is the logout
    # of a session without its CSRF token (DRF's SessionAuthentication refuses with JSON)
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/api/auth/logout/")
    assert_error(response, 403, "permission_denied")


@pytest.mark.urls("tests.core.urls_errors")
@pytest.mark.parametrize(
    "path,status,code",
    [
        ("/api/test-errors/plain-bug/", 500, "server_error"),
        ("/api/test-errors/drf-bug/", 500, "server_error"),
        ("/api/test-errors/plain-denied/", 403, "permission_denied"),
    ],
)
def test_a_failing_view_under_api_answers_json(debug, path, status, code, caplog):
    client = Client(raise_request_exception=False)
    body = assert_error(client.get(path), status, code)
    assert "Traceback" not in json.dumps(body)
    if status == 500:
        assert any(record.exc_info for record in caplog.records), "the traceback still reaches the log"
