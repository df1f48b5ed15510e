import pytest
from rest_framework.test import APIClient

from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_token_for_valid_credentials(api_client):
    user = UserFactory()
    response = api_client.post("/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api_client.get("/api/auth/me/")
    assert me.status_code == 200
    assert me.json()["username"] == user.username


def test_each_login_gets_its_own_token_and_both_work(api_client):
    user = UserFactory()
    body = {"username": user.username, "password": PASSWORD}
    first = api_client.post("/api/auth/token/", body, format="json").json()["token"]
    second = api_client.post("/api/auth/token/", body, format="json").json()["token"]
    assert first != second
    for key in (first, second):
        assert APIClient().get("/api/auth/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_400(api_client):
    user = UserFactory()
    wrong = api_client.post("/api/auth/token/", {"username": user.username, "password": "nope"}, format="json")
    unknown = api_client.post("/api/auth/token/", {"username": "ghost", "password": "nope"}, format="json")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json() == {"non_field_errors": ["Unable to log in with the provided credentials."]}


def test_missing_fields_are_field_errors(api_client):
    response = api_client.post("/api/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_me_refuses_anonymous(api_client):
    assert api_client.get("/api/auth/me/").status_code == 401


def test_me_refuses_a_bad_token(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    response = api_client.get("/api/auth/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_me_query_budget(client_for, query_budget):
    client = client_for(UserFactory())
    # token with its user (one join)
    url = "/api/auth/me/"
    assert query_budget.assert_queries(lambda: client.get(url), query_budget.declared("GET", url).queries)


def test_token_query_budget(api_client, query_budget):
    user = UserFactory()
    body = {"username": user.username, "password": PASSWORD}
    url = "/api/auth/token/"
    api_client.post(url, body, format="json")
    # the user by username, delete the user's expired or stale tokens, insert the new token
    budget = query_budget.declared("POST", url).queries
    assert query_budget.assert_queries(lambda: api_client.post(url, body, format="json"), budget).status_code == 200


def test_logout_query_budget(client_for, query_budget):
    client = client_for(UserFactory())
    url = "/api/auth/logout/"
    # token with its user, the token's DELETE
    assert query_budget.assert_queries(lambda: client.post(url), query_budget.declared("POST", url).queries)
