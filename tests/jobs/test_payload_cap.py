"""Stored JSON is capped at JOBS_MAX_PAYLOAD_BYTES: payloads and schemas, measured as compact UTF-8 JSON."""

import json

import pytest

from apps.jobs.models import Job, Task

pytestmark = pytest.mark.django_db


def _object_of_size(size: int, char: str = "x") -> dict:
    """A JSON object whose compact encoding is exactly `size` bytes."""
    overhead = len(json.dumps({"d": ""}, separators=(",", ":")))
    return {"d": char * ((size - overhead) // len(char.encode()))}


def test_a_payload_over_the_default_cap_is_400_and_not_stored(cast, client_for, settings):
    assert settings.JOBS_MAX_PAYLOAD_BYTES == 256 * 1024
    payload = _object_of_size(256 * 1024 + 1)
    response = client_for(cast.member).post(cast.job_url + "tasks/", {"payload": payload}, format="json")
    assert response.status_code == 400
    assert "at most 262144 bytes" in response.json()["payload"][0]
    assert not Task.objects.exists()


def test_a_payload_at_the_cap_is_taken(cast, client_for, settings):
    settings.JOBS_MAX_PAYLOAD_BYTES = 2048
    response = client_for(cast.member).post(cast.job_url + "tasks/", {"payload": _object_of_size(2048)}, format="json")
    assert response.status_code == 202, response.json()


def test_the_cap_counts_utf8_bytes_not_characters(cast, client_for, settings):
    settings.JOBS_MAX_PAYLOAD_BYTES = 2048
    payload = {"d": "é" * 1500}  # 1500 characters, 3000 bytes
    response = client_for(cast.member).post(cast.job_url + "tasks/", {"payload": payload}, format="json")
    assert response.status_code == 400
    assert "payload" in response.json()


def test_a_schema_over_the_cap_is_400_and_not_registered(cast, client_for, settings):
    settings.JOBS_MAX_PAYLOAD_BYTES = 2048
    body = {"category": "modifiers", "name": "huge", "schema": _object_of_size(2049)}
    response = client_for(cast.owner).put("/api/jobs/rooms/lab/jobs/", body, format="json")
    assert response.status_code == 400
    assert "schema" in response.json()
    assert not Job.objects.filter(name="huge").exists()
