"""GET /{id}/export/: one JSON document of the whole workshop, streamed by an async generator."""

import orjson
import pytest
from django.utils.dateparse import parse_datetime

from apps.workshops import export
from apps.workshops.models import Annotation, Finding, JudgeEvaluation, JudgePrompt, RubricQuestion, Trace
from tests.querybudget import assert_query_budget, count_queries, declared
from tests.streaming import fetch
from tests.workshops.factories import (
    AnnotationFactory,
    FindingFactory,
    JudgeEvaluationFactory,
    JudgePromptFactory,
    QuestionFactory,
    TraceFactory,
    bulk_traces,
    make_team,
)

pytestmark = pytest.mark.django_db


def _url(team):
    return f"/api/workshops/{team.workshop.pk}/export/"


def _as_json(value):
    return orjson.loads(orjson.dumps(value))


def test_export_equals_what_the_models_hold(client_for):
    team = make_team()
    workshop = team.workshop
    trace = TraceFactory(workshop=workshop, metadata={"source": "prod"})
    other = TraceFactory(workshop=workshop)
    question = QuestionFactory(workshop=workshop, judge_type="binary", binary_labels={"pass": "ok", "fail": "bad"})
    FindingFactory(workshop=workshop, trace=trace, user=team.alice, insight="hallucinates")
    AnnotationFactory(workshop=workshop, trace=trace, user=team.alice, ratings={str(question.pk): 1}, comment="fine")
    AnnotationFactory(workshop=workshop, trace=other, user=team.bob, ratings={str(question.pk): 0})
    prompt = JudgePromptFactory(workshop=workshop, judge_type="binary")
    JudgeEvaluationFactory(prompt=prompt, trace=trace, predicted_rating=1, confidence=0.9, reasoning="ok")
    # another workshop's rows stay out
    stranger_team = make_team()
    TraceFactory(workshop=stranger_team.workshop)

    response = fetch(client_for(team.facilitator), _url(team))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    document = orjson.loads(b"".join(response.parts))

    assert document["workshop"]["id"] == workshop.pk and document["workshop"]["name"] == workshop.name
    assert parse_datetime(document["workshop"]["created_at"]) == workshop.created_at
    for name, rows in (
        ("traces", Trace.objects.filter(workshop=workshop)),
        ("findings", Finding.objects.filter(workshop=workshop)),
        ("annotations", Annotation.objects.filter(workshop=workshop)),
        ("rubric_questions", RubricQuestion.objects.filter(workshop=workshop)),
        ("judge_prompts", JudgePrompt.objects.filter(workshop=workshop)),
        ("evaluations", JudgeEvaluation.objects.filter(prompt__workshop=workshop)),
    ):
        fields = next(section[2] for section in export.SECTIONS if section[0] == name)
        assert document[name] == _as_json(list(rows.order_by("id").values(*fields))), name
    assert [t["external_id"] for t in document["traces"]] == [trace.external_id, other.external_id]
    assert document["traces"][0]["metadata"] == {"source": "prod"}
    assert document["evaluations"][0]["confidence"] == 0.9
    assert list(document) == ["workshop", *(section[0] for section in export.SECTIONS)]


def test_an_empty_workshop_exports_empty_lists(client_for):
    team = make_team()
    document = orjson.loads(b"".join(fetch(client_for(team.facilitator), _url(team)).parts))
    assert all(document[section[0]] == [] for section in export.SECTIONS)


def test_strangers_get_404_and_participants_403(client_for):
    team = make_team()
    TraceFactory(workshop=team.workshop)
    assert client_for(team.stranger).get(_url(team)).status_code == 404
    assert client_for(team.alice).get(_url(team)).status_code == 403
    assert client_for(team.bob).get(_url(team)).status_code == 403


def test_rows_are_read_and_sent_in_keyset_chunks(client_for, monkeypatch):
    monkeypatch.setattr(export, "CHUNK", 2)
    team = make_team()
    bulk_traces(team.workshop, 5)
    url = _url(team)
    client = client_for(team.facilitator)
    n, response, sql = count_queries(lambda: fetch(client, url))
    # 5 traces in chunks of 2: three reads, each its own part of the body
    trace_sql = [s for s in sql if 'FROM "workshops_trace"' in s]
    assert len(trace_sql) == 3 and all('"workshops_trace"."id" >' in s for s in trace_sql)
    row_parts = [p for p in response.parts if b'"external_id"' in p]
    assert [p.count(b'"external_id"') for p in row_parts] == [2, 2, 1]
    assert n == declared("GET", url).queries + 2  # one more query per further chunk of traces
    document = orjson.loads(b"".join(response.parts))
    assert [t["external_id"] for t in document["traces"]] == [f"bulk-{i}" for i in range(1, 6)]


def test_export_budget(client_for):
    team = make_team()
    question = QuestionFactory(workshop=team.workshop)
    prompt = JudgePromptFactory(workshop=team.workshop)
    url = _url(team)
    client = client_for(team.facilitator)

    def add_rows(n):
        for _ in range(n):
            trace = TraceFactory(workshop=team.workshop)
            FindingFactory(workshop=team.workshop, trace=trace, user=team.alice)
            AnnotationFactory(workshop=team.workshop, trace=trace, user=team.alice, ratings={str(question.pk): 3})
            JudgeEvaluationFactory(prompt=prompt, trace=trace)

    # token, seat; one read per section (all below 500 rows)
    assert_query_budget(
        request=lambda: fetch(client, url),
        add_rows=add_rows,
        budget=declared("GET", url),
        expect_items=lambda r: len(orjson.loads(b"".join(r.parts))["annotations"]),
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_served_over_asgi_as_a_chunked_stream():
    """Through uvicorn and the Brisk ASGI handler: chunked transfer, the whole document, 600 traces (two chunks)."""
    import http.client

    from apps.accounts.services import token_for_user
    from tests.liveserver import uvicorn_server

    team = make_team()
    bulk_traces(team.workshop, 600)
    token = token_for_user(user=team.facilitator)
    with uvicorn_server() as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", _url(team), headers={"Authorization": f"Token {token}", "Host": "testserver"})
        response = conn.getresponse()
        body = response.read()
        conn.close()
    assert response.status == 200, body[:500]
    assert response.getheader("Transfer-Encoding") == "chunked" and response.getheader("Content-Length") is None
    document = orjson.loads(body)
    assert len(document["traces"]) == 600 and document["traces"][-1]["external_id"] == "bulk-600"
