"""Login throttles: per client address (forwarded headers believed only from TRUSTED_PROXIES)
and per username, on the token endpoint, the admin login and the browsable API's login."""

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from rest_framework.throttling import SimpleRateThrottle

from apps.core.proxies import TrustedProxyMiddleware
from tests.accounts.factories import PASSWORD, UserFactory
from tests.conftest import ON_REDIS

pytestmark = pytest.mark.django_db


@pytest.fixture
def login_rates():
    """Set the two login rates for one test (DRF reads them into a class attribute at import)."""
    original = SimpleRateThrottle.THROTTLE_RATES

    def set_rates(address: str = "1000/min", username: str = "1000/min") -> None:
        SimpleRateThrottle.THROTTLE_RATES = {**original, "auth_token": address, "auth_username": username}

    yield set_rates
    SimpleRateThrottle.THROTTLE_RATES = original


def token_attempt(client, username="ghost", *, address="127.0.0.1", forwarded_for=None) -> int:
    extra = {"REMOTE_ADDR": address}
    if forwarded_for:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post(
        "/api/auth/token/", {"username": username, "password": "wrong"}, format="json", **extra
    ).status_code


def test_a_forged_x_forwarded_for_does_not_escape_the_address_throttle(api_client, login_rates):
    login_rates(address="3/min")
    codes = [token_attempt(api_client, f"user{i}", forwarded_for=f"10.0.0.{i}") for i in range(5)]
    assert codes == [400, 400, 400, 429, 429]


def test_a_trusted_proxys_x_forwarded_for_names_the_client(api_client, login_rates, settings):
    settings.TRUSTED_PROXIES = ["10.9.0.0/16"]
    login_rates(address="2/min")
    proxy = "10.9.0.5"
    first = [token_attempt(api_client, f"a{i}", address=proxy, forwarded_for="203.0.113.7") for i in range(3)]
    # a different client behind the same proxy has its own budget; a spoofed hop in front does not help
    other = token_attempt(api_client, "b", address=proxy, forwarded_for="203.0.113.8")
    spoofed = token_attempt(api_client, "c", address=proxy, forwarded_for="1.2.3.4, 203.0.113.7")
    assert first == [400, 400, 429]
    assert other == 400
    assert spoofed == 429


def test_one_username_is_throttled_from_any_address(api_client, login_rates):
    login_rates(username="3/min")
    codes = [token_attempt(api_client, "victim", address=f"192.0.2.{i}") for i in range(5)]
    assert codes == [400, 400, 400, 429, 429]
    # another account is not held up by the attack on this one
    assert token_attempt(api_client, "someone-else", address="192.0.2.99") == 400


def test_throttled_answer_has_a_code_and_retry_after(api_client, login_rates):
    login_rates(address="1/min")
    token_attempt(api_client)
    response = api_client.post("/api/auth/token/", {"username": "x", "password": "y"}, format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


@pytest.mark.redis
def test_throttle_counts_live_in_redis_shared_by_every_worker(api_client, login_rates):
    from django_redis import get_redis_connection

    login_rates(address="5/min")
    token_attempt(api_client, "shared")
    keys = get_redis_connection("default").keys("*throttle_auth_*")
    assert {k.decode().split(":")[-1].split("_")[2] for k in keys} >= {"token", "username"}, keys
    assert ON_REDIS


@pytest.mark.parametrize("path", ["/admin/login/", "/api-auth/login/"])
def test_browser_logins_are_throttled_per_address_and_per_username(client, login_rates, path):
    login_rates(address="3/min", username="2/min")
    user = UserFactory(is_staff=True)
    # the same username from many addresses
    codes = [
        client.post(path, {"username": user.username, "password": "wrong"}, REMOTE_ADDR=f"192.0.2.{i}").status_code
        for i in range(3)
    ]
    assert codes == [200, 200, 429]
    cache.clear()
    # many usernames from one address
    codes = [client.post(path, {"username": f"u{i}", "password": "wrong"}).status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    cache.clear()
    # a right password within the budget still logs in
    assert client.post(path, {"username": user.username, "password": PASSWORD}).status_code == 302


def test_forwarded_proto_is_believed_only_from_a_trusted_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXIES = ["10.9.0.5"]
    middleware = TrustedProxyMiddleware(lambda request: request)
    factory = RequestFactory()
    headers = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}

    from_anyone = middleware(factory.get("/", REMOTE_ADDR="198.51.100.1", **headers))
    assert not from_anyone.is_secure()
    assert from_anyone.META["REMOTE_ADDR"] == "198.51.100.1"
    assert "HTTP_X_FORWARDED_FOR" not in from_anyone.META

    from_proxy = middleware(factory.get("/", REMOTE_ADDR="10.9.0.5", **headers))
    assert from_proxy.is_secure()
    assert from_proxy.META["REMOTE_ADDR"] == "203.0.113.7"
