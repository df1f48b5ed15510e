"""The orjson renderer writes exactly the bytes DRF's JSONRenderer writes."""

import datetime
import decimal
import uuid
from collections import OrderedDict

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from apps.core.renderers import FastJSONRenderer

UTC = datetime.UTC
HOURS_2 = datetime.timedelta(hours=2)
CASES = {
    "aware datetime": datetime.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
    "datetime without microseconds": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    "datetime in another zone": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone(HOURS_2)),
    "naive datetime": datetime.datetime(2026, 1, 2, 3, 4, 5),
    "date": datetime.date(2026, 2, 28),
    "time": datetime.time(13, 14, 15, 16),
    "timedelta": datetime.timedelta(days=1, seconds=3, microseconds=5),
    "decimal": decimal.Decimal("12.50"),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "lazy string": gettext_lazy("Not found."),
    "unicode": "héllo ✓ 日本 \U0001f600",
    "line separators": "a\u2028b\u2029c",
    "control characters": 'tab\tnew\nquote"back\\slash\x01',
    "nested": OrderedDict(items=[{"id": 1, "n": None, "ok": True, "f": 1.5}], total=1),
    "drf return types": ReturnDict({"a": ReturnList([1, 2], serializer=None)}, serializer=None),
    "big int (orjson refuses, falls back)": 2**70,
    "int keys (orjson refuses, falls back)": {1: "one"},
    "ordinary floats": [0.1, 1e16, 1e22, 123456789.123, -0.0, 100.0],
    "empty containers": {"a": [], "b": {}},
    "tuple": (1, "two"),
}


@pytest.mark.parametrize("value", CASES.values(), ids=CASES.keys())
def test_bytes_equal_drf_json_renderer(value):
    data = {"value": value}
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


def test_none_renders_empty_and_indent_matches():
    assert FastJSONRenderer().render(None) == b""
    data = {"a": [1, {"b": datetime.date(2026, 1, 1)}]}
    assert FastJSONRenderer().render(data, "application/json; indent=4") == JSONRenderer().render(
        data, "application/json; indent=4"
    )
    assert FastJSONRenderer().render(data, None, {"indent": 2}) == JSONRenderer().render(data, None, {"indent": 2})


def test_small_floats_are_the_one_known_difference():
    # same number, different spelling: documented in apps/core/renderers.py
    assert FastJSONRenderer().render([2.5e-7]) == b"[2.5e-7]"
    assert JSONRenderer().render([2.5e-7]) == b"[2.5e-07]"


def test_every_api_response_uses_it(settings):
    from rest_framework.settings import api_settings

    assert api_settings.DEFAULT_RENDERER_CLASSES[0] is FastJSONRenderer


@pytest.mark.django_db
def test_browsable_api_still_renders(client, user):
    client.force_login(user)
    response = client.get("/api/auth/me/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert user.username.encode() in response.content
