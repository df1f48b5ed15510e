"""Hostile input gets a 4xx, never a 500."""

import json

import pytest

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/auth/token/"


def test_body_over_the_limit_is_413(api_client, settings):
    body = json.dumps({"username": "x" * (10 * 1024 * 1024), "password": "y"})
    response = api_client.post(TOKEN_URL, body, content_type="application/json")
    assert response.status_code == 413
    assert "exceeds" in response.json()["detail"]


def test_deeply_nested_json_is_400(api_client):
    body = "[" * 100_000 + "]" * 100_000
    response = api_client.post(TOKEN_URL, body, content_type="application/json")
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


def test_moderately_nested_json_over_the_depth_limit_is_400(api_client, settings):
    body = json.dumps({"username": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]})
    response = api_client.post(TOKEN_URL, body, content_type="application/json")
    assert response.status_code == 400


def test_invalid_utf8_body_is_400(api_client):
    response = api_client.post(TOKEN_URL, b'{"username": "\xff\xfe", "password": "x"}', content_type="application/json")
    assert response.status_code == 400
    assert "UTF-8" in response.json()["detail"]


def test_nul_in_a_json_string_is_400(api_client):
    response = api_client.post(TOKEN_URL, '{"username": "a\\u0000b", "password": "x"}', content_type="application/json")
    assert response.status_code == 400


def test_malformed_json_is_400(api_client):
    response = api_client.post(TOKEN_URL, '{"username": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


def test_non_json_content_type_is_415(api_client):
    response = api_client.post(TOKEN_URL, "username=x&password=y", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


@pytest.mark.parametrize("query", ["q=%00", "q=a%00b", "q=%ff%fe", "limit=%00"])
def test_nul_or_invalid_utf8_in_the_query_is_400(client_for, user, query):
    response = client_for(user).get(f"/api/auth/me/?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"


def test_nul_in_the_path_is_400(client_for, user):
    response = client_for(user).get("/api/auth/me%00/")
    assert response.status_code in (400, 404)
