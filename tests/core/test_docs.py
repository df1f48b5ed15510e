import pytest

pytestmark = pytest.mark.django_db


def test_schema_is_served(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"openapi: 3" in response.content
    assert b"/api/auth/token/" in response.content


def test_swagger_ui_uses_local_assets(client, settings):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html


def test_admin_is_mounted(client):
    assert client.get("/admin/").status_code == 302
