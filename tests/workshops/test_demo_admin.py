"""seed_demo makes a workshop once; the admin's change lists answer at 50 rows without a full count."""

import io

import pytest

from apps.workshops.demo import DEMO_NAME, seed_demo
from apps.workshops.models import Annotation, Workshop
from tests.accounts.factories import UserFactory
from tests.workshops.factories import QuestionFactory, bulk_annotations, bulk_traces, make_team

pytestmark = pytest.mark.django_db


def test_seed_demo_runs_once():
    users = {name: UserFactory(username=name) for name in ("alice", "bob", "carol")}
    out = io.StringIO()
    seed_demo(users=users, stdout=out)
    seed_demo(users=users, stdout=out)
    workshop = Workshop.objects.get(name=DEMO_NAME)
    assert workshop.current_phase == "annotation" and Annotation.objects.filter(workshop=workshop).count() == 8
    assert "already there" in out.getvalue()


@pytest.mark.parametrize(
    "model", ["workshop", "participant", "trace", "finding", "annotation", "rubricquestion", "note", "traceorder"]
)
def test_admin_change_lists(client, model):
    admin = UserFactory(is_staff=True, is_superuser=True)
    team = make_team()
    bulk_traces(team.workshop, 60)
    bulk_annotations(team.workshop, QuestionFactory(workshop=team.workshop), [team.alice])
    client.force_login(admin)
    response = client.get(f"/admin/workshops/{model}/")
    assert response.status_code == 200
    assert client.get(f"/admin/workshops/{model}/?q={team.workshop.pk}").status_code == 200


def test_admin_deleting_annotations_bumps_the_metrics_version(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    team = make_team()
    bulk_traces(team.workshop, 2)
    bulk_annotations(team.workshop, QuestionFactory(workshop=team.workshop), [team.alice])
    before = Workshop.objects.get(pk=team.workshop.pk).metrics_version
    client.force_login(admin)
    ids = [str(pk) for pk in Annotation.objects.values_list("pk", flat=True)]
    response = client.post(
        "/admin/workshops/annotation/", {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
    )
    assert response.status_code == 302 and not Annotation.objects.exists()
    assert Workshop.objects.get(pk=team.workshop.pk).metrics_version == before + 1


def test_bare_factories_build_rows():
    from tests.workshops.factories import (
        JudgeEvaluationFactory,
        JudgePromptFactory,
        NoteFactory,
        ParticipantFactory,
        PhaseTraceFactory,
        TraceFactory,
        TraceOrderFactory,
    )

    seat = ParticipantFactory()
    trace = TraceFactory(workshop=seat.workshop)
    PhaseTraceFactory(workshop=seat.workshop, trace=trace)
    TraceOrderFactory(participant=seat, trace=trace)
    NoteFactory(workshop=seat.workshop, user=seat.user, trace=trace)
    prompt = JudgePromptFactory(workshop=seat.workshop)
    assert str(JudgeEvaluationFactory(prompt=prompt, trace=trace)).startswith("evaluation")
