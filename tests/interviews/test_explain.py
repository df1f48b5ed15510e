"""Query plans at 100k sessions: the hot reads go through the named indexes."""

import pytest
from django.db import connection

from apps.interviews import selectors
from apps.interviews.models import InterviewSession, Operation, SessionMessage
from tests.accounts.factories import UserFactory
from tests.interviews.factories import JobPostingFactory

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db]

TABLES = ("interviews_interviewsession", "interviews_sessionmessage", "interviews_jobposting", "interviews_operation")


def bulk_sessions(posting, count: int, user_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO interviews_interviewsession (user_id, job_posting_id, status, current_question_number, "
            "retake_number, message_count, answered_count, awaiting_answer, started_at) "
            "SELECT %s, %s, (ARRAY['active','paused','completed'])[1 + g %% 3], 0, 1, 0, 0, false, "
            "now() - g * interval '1 minute' FROM generate_series(1, %s) g",
            [user_id, posting.pk, count],
        )


def test_hot_reads_use_the_named_indexes_at_100k_sessions(explain):
    """100 users with 1000 sessions each; one session with 2000 messages."""
    users = [UserFactory() for _ in range(100)]
    for user in users:
        bulk_sessions(JobPostingFactory(user=user), 1000, user.pk)
    assert InterviewSession.objects.count() == 100_000
    me = users[0]
    session = InterviewSession.objects.filter(user=me).first()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO interviews_sessionmessage (session_id, message_type, question_type, content, meta, seq, "
            "created_at) SELECT %s, 'question', 'technical', 'q', '{}', g, now() FROM generate_series(1, 2000) g",
            [session.pk],
        )

    page = selectors.session_list(user=me, filters={})[:50]
    plan = explain(page, analyze_tables=TABLES)
    assert "ix_interview_sessions_started" in plan or "ix_interview_sessions_user_id" in plan, plan

    plan = explain(selectors.session_list(user=me, filters={"status": "completed"})[:50])
    assert "ix_interview_sessions_user_id" in plan, plan

    plan = explain(SessionMessage.objects.filter(session_id=session.pk).order_by("seq"))
    assert "ix_session_messages_session_id" in plan, plan

    plan = explain(selectors.posting_list(user=me)[:50])
    assert "ix_job_postings_user_id" in plan, plan

    with connection.cursor() as cursor:  # an operation for each of 20k sessions
        cursor.execute(
            "INSERT INTO interviews_operation (user_id, session_id, operation_type, status, error_code, "
            "error_message, retry_count, created_at) SELECT user_id, id, 'question_generation', 'completed', '', '', "
            "0, now() FROM interviews_interviewsession ORDER BY id LIMIT 20000"
        )
        cursor.execute("ANALYZE interviews_operation")
    plan = explain(Operation.objects.filter(session_id=session.pk, operation_type="feedback_analysis"))
    assert "ix_operations_session_id" in plan, plan
