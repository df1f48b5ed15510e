"""Interview-practice scenarios, against the story's thresholds (GET p95 < 300 ms, POST p95 < 500 ms):

- the sessions list (a page of 50 of the user's 2000 x scale sessions, with posting summary and scores);
- session detail (a session of 40 messages, with its feedback), its messages (cursor page) and feedback;
- session creation and answer submission (each request answers its own session's open question).
"""

from __future__ import annotations

from bench.harness import Request, Scenario, declared

ANSWER_SESSIONS = 400  # one per answer request: at most 300 measured + 5 warm-up in a run


def seed(scale: int) -> dict:
    from django.db import connection

    from apps.accounts.models import User
    from apps.accounts.services import token_for_user
    from apps.interviews.models import Feedback, InterviewSession, JobPosting, Resume, SessionMessage

    owner = User.objects.create_user(username="bench-interviews", password="bench-interviews-password")  # noqa: S106
    Resume.objects.create(user=owner, content="Python, Django and PostgreSQL for six years. " * 20)
    postings = JobPosting.objects.bulk_create(
        JobPosting(
            user=owner,
            title=f"Backend engineer {i}",
            company=f"Company {i % 7}",
            description="A long job description. " * 200,
            experience_level="senior",
            tech_stack=["python", "django", "sql"],
        )
        for i in range(20)
    )
    n = 2_000 * scale
    sessions = InterviewSession.objects.bulk_create(
        InterviewSession(
            user=owner,
            job_posting=postings[i % len(postings)],
            status=InterviewSession.Status.COMPLETED,
            message_count=8,
            answered_count=4,
            current_question_number=4,
        )
        for i in range(n)
    )
    Feedback.objects.bulk_create(
        Feedback(
            session=s,
            technical_score=70,
            communication_score=60,
            problem_solving_score=80,
            relevance_score=75,
            overall_score=71,
            knowledge_gaps=["indexes"],
        )
        for s in sessions[::2]
    )
    detail = sessions[0]  # one with feedback (every other session has some)
    SessionMessage.objects.bulk_create(
        SessionMessage(
            session=detail,
            message_type="question" if i % 2 == 0 else "answer",
            question_type="technical",
            content="A question or an answer of a few sentences. " * 6,
            meta={"key_points": ["index", "query"]},
            seq=i + 1,
        )
        for i in range(40)
    )
    open_sessions = InterviewSession.objects.bulk_create(
        InterviewSession(
            user=owner, job_posting=postings[0], awaiting_answer=True, message_count=1, current_question_number=1
        )
        for _ in range(ANSWER_SESSIONS)
    )
    SessionMessage.objects.bulk_create(
        SessionMessage(session=s, message_type="question", question_type="technical", content="Why?", seq=1)
        for s in open_sessions
    )
    with connection.cursor() as cursor:
        for table in ("interviews_interviewsession", "interviews_sessionmessage", "interviews_feedback"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return {
        "token": token_for_user(user=owner),
        "posting": postings[0].pk,
        "detail": detail.pk,
        "answer_sessions": [s.pk for s in open_sessions],
    }


def _answer(state: dict, i: int) -> Request:
    session = state["answer_sessions"][i % len(state["answer_sessions"])]
    body = {"content": "I would check the plan with EXPLAIN, then add the index the filter needs."}
    return Request("POST", f"/api/interviews/sessions/{session}/answers/", token=state["token"], json=body)


SCENARIOS = [
    # auth token, count, page (posting title/company and feedback score joined)
    Scenario(
        name="interviews.sessions.list",
        cpu_ceiling_ms=20,
        method="GET",
        budget=declared("interviews:session-list", "GET"),
        request=lambda s, i: Request("GET", "/api/interviews/sessions/?limit=50", token=s["token"]),
    ),
    # auth token, session (posting, feedback joined), 40 messages
    Scenario(
        name="interviews.session.detail",
        cpu_ceiling_ms=20,
        method="GET",
        budget=declared("interviews:session-detail", "GET"),
        request=lambda s, i: Request("GET", f"/api/interviews/sessions/{s['detail']}/", token=s["token"]),
    ),
    # auth token, session, feedback
    Scenario(
        name="interviews.session.feedback",
        cpu_ceiling_ms=15,
        method="GET",
        budget=declared("interviews:feedback", "GET"),
        request=lambda s, i: Request("GET", f"/api/interviews/sessions/{s['detail']}/feedback/", token=s["token"]),
    ),
    # auth token, session, cursor page
    Scenario(
        name="interviews.session.messages",
        cpu_ceiling_ms=15,
        method="GET",
        budget=declared("interviews:message-list", "GET"),
        request=lambda s, i: Request("GET", f"/api/interviews/sessions/{s['detail']}/messages/", token=s["token"]),
    ),
    # auth token, posting, INSERT, stats version upsert
    Scenario(
        name="interviews.session.create",
        cpu_ceiling_ms=20,
        method="POST",
        budget=declared("interviews:session-list", "POST"),
        request=lambda s, i: Request(
            "POST", "/api/interviews/sessions/", token=s["token"], json={"job_posting_id": s["posting"]}
        ),
    ),
    # auth token, session, lock, last question, INSERT, UPDATE counts, stats version upsert
    Scenario(
        name="interviews.answer.submit",
        cpu_ceiling_ms=25,
        method="POST",
        budget=declared("interviews:answers", "POST"),
        request=_answer,
    ),
]
