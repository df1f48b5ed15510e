"""Workshops, participants, traces: visibility, management and the bulk load."""

import pytest

from apps.workshops.models import Annotation, Finding, Participant, Trace
from tests.accounts.factories import UserFactory
from tests.workshops.factories import QuestionFactory, TraceFactory, make_team, make_workshop

pytestmark = pytest.mark.django_db


def test_create_list_detail_and_patch(client_for):
    user = UserFactory()
    client = client_for(user)
    created = client.post("/api/workshops/", {"name": "Support bot", "annotation_randomize": True}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["my_role"] == "facilitator" and body["current_phase"] == "intake"
    assert body["annotation_randomize"] is True and body["discovery_randomize"] is False
    other = make_workshop(name="joined")
    Participant.objects.create(workshop=other, user=user)
    listed = client.get("/api/workshops/").json()
    assert [item["id"] for item in listed["items"]] == [other.pk, body["id"]]  # newest first
    assert listed["items"][0]["my_role"] == "participant" and listed["total"] == 2
    patched = client.patch(f"/api/workshops/{body['id']}/", {"name": "Renamed", "status": "completed"}, format="json")
    assert patched.status_code == 200 and patched.json()["name"] == "Renamed"
    assert client.get(f"/api/workshops/{body['id']}/").json()["status"] == "completed"
    # a participant may read but not manage
    assert client.patch(f"/api/workshops/{other.pk}/", {"name": "x"}, format="json").status_code == 403
    assert client.get(f"/api/workshops/{other.pk}/").status_code == 200


def test_strangers_get_404_and_participants_see_their_own_only(client_for):
    team = make_team()
    url = f"/api/workshops/{team.workshop.pk}/"
    assert client_for(team.stranger).get(url).status_code == 404
    assert client_for(team.stranger).get("/api/workshops/").json()["items"] == []
    trace = TraceFactory(workshop=team.workshop)
    Finding.objects.create(workshop=team.workshop, trace=trace, user=team.alice, insight="a")
    Finding.objects.create(workshop=team.workshop, trace=trace, user=team.bob, insight="b")
    own = client_for(team.alice).get(url + "findings/").json()
    assert [f["insight"] for f in own["items"]] == ["a"] and own["items"][0]["username"] == team.alice.username
    everyone = client_for(team.facilitator).get(url + "findings/").json()
    assert sorted(f["insight"] for f in everyone["items"]) == ["a", "b"]


def test_participants_are_managed_by_the_facilitator(client_for):
    team = make_team()
    base = f"/api/workshops/{team.workshop.pk}/participants/"
    facilitator = client_for(team.facilitator)
    newcomer = UserFactory()
    assert client_for(team.alice).post(base, {"user_id": newcomer.pk}, format="json").status_code == 403
    added = facilitator.post(base, {"user_id": newcomer.pk, "role": "sme"}, format="json")
    assert added.status_code == 201 and added.json()["role"] == "sme"
    again = facilitator.post(base, {"user_id": newcomer.pk}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "participant_exists"
    missing = facilitator.post(base, {"user_id": 10**12}, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "unknown_user"
    listed = client_for(newcomer).get(base).json()
    assert listed["total"] == 4 and listed["items"][0]["role"] == "facilitator"
    assert facilitator.patch(f"{base}{newcomer.pk}/", {"role": "participant"}, format="json").json()["role"] == (
        "participant"
    )
    seat_of_facilitator = facilitator.delete(f"{base}{team.facilitator.pk}/")
    assert seat_of_facilitator.status_code == 409 and seat_of_facilitator.json()["code"] == "facilitator_seat"
    assert facilitator.patch(f"{base}{team.alice.pk}/", {"role": "facilitator"}, format="json").status_code == 400
    assert facilitator.delete(f"{base}{newcomer.pk}/").status_code == 204
    assert facilitator.delete(f"{base}{newcomer.pk}/").status_code == 404
    assert client_for(newcomer).get(base).status_code == 404


def _load(client, workshop, items):
    return client.post(f"/api/workshops/{workshop.pk}/traces/", {"traces": items}, format="json")


def test_bulk_load_upserts_and_keeps_findings_and_annotations(client_for):
    team = make_team()
    facilitator = client_for(team.facilitator)
    items = [{"external_id": f"e{i}", "input": f"q{i}", "output": f"a{i}", "context": {"i": i}} for i in range(3)]
    first = _load(facilitator, team.workshop, items)
    assert first.status_code == 200 and first.json() == {"created": 3, "updated": 0}
    trace = Trace.objects.get(workshop=team.workshop, external_id="e0")
    Finding.objects.create(workshop=team.workshop, trace=trace, user=team.alice, insight="keep me")
    Annotation.objects.create(workshop=team.workshop, trace=trace, user=team.alice, ratings={"1": 3})
    items[0]["output"] = "a better answer"
    second = _load(facilitator, team.workshop, [*items, {"external_id": "e9", "input": "", "output": ""}])
    assert second.json() == {"created": 1, "updated": 3}
    trace.refresh_from_db()
    assert trace.output == "a better answer" and trace.context == {"i": 0}
    assert Finding.objects.filter(trace=trace).count() == 1 and Annotation.objects.filter(trace=trace).count() == 1
    assert _load(client_for(team.alice), team.workshop, items).status_code == 403


def test_bulk_load_is_all_or_nothing_and_names_the_bad_item(client_for):
    team = make_team()
    facilitator = client_for(team.facilitator)
    good = {"external_id": "ok", "input": "i", "output": "o"}
    bad = _load(facilitator, team.workshop, [good, good | {"external_id": "b"}, {"external_id": "c", "input": 5}])
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_trace" and bad.json()["index"] == 2 and "traces[2]" in bad.json()["detail"]
    repeated = _load(facilitator, team.workshop, [good, good])
    assert repeated.status_code == 400 and repeated.json()["index"] == 1
    too_many = _load(facilitator, team.workshop, [good | {"external_id": str(i)} for i in range(1001)])
    assert too_many.status_code == 400 and "1000" in str(too_many.json()["traces"])
    assert _load(facilitator, team.workshop, []).json() == {"created": 0, "updated": 0}
    flag = client_for(team.facilitator).patch(
        f"/api/workshops/{team.workshop.pk}/", {"discovery_randomize": 1}, format="json"
    )
    assert flag.status_code == 400  # a JSON boolean, not 0 or 1
    not_a_list = facilitator.post(f"/api/workshops/{team.workshop.pk}/traces/", {"traces": "x"}, format="json")
    assert not_a_list.status_code == 400
    assert not Trace.objects.exists()


def test_trace_lists_never_load_context_and_detail_does(client_for, django_assert_num_queries):
    team = make_team()
    trace = TraceFactory(workshop=team.workshop, context={"big": "x" * 1000}, metadata={"m": 1})
    facilitator = client_for(team.facilitator)
    base = f"/api/workshops/{team.workshop.pk}/traces/"
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        listed = facilitator.get(base + "?all=1").json()
    assert listed["items"][0]["id"] == trace.pk and "context" not in listed["items"][0]
    assert not any('"context"' in q["sql"] or '"metadata"' in q["sql"] for q in ctx.captured_queries)
    detail = facilitator.get(f"{base}{trace.pk}/").json()
    assert detail["context"] == {"big": "x" * 1000} and detail["metadata"] == {"m": 1}
    # before discovery no trace is active for anyone
    assert client_for(team.alice).get(base).json()["total"] == 0
    assert client_for(team.alice).get(base + "?all=1").json()["total"] == 0  # ?all is the facilitator's
    other = make_workshop()
    foreign = TraceFactory(workshop=other)
    assert facilitator.get(f"{base}{foreign.pk}/").status_code == 404


def test_questions_crud_and_soft_delete(client_for):
    team = make_team()
    base = f"/api/workshops/{team.workshop.pk}/rubric/questions/"
    facilitator = client_for(team.facilitator)
    created = facilitator.post(
        base,
        {"title": "Helpful?", "judge_type": "binary", "binary_labels": {"pass": "yes", "fail": "no"}},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["binary_labels"] == {"pass": "yes", "fail": "no"} and created.json()["position"] == 1
    second = facilitator.post(base, {"title": "Accurate?"}, format="json").json()
    assert second["position"] == 2 and second["judge_type"] == "likert"
    assert client_for(team.alice).post(base, {"title": "x"}, format="json").status_code == 403
    qid = created.json()["id"]
    assert facilitator.patch(f"{base}{qid}/", {"title": "Useful?"}, format="json").json()["title"] == "Useful?"
    assert facilitator.delete(f"{base}{qid}/").status_code == 204
    assert facilitator.delete(f"{base}{qid}/").status_code == 404
    assert facilitator.patch(f"{base}{qid}/", {"title": "x"}, format="json").status_code == 404
    assert [q["title"] for q in client_for(team.alice).get(base).json()["items"]] == ["Accurate?"]
    QuestionFactory(workshop=team.workshop, deleted_at=None)
