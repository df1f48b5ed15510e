"""Query plans at the size the issue names: 1,000 traces x 50 raters (50,000 annotations and
50,000 order rows) in one workshop beside a small one; the hot queries read their indexes.
Bulk SQL (one INSERT per table) keeps it to a few seconds."""

import pytest
from django.db import connection

from apps.workshops import selectors, services
from apps.workshops.models import Annotation, Participant, TraceOrder
from tests.accounts.factories import UserFactory
from tests.workshops.factories import QuestionFactory, bulk_annotations, bulk_traces, make_workshop, seat

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db]

TABLES = (
    "workshops_annotation",
    "workshops_trace",
    "workshops_traceorder",
    "workshops_phasetrace",
    "workshops_participant",
    "workshops_finding",
)


def _many_seats(user_ids, workshops):
    """`workshops` more workshops, every one of `user_ids` seated in each (bulk SQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO workshops_workshop (name, description, facilitator_id, status, current_phase, "
            "completed_phases, discovery_randomize, annotation_randomize, show_participant_notes, "
            "metrics_version, created_at) SELECT 'w' || i, '', %s, 'active', 'intake', '[]', false, false, "
            "true, 1, now() FROM generate_series(1, %s) AS i RETURNING id",
            [user_ids[0], workshops],
        )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "INSERT INTO workshops_participant (workshop_id, user_id, role, created_at) "
            "SELECT w, u, 'participant', now() FROM unnest(%s::bigint[]) AS w CROSS JOIN unnest(%s::bigint[]) AS u",
            [ids, user_ids],
        )


def _scope(workshop, user):
    return selectors.workshop_for_participant(user=user, workshop_id=workshop.pk)


def test_hot_queries_use_their_indexes(explain):
    big = make_workshop(discovery_randomize=True)
    raters = UserFactory.create_batch(50)
    Participant.objects.bulk_create(Participant(workshop=big, user=user) for user in raters)
    bulk_traces(big, 1000)
    question = QuestionFactory(workshop=big)
    bulk_annotations(big, question, raters)
    services.phase_action(workshop=_scope(big, big.facilitator), action="begin_discovery")
    assert Annotation.objects.filter(workshop=big).count() == 50_000
    assert TraceOrder.objects.filter(participant__workshop=big).count() == 50_000

    small = make_workshop()
    pair = raters[:2]
    for user in pair:
        seat(small, user)
    bulk_traces(small, 20)
    bulk_annotations(small, QuestionFactory(workshop=small), pair)
    _many_seats([user.pk for user in raters], workshops=2000)

    # a rater's own order in a randomised phase: (participant, phase, position)
    page = selectors.trace_list_rows(workshop=_scope(big, raters[3]))[:50]
    plan = explain(page, analyze_tables=TABLES)
    assert "ix_traceorders_order" in plan, plan

    # the phase's shared order: (workshop, phase, position)
    page = selectors.trace_list_rows(workshop=_scope(big, big.facilitator))[:50]
    assert "ix_phasetraces_order" in explain(page)

    # every trace of the small workshop (facilitator's ?all=1)
    page = selectors.trace_list_rows(workshop=_scope(small, small.facilitator), all_traces=True)[:50]
    plan = explain(page)
    assert "ix_traces_workshop" in plan or "uq_trace_workshop_external" in plan, plan

    # the annotations page: the facilitator's (workshop) and a rater's own (workshop, user)
    plan = explain(selectors.annotation_rows(workshop=_scope(small, small.facilitator))[:50])
    assert "ix_annotations_workshop" in plan, plan
    plan = explain(selectors.annotation_rows(workshop=_scope(small, pair[0]))[:50])
    assert "ix_annotations_workshop_user" in plan, plan

    # the irr read of one workshop's ratings among every workshop's
    plan = explain(Annotation.objects.filter(workshop=small).values_list("trace_id", "user_id", "ratings"))
    assert "ix_annotations_workshop" in plan, plan

    # the caller's workshops and the scope lookup: (user, workshop) and the unique seat
    plan = explain(selectors.workshop_list_rows(user=raters[0])[:50], analyze_tables=TABLES)
    assert "ix_participants_user_workshop" in plan or "uq_participant_workshop_user" in plan, plan
    plan = explain(Participant.objects.filter(workshop_id=small.pk, user_id=pair[0].pk))
    assert "Seq Scan" not in plan, plan
