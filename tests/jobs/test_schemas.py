"""A job's schema is a JSON Schema: checked at registration, applied to every payload (both surfaces)."""

from __future__ import annotations

import pytest

from apps.jobs.models import Task
from tests.jobs.factories import JobFactory

pytestmark = pytest.mark.django_db

TWENTY = {
    "type": "object",
    "properties": {f"p{i}": {"type": "number", "minimum": 0} for i in range(20)},
    "required": ["p0"],
    "additionalProperties": False,
}


def register(client, schema, url="/api/jobs/rooms/lab/jobs/"):
    return client.put(url, {"category": "analysis", "name": "checked", "schema": schema}, format="json")


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "banana"},
        {"properties": {"a": {"minimum": "zero"}}},
        {"required": "a"},
        {"$ref": "#/$defs/missing"},
        {"$ref": "https://example.com/schema.json"},  # never fetched: not resolvable
        {"$ref": "#"},  # refers to itself without end
    ],
)
def test_registration_refuses_what_is_not_a_json_schema(cast, client_for, schema):
    for url, body_of in (("/api/jobs/rooms/lab/jobs/", dict), ("/v1/joblib/rooms/lab/jobs", dict)):
        response = register(client_for(cast.owner), schema, url)
        assert response.status_code == 400, response.content
        body = body_of(response.json())
        assert body["code"] == "invalid_job_schema"
        assert "schema" in (body if "errors" not in body else body["errors"])
    assert not Task.objects.exists()


def test_a_pydantic_schema_with_definitions_is_taken(cast, client_for):
    schema = {
        "$defs": {"Axis": {"enum": ["x", "y", "z"], "type": "string"}},
        "properties": {"axis": {"$ref": "#/$defs/Axis"}, "angle": {"default": 90, "type": "number"}},
        "title": "Rotate",
        "type": "object",
    }
    assert register(client_for(cast.owner), schema).status_code == 201
    job_url = "/api/jobs/rooms/lab/jobs/lab:analysis:checked/tasks/"
    client = client_for(cast.member)
    assert client.post(job_url, {"payload": {"axis": "x", "angle": 1}}, format="json").status_code == 202
    bad = client.post(job_url, {"payload": {"axis": "w"}}, format="json")
    assert bad.status_code == 400
    assert bad.json()["errors"] == [{"path": "/axis", "message": "'w' is not one of ['x', 'y', 'z']"}]


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({}, "/"),  # p0 is required
        ({"p0": -1}, "/p0"),
        ({"p0": 1, "p7": "seven"}, "/p7"),
        ({"p0": 1, "extra": True}, "/"),
    ],
)
def test_a_payload_failing_the_schema_is_400_and_stores_nothing(cast, client_for, payload, path):
    job = JobFactory(room="lab", category="analysis", name="twenty", schema=TWENTY)
    client = client_for(cast.member)
    response = client.post(f"/api/jobs/rooms/lab/jobs/{job.full_name}/tasks/", {"payload": payload}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_payload" and body["field"] == "payload"
    assert body["errors"][0]["path"] == path and body["errors"][0]["message"]
    compat = client.post(f"/v1/joblib/rooms/lab/tasks/{job.full_name}", {"payload": payload}, format="json")
    assert compat.status_code == 400 and compat["Content-Type"] == "application/problem+json"
    assert compat.json()["type"] == "/v1/problems/invalid-payload"
    assert path in compat.json()["detail"]
    assert not Task.objects.exists()


def test_a_valid_payload_is_taken(cast, client_for):
    job = JobFactory(room="lab", category="analysis", name="twenty", schema=TWENTY)
    payload = {f"p{i}": i for i in range(20)}
    response = client_for(cast.member).post(
        f"/api/jobs/rooms/lab/jobs/{job.full_name}/tasks/", {"payload": payload}, format="json"
    )
    assert response.status_code == 202


def test_a_schema_that_constrains_nothing_accepts_anything(cast, client_for):
    job = JobFactory(room="lab", category="analysis", name="free", schema={})
    payload = {"any": [1, {"thing": None}], "at": "all"}
    response = client_for(cast.member).post(
        f"/api/jobs/rooms/lab/jobs/{job.full_name}/tasks/", {"payload": payload}, format="json"
    )
    assert response.status_code == 202


def test_only_the_first_errors_are_listed(cast, client_for):
    schema = {"type": "object", "properties": {"xs": {"type": "array", "items": {"type": "integer"}}}}
    job = JobFactory(room="lab", category="analysis", name="many", schema=schema)
    payload = {"xs": ["no"] * 10_000}
    response = client_for(cast.member).post(
        f"/api/jobs/rooms/lab/jobs/{job.full_name}/tasks/", {"payload": payload}, format="json"
    )
    assert response.status_code == 400
    assert [error["path"] for error in response.json()["errors"]] == ["/xs/0", "/xs/1", "/xs/2", "/xs/3", "/xs/4"]


def test_a_deeply_nested_schema_is_bounded_by_the_parser(cast, client_for, settings):
    schema: dict = {"type": "object"}
    for _ in range(settings.JSON_MAX_DEPTH + 5):
        schema = {"type": "object", "properties": {"a": schema}}
    response = register(client_for(cast.owner), schema)
    assert response.status_code == 400  # the parser's depth limit, before jsonschema sees it
    nested: dict = {"type": "object"}
    for _ in range(settings.JSON_MAX_DEPTH // 2 - 2):
        nested = {"type": "object", "properties": {"a": nested}}
    assert register(client_for(cast.owner), nested).status_code == 201


def test_a_huge_schema_is_bounded_by_the_payload_cap(cast, client_for, settings):
    settings.JOBS_MAX_PAYLOAD_BYTES = 4096
    schema = {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(400)}}
    response = register(client_for(cast.owner), schema)
    assert response.status_code == 400
    assert "schema" in response.json()


def test_a_self_referring_schema_stored_before_is_a_400_at_submission(cast, client_for):
    # stored without the check (as by an older server): the submission still answers, never a 500
    job = JobFactory(room="lab", category="analysis", name="loop", schema={"$ref": "#"})
    response = client_for(cast.member).post(
        f"/api/jobs/rooms/lab/jobs/{job.full_name}/tasks/", {"payload": {}}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_job_schema"
