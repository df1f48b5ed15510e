"""CSV and JSONL trace uploads: the same limits and all-or-nothing rule as the JSON load."""

import json

import pytest

from apps.workshops.models import Trace
from tests.querybudget import assert_queries, declared
from tests.workshops.factories import make_team

pytestmark = pytest.mark.django_db


def _upload(client, workshop, body, content_type):
    return client.generic("POST", f"/api/workshops/{workshop.pk}/traces/upload/", body, content_type=content_type)


def test_csv_upload_with_json_cells_and_reload(client_for):
    team = make_team()
    client = client_for(team.facilitator)
    body = 'external_id,input,output,context\nc1,"q, one",a1,"{""k"": 1}"\nc2,q2,a2,\n'
    url = f"/api/workshops/{team.workshop.pk}/traces/upload/"
    response = assert_queries(lambda: _upload(client, team.workshop, body, "text/csv"), declared("POST", url).queries)
    assert response.status_code == 200 and response.json() == {"created": 2, "updated": 0}
    assert (
        Trace.objects.get(external_id="c1").context == {"k": 1}
        and Trace.objects.get(external_id="c1").input == "q, one"
    )
    again = _upload(client, team.workshop, body.replace("a2", "better"), "text/csv")
    assert again.json() == {"created": 0, "updated": 2} and Trace.objects.get(external_id="c2").output == "better"
    assert _upload(client_for(team.alice), team.workshop, body, "text/csv").status_code == 403


@pytest.mark.parametrize(
    ("body", "row"),
    [
        ("external_id,input\nx,y\n", 0),  # a missing column
        ("external_id,input,output,metadata\nx,y,z,{broken\n", 1),  # a broken JSON cell
        ("external_id,input,output\nx,y,z\nx2,y2\n", 2),  # a short row
    ],
)
def test_bad_csv_names_the_row_and_stores_nothing(client_for, body, row):
    team = make_team()
    response = _upload(client_for(team.facilitator), team.workshop, body, "text/csv")
    assert response.status_code == 400 and response.json()["row"] == row, response.json()
    assert not Trace.objects.exists()


def test_jsonl_upload_limits_and_bad_rows(client_for):
    team = make_team()
    client = client_for(team.facilitator)
    lines = [json.dumps({"external_id": f"j{i}", "input": "i", "output": "o"}) for i in range(3)]
    ok = _upload(client, team.workshop, "\n".join(lines) + "\n\n", "application/x-ndjson")
    assert ok.json() == {"created": 3, "updated": 0}
    broken = _upload(client, team.workshop, lines[0] + "\n{nope\n", "application/x-ndjson")
    assert broken.status_code == 400 and broken.json()["row"] == 2
    not_object = _upload(client, team.workshop, "[1]\n", "application/x-ndjson")
    assert not_object.status_code == 400 and not_object.json()["row"] == 1
    invalid = _upload(
        client, team.workshop, json.dumps({"external_id": "z", "input": 1, "output": "o"}), "application/x-ndjson"
    )
    assert invalid.status_code == 400 and "row[0]" in invalid.json()["detail"]
    too_many = "\n".join(json.dumps({"external_id": f"m{i}", "input": "", "output": ""}) for i in range(1001))
    refused = _upload(client, team.workshop, too_many, "application/x-ndjson")
    assert (
        refused.status_code == 400
        and refused.json()["code"] == "too_many_traces"
        and "1000" in refused.json()["detail"]
    )
    latin = _upload(client, team.workshop, "external_id,input,output\nx,\xe9,z\n".encode("latin-1"), "text/csv")
    assert latin.status_code == 400
    assert _upload(client, team.workshop, "{}", "application/json").status_code == 415
    assert _upload(client, team.workshop, "", "text/csv").json()["row"] == 0  # no header
    assert _upload(client, team.workshop, "", "application/x-ndjson").json() == {"created": 0, "updated": 0}
    assert Trace.objects.count() == 3
