"""Every workshops endpoint runs its declared number of queries, the same at 1 and at 50 rows."""

import pytest

from apps.workshops.models import Finding, Participant, Trace
from tests.accounts.factories import UserFactory
from tests.querybudget import assert_queries, assert_query_budget, declared, page_size
from tests.workshops.factories import (
    AnnotationFactory,
    QuestionFactory,
    TraceFactory,
    bulk_traces,
    make_team,
    make_workshop,
    seat,
)

pytestmark = pytest.mark.django_db


def _count(workshop):
    return Trace.objects.filter(workshop=workshop).count()


def test_workshop_list_budget(client_for):
    user = UserFactory()
    client = client_for(user)
    # auth token; count; page (seats, workshop joined)
    assert_query_budget(
        request=lambda: client.get("/api/workshops/?limit=200"),
        add_rows=lambda n: [seat(make_workshop(), user) for _ in range(n)],
        budget=declared("GET", "/api/workshops/"),
        expect_items=page_size,
    )


def test_participant_list_budget(client_for):
    team = make_team()
    Participant.objects.filter(workshop=team.workshop).exclude(user=team.facilitator).delete()
    url = f"/api/workshops/{team.workshop.pk}/participants/?limit=200"
    client = client_for(team.facilitator)
    assert_query_budget(
        request=lambda: client.get(url),
        add_rows=lambda n: [seat(team.workshop) for _ in range(n)],
        budget=declared("GET", url),
        expect_items=lambda r: page_size(r) - 1,
    )


@pytest.mark.parametrize("randomize", [False, True])
def test_trace_list_budget(client_for, randomize):
    team = make_team()
    facilitator, alice = client_for(team.facilitator), client_for(team.alice)
    base = f"/api/workshops/{team.workshop.pk}/"
    bulk_traces(team.workshop, 50)
    facilitator.post(
        base + "phase/", {"action": "begin_discovery", "trace_limit": 1, "randomize": randomize}, format="json"
    )
    url = base + "traces/?limit=200"

    def add(n):
        if n > 1:
            facilitator.post(base + "phase/", {"action": "add_traces", "count": n}, format="json")

    # auth token; seat with workshop; count; page (trace joined)
    assert_query_budget(
        request=lambda: alice.get(url),
        add_rows=lambda n: add(n) if n > 1 else None,
        budget=declared("GET", url),
        expect_items=page_size,
    )


def test_trace_list_all_and_detail_budget(client_for):
    team = make_team()
    client = client_for(team.facilitator)
    url = f"/api/workshops/{team.workshop.pk}/traces/?all=1&limit=200"
    assert_query_budget(
        request=lambda: client.get(url),
        add_rows=lambda n: bulk_traces(team.workshop, n, start=_count(team.workshop)),
        budget=declared("GET", url),
        expect_items=page_size,
    )
    trace = Trace.objects.filter(workshop=team.workshop).first()
    detail = f"/api/workshops/{team.workshop.pk}/traces/{trace.pk}/"
    assert_queries(lambda: client.get(detail), declared("GET", detail).queries)


def test_trace_load_budget_at_1_and_1000(client_for):
    team = make_team()
    client = client_for(team.facilitator)
    url = f"/api/workshops/{team.workshop.pk}/traces/"
    budget = declared("POST", url).queries
    for n in (1, 1000):
        items = [{"external_id": f"x{i}", "input": "i", "output": "o", "context": {"k": i}} for i in range(n)]
        response = assert_queries(lambda items=items: client.post(url, {"traces": items}, format="json"), budget)
        assert response.status_code == 200


@pytest.mark.parametrize("path", ["findings/", "annotations/"])
def test_findings_and_annotations_list_budgets(client_for, path):
    team = make_team()
    client = client_for(team.facilitator)
    question = QuestionFactory(workshop=team.workshop)
    url = f"/api/workshops/{team.workshop.pk}/{path}?limit=200"

    def add(n):
        for _ in range(n):
            trace = TraceFactory(workshop=team.workshop)
            Finding.objects.create(workshop=team.workshop, trace=trace, user=team.alice, insight="x")
            AnnotationFactory(workshop=team.workshop, trace=trace, user=team.bob, ratings={str(question.pk): 3})

    # auth token; seat with workshop; count; page (author joined)
    assert_query_budget(
        request=lambda: client.get(url), add_rows=add, budget=declared("GET", url), expect_items=page_size
    )


def test_question_list_and_writes_budgets(client_for):
    team = make_team()
    client, alice = client_for(team.facilitator), client_for(team.alice)
    url = f"/api/workshops/{team.workshop.pk}/rubric/questions/?limit=200"
    assert_query_budget(
        request=lambda: alice.get(url),
        add_rows=lambda n: [QuestionFactory(workshop=team.workshop) for _ in range(n)],
        budget=declared("GET", url),
        expect_items=page_size,
    )
    base = f"/api/workshops/{team.workshop.pk}/"
    created = assert_queries(
        lambda: client.post(base + "rubric/questions/", {"title": "q"}, format="json"),
        declared("POST", base + "rubric/questions/").queries,
    )
    qid = created.json()["id"]
    detail = f"{base}rubric/questions/{qid}/"
    assert_queries(
        lambda: client.patch(detail, {"judge_type": "binary"}, format="json"), declared("PATCH", detail).queries
    )
    assert_queries(lambda: client.delete(detail), declared("DELETE", detail).queries)
    trace = TraceFactory(workshop=team.workshop)
    live = QuestionFactory(workshop=team.workshop)
    body = {"trace_id": trace.pk, "ratings": {str(live.pk): 4}}
    assert_queries(
        lambda: alice.post(base + "annotations/", body, format="json"), declared("POST", base + "annotations/").queries
    )
    assert_queries(
        lambda: alice.post(base + "findings/", {"trace_id": trace.pk, "insight": "i"}, format="json"),
        declared("POST", base + "findings/").queries,
    )


def test_workshop_and_participant_write_budgets(client_for):
    team = make_team(discovery_randomize=True)
    client = client_for(team.facilitator)
    base = f"/api/workshops/{team.workshop.pk}/"
    assert_queries(lambda: client.get(base), declared("GET", base).queries)
    assert_queries(lambda: client.patch(base, {"name": "n"}, format="json"), declared("PATCH", base).queries)
    created = assert_queries(lambda: client.post("/api/workshops/", {"name": "w"}, format="json"), 3)
    assert created.status_code == 201
    bulk_traces(team.workshop, 20)
    # the costliest phase action: a randomised begin (traces, raters, positions, orders, UPDATE)
    phase = base + "phase/"
    response = assert_queries(lambda: client.post(phase, {"action": "begin_discovery"}, format="json"), 9)
    assert response.status_code == 200 and declared("POST", phase).queries == 9
    newcomer = UserFactory()
    participants = base + "participants/"
    assert_queries(
        lambda: client.post(participants, {"user_id": newcomer.pk}, format="json"),
        declared("POST", participants).queries,
    )
    detail = f"{participants}{newcomer.pk}/"
    assert_queries(lambda: client.patch(detail, {"role": "sme"}, format="json"), declared("PATCH", detail).queries)
    assert_queries(lambda: client.delete(detail), declared("DELETE", detail).queries)
    alice = client_for(team.alice)
    assert_queries(
        lambda: alice.post(base + "discovery/complete/"), declared("POST", base + "discovery/complete/").queries
    )
    progress = base + "discovery/progress/"
    assert_queries(lambda: alice.get(progress), declared("GET", progress).queries)
