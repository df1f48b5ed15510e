"""Tokens: stored hashed, expiring, revoked by logout and by any password change."""

import hashlib
import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import ApiToken
from apps.accounts.services import token_for_user, user_set_password
from apps.accounts.tokens import user_for_token
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def me(key: str) -> int:
    return APIClient().get("/api/auth/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code


def test_only_a_hash_of_the_key_is_stored():
    user = UserFactory()
    key = token_for_user(user=user)
    assert len(key) >= 43  # 256 bits, url-safe
    (row,) = ApiToken.objects.filter(user=user).values()
    assert row["digest"] == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(row)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_api_token")
        assert key not in str(cursor.fetchall())


def test_token_expires_after_the_ttl(settings):
    settings.AUTH_TOKEN_TTL = 3600
    user = UserFactory()
    key = token_for_user(user=user)
    token = ApiToken.objects.get(user=user)
    assert abs((token.expires_at - timezone.now()) - timedelta(seconds=3600)) < timedelta(seconds=30)
    assert me(key) == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert me(key) == 401
    assert user_for_token(key) is None


def test_logout_revokes_only_the_callers_token():
    user = UserFactory()
    kept, revoked = token_for_user(user=user), token_for_user(user=user)
    response = APIClient().post("/api/auth/logout/", HTTP_AUTHORIZATION=f"Token {revoked}")
    assert response.status_code == 204
    assert me(revoked) == 401
    assert me(kept) == 200
    assert ApiToken.objects.filter(user=user).count() == 1


def test_logout_refuses_anonymous():
    response = APIClient().post("/api/auth/logout/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_logout_of_a_session_ends_the_session():
    user = UserFactory()
    client = APIClient(enforce_csrf_checks=False)
    client.force_login(user)
    assert client.get("/api/auth/me/").status_code == 200
    assert client.post("/api/auth/logout/").status_code == 204
    assert client.get("/api/auth/me/").status_code in (401, 403)


def test_password_change_through_the_service_revokes_every_token():
    user = UserFactory()
    keys = [token_for_user(user=user) for _ in range(3)]
    user_set_password(user=user, password="a new and long passphrase")
    assert [me(key) for key in keys] == [401, 401, 401]
    assert not ApiToken.objects.filter(user=user).exists()


def test_password_change_by_any_other_path_revokes_too():
    user = UserFactory()
    key = token_for_user(user=user)
    user.set_password("changed outside the services")
    user.save()
    assert me(key) == 401
    # and a new login cleans the dead rows out
    token_for_user(user=user)
    assert ApiToken.objects.filter(user=user).count() == 1


def test_password_change_in_the_admin_revokes_tokens(client):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    user = UserFactory()
    key = token_for_user(user=user)
    client.force_login(admin_user)
    new = "an admin-chosen passphrase 42"
    response = client.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": new, "password2": new, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content[:500]
    assert me(key) == 401


def test_inactive_user_is_refused():
    user = UserFactory()
    key = token_for_user(user=user)
    user.is_active = False
    user.save()
    assert me(key) == 401


@pytest.mark.parametrize("key", ["x" * 65, "x" * 100_000, "\\ud800", "", "a b"])
def test_odd_keys_are_401_never_500(key):
    response = APIClient().get("/api/auth/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401


def test_user_for_token_is_one_query(django_assert_num_queries):
    user = UserFactory()
    key = token_for_user(user=user)
    # the token joined to its user
    with django_assert_num_queries(1):
        assert user_for_token(key) == user
    with django_assert_num_queries(1):
        assert user_for_token("unknown-key") is None


def test_legacy_plain_tokens_are_hashed_by_the_migration_and_keep_working():
    """Before this change keys sat in DRF's authtoken_token in plain text."""
    user = UserFactory()
    legacy_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz NOT NULL, "
            "user_id bigint NOT NULL UNIQUE)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, now(), %s)", [legacy_key, user.pk])
    migration = importlib.import_module("apps.accounts.migrations.0003_hash_legacy_tokens")
    with connection.schema_editor() as schema_editor:
        migration.hash_legacy_tokens(django_apps, schema_editor)
    assert "authtoken_token" not in connection.introspection.table_names()
    assert not ApiToken.objects.filter(digest=legacy_key).exists()
    assert me(legacy_key) == 200
    # and a password change ends it like any other token
    user_set_password(user=user, password=PASSWORD + " changed")
    assert me(legacy_key) == 401


def test_logout_query_budget(django_assert_num_queries):
    key = token_for_user(user=UserFactory())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    # the token joined to its user, the delete
    with django_assert_num_queries(2):
        assert client.post("/api/auth/logout/").status_code == 204


def test_a_user_holds_at_most_auth_tokens_per_user_the_oldest_retire(settings):
    settings.AUTH_TOKENS_PER_USER = 3
    user = UserFactory()
    keys = [token_for_user(user=user) for _ in range(5)]
    assert ApiToken.objects.filter(user=user).count() == 3
    assert [me(key) for key in keys] == [401, 401, 200, 200, 200]
    # another user's tokens are untouched
    other = UserFactory()
    other_key = token_for_user(user=other)
    token_for_user(user=user)
    assert me(other_key) == 200


def test_sweep_deletes_only_expired_tokens():
    from django.core.management import call_command

    user = UserFactory()
    live, expired = token_for_user(user=user), token_for_user(user=user)
    ApiToken.objects.filter(digest=hashlib.sha256(expired.encode()).hexdigest()).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    call_command("accounts_sweep_tokens", stdout=__import__("io").StringIO())
    assert list(ApiToken.objects.values_list("digest", flat=True)) == [hashlib.sha256(live.encode()).hexdigest()]
