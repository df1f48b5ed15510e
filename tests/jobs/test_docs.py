"""What a client needs to know about jobs is written down, and matches the code."""

from pathlib import Path

import pytest

from apps.jobs.models import TRANSITIONS, TRANSITIONS_TEXT, JobCategory

README = (Path(__file__).resolve().parents[2] / "apps" / "jobs" / "README.md").read_text()


def test_readme_lists_every_category():
    for category in JobCategory.values:
        assert f"`{category}`" in README, category


def test_readme_transition_table_matches_the_code():
    table = README.split("### Task status transitions", 1)[1].split("\n\n", 2)[1]
    documented = set()
    for line in table.splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        sources = [part.strip("` ") for part in cells[0].split(",")]
        targets = [part.split("(")[0].strip("` ") for part in cells[1].split(",")]
        documented |= {(s, t) for s in sources for t in targets if t and not t.startswith("nothing")}
    actual = {(current, target) for current, targets in TRANSITIONS.items() for target in targets}
    assert documented == actual


def test_readme_documents_the_worker_registration_body():
    assert "`POST workers/`: no body" in README


@pytest.mark.django_db
def test_schema_operations_carry_the_transitions_and_the_worker_body(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    patch = schema["paths"]["/api/jobs/tasks/{id}/"]["patch"]
    status = patch["requestBody"]["content"]["application/json"]["schema"]["properties"]["status"]
    assert status["description"] == TRANSITIONS_TEXT
    assert "No body" in schema["paths"]["/api/jobs/workers/"]["post"]["description"]


@pytest.mark.django_db
def test_swagger_description_names_every_app_that_exists(client):
    description = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["info"]["description"]
    for prefix in ("/api/jobs/", "/v1/joblib/", "/api/workshops/", "/api/projects/", "/api/livechat/"):
        assert prefix in description
    assert "/api/interviews/" in description
