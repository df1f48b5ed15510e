"""Factories for workshops, plus the bulk helpers the tests, EXPLAIN checks and bench share.

Workshops are created through `workshop_create` (so the facilitator's seat exists, as the
API makes it); traces and annotations in bulk are one INSERT ... SELECT generate_series each.
"""

from __future__ import annotations

from dataclasses import dataclass

import factory
from django.db import connection

from apps.accounts.models import User
from apps.workshops import services
from apps.workshops.models import (
    Annotation,
    Finding,
    JudgeEvaluation,
    JudgePrompt,
    Note,
    Participant,
    PhaseTrace,
    RubricQuestion,
    Trace,
    TraceOrder,
    Workshop,
)
from tests.accounts.factories import UserFactory


def make_workshop(*, facilitator: User | None = None, name: str = "Eval", **flags: bool) -> Workshop:
    return services.workshop_create(user=facilitator or UserFactory(), name=name, **flags)


def seat(workshop: Workshop, user: User | None = None, role: str = Participant.Role.PARTICIPANT) -> Participant:
    return Participant.objects.create(workshop=workshop, user=user or UserFactory(), role=role)


class WorkshopFactory(factory.django.DjangoModelFactory):
    """A bare workshop row (no facilitator seat): `make_workshop` is the API's way."""

    class Meta:
        model = Workshop

    name = factory.Sequence(lambda n: f"Workshop {n}")
    facilitator = factory.SubFactory(UserFactory)


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    workshop = factory.SubFactory(WorkshopFactory)
    user = factory.SubFactory(UserFactory)


class PhaseTraceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PhaseTrace

    phase = "discovery"
    position = factory.Sequence(lambda n: n + 1)


class TraceOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TraceOrder

    phase = "discovery"
    position = factory.Sequence(lambda n: n + 1)


class NoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Note

    phase = "intake"
    content = "a note"


class JudgePromptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JudgePrompt

    prompt_text = "Rate the answer from 1 to 5."
    version = factory.Sequence(lambda n: n + 1)


class JudgeEvaluationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JudgeEvaluation

    predicted_rating = 4


class TraceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trace

    external_id = factory.Sequence(lambda n: f"t-{n}")
    input = factory.Sequence(lambda n: f"question {n}")
    output = factory.Sequence(lambda n: f"answer {n}")
    context = factory.LazyFunction(lambda: {"docs": ["a", "b"]})


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RubricQuestion

    title = factory.Sequence(lambda n: f"Question {n}")
    judge_type = "likert"
    position = factory.Sequence(lambda n: n)


class FindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Finding

    insight = "looks wrong"


class AnnotationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Annotation

    ratings = factory.LazyFunction(dict)


def bulk_traces(workshop: Workshop, n: int, *, start: int = 0, context_bytes: int = 0) -> None:
    """n traces `bulk-<i>` in one INSERT ... SELECT generate_series."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO workshops_trace (workshop_id, external_id, input, output, context, metadata, created_at) "
            "SELECT %s, 'bulk-' || i, 'input ' || i, 'output ' || i, "
            "jsonb_build_object('blob', repeat('x', %s)), '{}'::jsonb, now() "
            "FROM generate_series(%s, %s) AS i",
            [workshop.pk, context_bytes, start + 1, start + n],
        )


def bulk_annotations(workshop: Workshop, question: RubricQuestion, raters: list[User]) -> None:
    """Every rater rates every trace of the workshop on `question` (a pseudo-random 1..5), one INSERT."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO workshops_annotation "
            "(workshop_id, trace_id, user_id, ratings, comment, created_at, updated_at) "
            "SELECT t.workshop_id, t.id, u.id, jsonb_build_object(%s::text, 1 + (t.id * 7 + u.id * 3) %% 5), "
            "'', now(), now() "
            "FROM workshops_trace t CROSS JOIN unnest(%s::bigint[]) AS u(id) WHERE t.workshop_id = %s",
            [str(question.pk), [user.pk for user in raters], workshop.pk],
        )


@dataclass
class Team:
    """A workshop with its facilitator, two raters and a stranger."""

    workshop: Workshop
    facilitator: User
    alice: User
    bob: User
    stranger: User


def make_team(**flags: bool) -> Team:
    facilitator = UserFactory()
    workshop = make_workshop(facilitator=facilitator, **flags)
    alice, bob = UserFactory(), UserFactory()
    seat(workshop, alice)
    seat(workshop, bob, Participant.Role.SME)
    return Team(workshop, facilitator, alice, bob, UserFactory())
