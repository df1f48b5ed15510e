"""factory-boy factories for interview practice, plus the short forms the tests and bench use."""

from __future__ import annotations

import factory

from apps.interviews import crypto
from apps.interviews.models import (
    CoachKey,
    Feedback,
    InterviewSession,
    InterviewStats,
    JobPosting,
    Operation,
    Resume,
    SessionMessage,
)
from tests.accounts.factories import UserFactory


class ResumeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resume

    user = factory.SubFactory(UserFactory)
    content = "Backend developer: five years of Python and Django, PostgreSQL, Redis."


class JobPostingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobPosting

    user = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Backend engineer {n}")
    company = "Acme"
    description = "We build things. " * 50
    experience_level = "middle"
    tech_stack = factory.LazyFunction(lambda: ["python", "django", "sql"])
    language = "en"


class InterviewSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InterviewSession

    user = factory.SubFactory(UserFactory)
    job_posting = factory.SubFactory(JobPostingFactory, user=factory.SelfAttribute("..user"))


class SessionMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionMessage

    session = factory.SubFactory(InterviewSessionFactory)
    message_type = SessionMessage.MessageType.QUESTION
    question_type = "technical"
    content = "How do you find an N+1 query?"
    meta = factory.LazyFunction(lambda: {"key_points": ["select_related", "query"]})
    seq = factory.Sequence(lambda n: n + 1)


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    session = factory.SubFactory(InterviewSessionFactory, status=InterviewSession.Status.COMPLETED)
    technical_score = 70
    communication_score = 60
    problem_solving_score = 80
    relevance_score = 90
    overall_score = 75
    technical_feedback = "Solid."
    knowledge_gaps = factory.LazyFunction(lambda: ["indexes"])
    learning_recommendations = factory.LazyFunction(lambda: ["Review indexes."])


class OperationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Operation

    session = factory.SubFactory(InterviewSessionFactory)
    user = factory.SelfAttribute("session.user")
    operation_type = Operation.OperationType.QUESTION_GENERATION
    status = Operation.Status.FAILED
    error_code = "timeout"


class CoachKeyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CoachKey

    class Params:
        plain = "sk-test-0123456789abcd"

    user = factory.SubFactory(UserFactory)
    encrypted_key = factory.LazyAttribute(lambda o: crypto.encrypt(o.plain))
    last_four = factory.LazyAttribute(lambda o: o.plain[-4:])


class InterviewStatsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InterviewStats

    user = factory.SubFactory(UserFactory)


def answered_session(user, *, answers: int = 1, status: str = InterviewSession.Status.COMPLETED) -> InterviewSession:
    """A session with `answers` question/answer pairs, in `status`."""
    session = InterviewSessionFactory(user=user, status=status)
    for i in range(answers):
        SessionMessageFactory(session=session, seq=2 * i + 1)
        SessionMessageFactory(
            session=session, seq=2 * i + 2, message_type="answer", content="Use select_related.", meta={}
        )
    InterviewSession.objects.filter(pk=session.pk).update(
        message_count=2 * answers, answered_count=answers, current_question_number=answers
    )
    session.refresh_from_db()
    return session
