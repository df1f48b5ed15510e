"""What a new user meets: `/`, DRF's login for any active user, the browsable API end to end,
the admin's "View site", and `seed_demo` printing where the server really is."""

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client

from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_home_page_links_docs_admin_silk_and_health(client, settings):
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    for href in ('href="/api/docs/"', 'href="/admin/"', 'href="/healthz"', 'href="/api-auth/login/'):
        assert href in page, href
    if settings.SILK_ENABLED:
        assert 'href="/silk/"' in page


def test_admin_view_site_link_leads_somewhere(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get("/admin/").content.decode()
    site_url = re.search(r'<a href="([^"]+)">View site</a>', page).group(1)
    assert client.get(site_url).status_code == 200


def test_a_non_staff_user_logs_in_and_uses_the_browsable_api():
    user = UserFactory()  # not staff: the admin login would refuse them
    browser = Client(enforce_csrf_checks=True)
    login_page = browser.get("/api-auth/login/?next=/api/projects/")
    assert login_page.status_code == 200
    csrf = browser.cookies["csrftoken"].value
    response = browser.post(
        "/api-auth/login/?next=/api/projects/",
        {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": csrf, "next": "/api/projects/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/api/projects/"

    page = browser.get("/api/projects/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    html = page.content.decode()
    assert user.username in html  # the browsable API shows who is signed in (with a log-out form)
    assert "/api-auth/logout/" in html

    # a write from the browsable API's raw-data form: JSON with the session and its CSRF token
    csrf = browser.cookies["csrftoken"].value
    created = browser.post(
        "/api/projects/",
        '{"key": "NEWB", "name": "From the browser"}',
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
        HTTP_ACCEPT="application/json",
    )
    assert created.status_code == 201, created.content
    assert browser.get(f"/api/projects/{created.json()['id']}/", HTTP_ACCEPT="application/json").status_code == 200

    # without the CSRF token the session cannot write
    refused = browser.post("/api/projects/", '{"key": "NOPE", "name": "x"}', content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"


def test_the_browsable_api_offers_a_login_link_to_anonymous_visitors(client):
    page = client.get("/api/projects/", HTTP_ACCEPT="text/html")
    assert page.status_code == 401
    assert "/api-auth/login/" in page.content.decode()


def test_seed_demo_prints_the_real_port(monkeypatch):
    monkeypatch.setenv("PORT", "8123")
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "http://127.0.0.1:8123/api/docs/" in out.getvalue()
    assert ":8000" not in out.getvalue()
