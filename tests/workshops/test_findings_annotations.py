"""Findings and annotations: upserts, discovery progress, rating checks."""

import pytest

from apps.workshops.models import Annotation, Finding
from tests.workshops.factories import QuestionFactory, TraceFactory, make_team, make_workshop

pytestmark = pytest.mark.django_db


def test_finding_upsert_one_per_user_and_trace(client_for):
    team = make_team()
    trace = TraceFactory(workshop=team.workshop)
    alice = client_for(team.alice)
    url = f"/api/workshops/{team.workshop.pk}/findings/"
    first = alice.post(url, {"trace_id": trace.pk, "insight": "vague"}, format="json")
    assert first.status_code == 200, first.json()
    second = alice.post(url, {"trace_id": trace.pk, "insight": "vague and wrong"}, format="json").json()
    assert second["id"] == first.json()["id"] and second["insight"] == "vague and wrong"
    assert Finding.objects.get().insight == "vague and wrong"
    foreign = TraceFactory(workshop=make_workshop())
    unknown = alice.post(url, {"trace_id": foreign.pk, "insight": "x"}, format="json")
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_trace"


def test_discovery_progress(client_for):
    team = make_team()
    base = f"/api/workshops/{team.workshop.pk}/discovery/"
    progress = client_for(team.bob).get(base + "progress/").json()
    assert progress["total_participants"] == 2 and progress["completed_participants"] == 0
    assert client_for(team.alice).post(base + "complete/").status_code == 204
    assert client_for(team.alice).post(base + "complete/").status_code == 204  # idempotent
    progress = client_for(team.facilitator).get(base + "progress/").json()
    assert progress["completed_participants"] == 1 and progress["completion_percentage"] == 50.0
    assert progress["all_completed"] is False
    assert [p["completed"] for p in progress["participants"]] == [True, False]
    client_for(team.bob).post(base + "complete/")
    assert client_for(team.bob).get(base + "progress/").json()["all_completed"] is True


def test_annotation_upsert_checks_each_rating_against_its_question(client_for):
    team = make_team()
    trace = TraceFactory(workshop=team.workshop)
    likert = QuestionFactory(workshop=team.workshop, judge_type="likert")
    binary = QuestionFactory(workshop=team.workshop, judge_type="binary")
    free = QuestionFactory(workshop=team.workshop, judge_type="freeform")
    gone = QuestionFactory(workshop=team.workshop, judge_type="likert")
    url = f"/api/workshops/{team.workshop.pk}/annotations/"
    alice = client_for(team.alice)

    def post(ratings, trace_id=trace.pk):
        return alice.post(url, {"trace_id": trace_id, "ratings": ratings, "comment": "ok"}, format="json")

    ok = post({str(likert.pk): 4, str(binary.pk): 1, str(free.pk): "fine"})
    assert ok.status_code == 200, ok.json()
    again = post({str(likert.pk): 2})
    assert again.json()["id"] == ok.json()["id"] and Annotation.objects.get().ratings == {str(likert.pk): 2}
    for ratings in ({str(likert.pk): 6}, {str(likert.pk): "3"}, {str(likert.pk): True}, {str(binary.pk): 2}):
        refused = post(ratings)
        assert refused.status_code == 400 and refused.json()["code"] == "invalid_rating", ratings
        assert f"question {next(iter(ratings))}" in refused.json()["detail"]
    assert post({str(free.pk): 3}).json()["code"] == "invalid_rating"
    client_for(team.facilitator).delete(f"/api/workshops/{team.workshop.pk}/rubric/questions/{gone.pk}/")
    deleted = post({str(gone.pk): 3})
    assert deleted.status_code == 400 and deleted.json()["code"] == "unknown_question"
    assert post({"nope": 3}).json()["code"] == "unknown_question"
    assert post({str(likert.pk): 3}, trace_id=10**12).json()["code"] == "unknown_trace"
    assert Annotation.objects.get().ratings == {str(likert.pk): 2}  # nothing half-stored
    refused = client_for(team.facilitator).post(url, {"trace_id": trace.pk, "ratings": {}}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "facilitator_does_not_annotate"
    # participants see their own annotations; the facilitator sees all
    client_for(team.bob).post(url, {"trace_id": trace.pk, "ratings": {str(likert.pk): 5}}, format="json")
    assert [a["user_id"] for a in alice.get(url).json()["items"]] == [team.alice.pk]
    assert client_for(team.facilitator).get(url).json()["total"] == 2
