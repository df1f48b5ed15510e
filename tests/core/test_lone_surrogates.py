"""A lone surrogate in any choice field is a 400 whose message still encodes, never a 500.

The message echoes the value (`"\\ud800" is not a valid choice.`); a lone surrogate cannot be
encoded as UTF-8, so rendering it used to fail. The core exception handler writes it escaped.
"""

import pytest

pytestmark = pytest.mark.django_db

LONE = "\\ud800"  # JSON text for U+D800 alone: json.loads gives a str that UTF-8 cannot encode


def send(client, method: str, path: str, field: str, extra: str = "") -> dict:
    body = '{"%s": "%s"%s}' % (field, LONE, extra)  # noqa: UP031 - the escape must reach the wire as written
    response = getattr(client, method)(path, body, content_type="application/json")
    assert response.status_code == 400, (path, response.status_code, response.content[:300])
    data = response.json()
    assert field in data, data
    message = data[field][0]
    assert "\\ud800" in message or "not a valid choice" in message, message
    response.content.decode("utf-8")  # strict: the body is valid UTF-8
    return data


def test_an_application_error_echoing_a_surrogate_still_encodes():
    from apps.core.exceptions import ApplicationError, exception_handler

    response = exception_handler(ApplicationError("bad \ud800 value", code="invalid"), {})
    assert response is not None
    assert response.data["detail"] == "bad \\ud800 value"
    assert response.data["code"] == "invalid"
