"""Phases: actions, prerequisites in order (409 codes), active traces and each rater's deterministic order."""

import pytest

from apps.workshops.models import Participant, PhaseTrace, TraceOrder
from apps.workshops.services import deterministic_order
from tests.accounts.factories import UserFactory
from tests.workshops.factories import (
    AnnotationFactory,
    FindingFactory,
    QuestionFactory,
    bulk_traces,
    make_team,
)

pytestmark = pytest.mark.django_db


def _phase(client, workshop, **body):
    return client.post(f"/api/workshops/{workshop.pk}/phase/", body, format="json")


def _ids(client, workshop, query=""):
    return [t["id"] for t in client.get(f"/api/workshops/{workshop.pk}/traces/?limit=200{query}").json()["items"]]


def test_advance_checks_prerequisites_in_order(client_for):
    team = make_team()
    facilitator = client_for(team.facilitator)
    refused = _phase(facilitator, team.workshop, action="advance")
    assert refused.status_code == 409 and refused.json()["code"] == "no_traces"
    assert _phase(facilitator, team.workshop, action="begin_annotation").json()["code"] == "phase_out_of_order"
    bulk_traces(team.workshop, 3)
    assert _phase(facilitator, team.workshop, action="advance").json()["current_phase"] == "discovery"
    assert _phase(facilitator, team.workshop, action="begin_discovery").status_code == 409
    assert _phase(facilitator, team.workshop, action="advance").json()["code"] == "no_findings"
    trace = team.workshop.traces.first()
    FindingFactory(workshop=team.workshop, trace=trace, user=team.alice)
    moved = _phase(facilitator, team.workshop, action="advance").json()
    assert moved["current_phase"] == "rubric" and moved["completed_phases"] == ["intake", "discovery"]
    assert _phase(facilitator, team.workshop, action="advance").json()["code"] == "no_rubric_questions"
    question = QuestionFactory(workshop=team.workshop)
    assert _phase(facilitator, team.workshop, action="begin_annotation", trace_limit=2).status_code == 200
    assert PhaseTrace.objects.filter(workshop=team.workshop, phase="annotation").count() == 2
    assert _phase(facilitator, team.workshop, action="advance").json()["code"] == "no_annotations"
    AnnotationFactory(workshop=team.workshop, trace=trace, user=team.alice, ratings={str(question.pk): 3})
    assert _phase(facilitator, team.workshop, action="advance").json()["current_phase"] == "results"
    assert _phase(facilitator, team.workshop, action="advance").json()["current_phase"] == "judge_tuning"
    assert _phase(facilitator, team.workshop, action="advance").json()["code"] == "no_next_phase"
    assert _phase(client_for(team.alice), team.workshop, action="advance").status_code == 403
    assert _phase(facilitator, team.workshop, action="add_traces", count=1).json()["code"] == "phase_out_of_order"
    assert _phase(facilitator, team.workshop, action="add_traces").status_code == 409


def test_without_randomisation_everyone_sees_the_phase_order_and_add_traces_appends(client_for):
    team = make_team()
    bulk_traces(team.workshop, 10)
    facilitator = client_for(team.facilitator)
    _phase(facilitator, team.workshop, action="begin_discovery", trace_limit=4)
    first_four = sorted(team.workshop.traces.values_list("id", flat=True))[:4]
    assert _ids(client_for(team.alice), team.workshop) == first_four == _ids(client_for(team.bob), team.workshop)
    _phase(facilitator, team.workshop, action="add_traces", count=3)
    assert _ids(client_for(team.alice), team.workshop) == sorted(team.workshop.traces.values_list("id", flat=True))[:7]
    _phase(facilitator, team.workshop, action="add_traces")  # no count: every trace left
    assert len(_ids(client_for(team.bob), team.workshop)) == 10
    assert len(_ids(facilitator, team.workshop, "&all=1")) == 10


def test_randomised_order_is_deterministic_appends_added_traces_and_keeps_seen_order(client_for):
    team = make_team()
    bulk_traces(team.workshop, 30)
    facilitator = client_for(team.facilitator)
    _phase(facilitator, team.workshop, action="begin_discovery", trace_limit=20, randomize=True)
    all_ids = sorted(team.workshop.traces.values_list("id", flat=True))
    alice, bob = client_for(team.alice), client_for(team.bob)
    alice_order = _ids(alice, team.workshop)
    alice_seat = Participant.objects.get(workshop=team.workshop, user=team.alice)
    assert alice_order == deterministic_order(alice_seat.pk, all_ids[:20])
    assert sorted(alice_order) == all_ids[:20] and alice_order != all_ids[:20]
    assert _ids(alice, team.workshop) == alice_order  # the same participant, the same order
    assert _ids(bob, team.workshop) != alice_order and sorted(_ids(bob, team.workshop)) == all_ids[:20]
    assert _ids(facilitator, team.workshop) == all_ids[:20]  # the facilitator sees the phase's order

    _phase(facilitator, team.workshop, action="add_traces", count=5)
    extended = _ids(alice, team.workshop)
    assert extended[:20] == alice_order  # what was seen keeps its place
    assert extended[20:] == deterministic_order(alice_seat.pk, all_ids[20:25])  # the new ones shuffled among themselves

    # a rater seated later gets their own order at once
    carol = UserFactory()
    client_for(team.facilitator).post(
        f"/api/workshops/{team.workshop.pk}/participants/", {"user_id": carol.pk}, format="json"
    )
    carol_seat = Participant.objects.get(workshop=team.workshop, user=carol)
    assert _ids(client_for(carol), team.workshop) == deterministic_order(carol_seat.pk, all_ids[:25])
    assert TraceOrder.objects.filter(participant__workshop=team.workshop).count() == 25 * 3


def test_deterministic_order_depends_on_participant_and_trace_set_only():
    assert deterministic_order(7, [3, 1, 2, 9, 5]) == deterministic_order(7, [9, 5, 3, 2, 1])
    orders = {tuple(deterministic_order(p, range(1, 11))) for p in range(1, 20)}
    assert len(orders) > 15


def test_reset_needs_confirmation_and_clears_the_phase_progress(client_for):
    team = make_team()
    bulk_traces(team.workshop, 2)
    facilitator = client_for(team.facilitator)
    assert _phase(facilitator, team.workshop, action="reset", confirm=True).json()["code"] == "nothing_to_reset"
    _phase(facilitator, team.workshop, action="begin_discovery")
    trace = team.workshop.traces.first()
    FindingFactory(workshop=team.workshop, trace=trace, user=team.alice)
    client_for(team.alice).post(f"/api/workshops/{team.workshop.pk}/discovery/complete/")
    refused = _phase(facilitator, team.workshop, action="reset")
    assert refused.status_code == 400 and refused.json()["code"] == "confirm_required"
    assert team.workshop.findings.count() == 1
    assert _phase(facilitator, team.workshop, action="reset", confirm=True).status_code == 200
    assert team.workshop.findings.count() == 0
    assert not Participant.objects.filter(workshop=team.workshop, discovery_completed_at__isnull=False).exists()
    FindingFactory(workshop=team.workshop, trace=trace, user=team.alice)
    _phase(facilitator, team.workshop, action="advance")
    question = QuestionFactory(workshop=team.workshop)
    _phase(facilitator, team.workshop, action="advance")
    AnnotationFactory(workshop=team.workshop, trace=trace, user=team.alice, ratings={str(question.pk): 3})
    _phase(facilitator, team.workshop, action="reset", confirm=True)
    assert team.workshop.annotations.count() == 0
