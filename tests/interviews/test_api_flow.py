"""The whole practice loop through the API, and every rule and transition on the way."""

import pytest

from apps.interviews.models import Feedback, InterviewSession, Operation, SessionMessage
from tests.accounts.factories import UserFactory
from tests.interviews.factories import (
    InterviewSessionFactory,
    JobPostingFactory,
    OperationFactory,
    ResumeFactory,
    answered_session,
)

pytestmark = pytest.mark.django_db
API = "/api/interviews"


@pytest.fixture
def owner():
    return UserFactory()


@pytest.fixture
def client(client_for, owner):
    return client_for(owner)


def ask(client, session_id, capture):
    with capture(execute=True):
        response = client.post(f"{API}/sessions/{session_id}/questions/")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "pending"
    return client.get(f"{API}/operations/{response.json()['id']}/").json()


def test_practice_loop(client, owner, django_capture_on_commit_callbacks):
    assert (
        client.put(f"{API}/resume/", {"content": "Python and Django for five years."}, format="json").status_code == 200
    )
    posting = client.post(
        f"{API}/job-postings/",
        {"title": "Backend engineer", "company": "Acme", "description": "x" * 500, "tech_stack": ["python", "django"]},
        format="json",
    ).json()
    session = client.post(f"{API}/sessions/", {"job_posting_id": posting["id"]}, format="json")
    assert session.status_code == 201
    sid = session.json()["id"]
    assert session.json()["retake_number"] == 1 and session.json()["status"] == "active"

    # answering with no open question: 409
    assert client.post(f"{API}/sessions/{sid}/answers/", {"content": "hi"}, format="json").status_code == 409

    op = ask(client, sid, django_capture_on_commit_callbacks)
    assert op["status"] == "completed", op
    assert op["result"]["question_type"] == "technical"
    # a question already open: 409
    assert client.post(f"{API}/sessions/{sid}/questions/").json()["code"] == "question_open"

    points = SessionMessage.objects.get(session_id=sid).meta["key_points"]
    answer = client.post(
        f"{API}/sessions/{sid}/answers/", {"content": "I would say: " + ", ".join(points) + "."}, format="json"
    )
    assert answer.status_code == 201 and answer.json()["message_type"] == "answer"

    # paused: no answers, no questions
    assert client.post(f"{API}/sessions/{sid}/pause/").json()["status"] == "paused"
    assert client.post(f"{API}/sessions/{sid}/pause/").status_code == 409
    assert client.post(f"{API}/sessions/{sid}/questions/").json()["code"] == "session_not_active"
    assert client.post(f"{API}/sessions/{sid}/resume/").json()["status"] == "active"

    # the detail: posting summary, messages in order, no feedback yet
    detail = client.get(f"{API}/sessions/{sid}/").json()
    assert [m["message_type"] for m in detail["messages"]] == ["question", "answer"]
    assert detail["job_posting"] == {"id": posting["id"], "title": "Backend engineer", "company": "Acme"}
    assert detail["feedback"] is None and "meta" not in detail["messages"][0]

    # feedback only once completed
    assert client.post(f"{API}/sessions/{sid}/feedback/").json()["code"] == "session_not_completed"
    completed = client.post(f"{API}/sessions/{sid}/complete/").json()
    assert completed["status"] == "completed" and completed["completed_at"]
    assert client.post(f"{API}/sessions/{sid}/answers/", {"content": "late"}, format="json").status_code == 409
    assert client.post(f"{API}/sessions/{sid}/complete/").status_code == 409

    with django_capture_on_commit_callbacks(execute=True):
        op = client.post(f"{API}/sessions/{sid}/feedback/")
    assert op.status_code == 202
    assert client.get(f"{API}/operations/{op.json()['id']}/").json()["status"] == "completed"
    again = client.post(f"{API}/sessions/{sid}/feedback/")
    assert again.status_code == 409 and again.json()["code"] == "feedback_exists"
    feedback = client.get(f"{API}/sessions/{sid}/feedback/").json()
    assert feedback["technical_score"] == 100  # all three key points named
    scores = [
        feedback[k] for k in ("technical_score", "communication_score", "problem_solving_score", "relevance_score")
    ]
    assert feedback["overall_score"] == round(sum(scores) / 4)

    listed = client.get(f"{API}/sessions/").json()["items"][0]
    assert listed["overall_score"] == feedback["overall_score"]
    assert listed["message_count"] == 2 and listed["answered_count"] == 1
    assert client.get(f"{API}/sessions/with-feedback/").json()["items"][0]["overall_score"] == feedback["overall_score"]

    dashboard = client.get(f"{API}/dashboard/").json()
    assert dashboard == {
        "completed_interviews": 1,
        "average_score": float(feedback["overall_score"]),
        "questions_answered": 1,
        "top_roles": [{"title": "Backend engineer", "company": "Acme", "count": 1}],
    }

    # retakes: from the root and from a retake, the chain keeps its root
    retake = client.post(f"{API}/sessions/{sid}/retake/").json()
    assert retake["retake_number"] == 2 and retake["original_session_id"] == sid
    assert client.post(f"{API}/sessions/{retake['id']}/retake/").json()["code"] == "session_not_completed"
    client.post(f"{API}/sessions/{retake['id']}/complete/")
    third = client.post(f"{API}/sessions/{retake['id']}/retake/").json()
    assert third["retake_number"] == 3 and third["original_session_id"] == sid
    chain = client.get(f"{API}/sessions/{third['id']}/retakes/").json()["items"]
    assert [c["retake_number"] for c in chain] == [1, 2, 3]
    assert chain[0]["overall_score"] == feedback["overall_score"] and chain[1]["overall_score"] is None

    # the dashboard moved with the writes (cached, version bumped)
    assert client.get(f"{API}/dashboard/").json()["top_roles"][0]["count"] == 3


def test_feedback_needs_a_resume_and_an_answer(client, owner):
    bare = InterviewSessionFactory(user=owner, status="completed")
    assert client.post(f"{API}/sessions/{bare.pk}/feedback/").json()["code"] == "resume_required"
    ResumeFactory(user=owner)
    response = client.post(f"{API}/sessions/{bare.pk}/feedback/")
    assert response.status_code == 400 and response.json()["code"] == "no_answers"
    assert not Operation.objects.exists()


def test_answers_are_1_to_20000_characters(client, owner):
    session = InterviewSessionFactory(user=owner, awaiting_answer=True)
    empty = client.post(f"{API}/sessions/{session.pk}/answers/", {"content": ""}, format="json")
    assert empty.status_code == 400 and "content" in empty.json()
    big = client.post(f"{API}/sessions/{session.pk}/answers/", {"content": "x" * 20_001}, format="json")
    assert big.status_code == 400 and "20000" in str(big.json()["content"])
    assert (
        client.post(f"{API}/sessions/{session.pk}/answers/", {"content": "x" * 20_000}, format="json").status_code
        == 201
    )
    assert SessionMessage.objects.filter(session=session).count() == 1


def test_a_posting_of_another_user_is_404(client):
    other = JobPostingFactory()
    response = client.post(f"{API}/sessions/", {"job_posting_id": other.pk}, format="json")
    assert response.status_code == 404 and response.json()["code"] == "job_posting_not_found"
    assert not InterviewSession.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        "?colour=red",
        "?start_date=yesterday",
        "?end_date=2026-13-01",
        "?status=done",
        "?job_posting=abc",
        "?status=",
    ],
)
def test_sessions_list_refuses_unknown_filters_and_bad_dates(client, query):
    response = client.get(f"{API}/sessions/{query}")
    assert response.status_code == 400, response.content


def test_sessions_list_filters(client, owner):
    posting = JobPostingFactory(user=owner)
    a = InterviewSessionFactory(user=owner, job_posting=posting)
    b = InterviewSessionFactory(user=owner, status="completed")
    InterviewSession.objects.filter(pk=b.pk).update(started_at="2026-01-15T10:00:00Z")
    ids = lambda q: [i["id"] for i in client.get(f"{API}/sessions/{q}").json()["items"]]  # noqa: E731
    assert ids("") == [a.pk, b.pk]
    assert ids("?status=completed") == [b.pk]
    assert ids(f"?job_posting={posting.pk}") == [a.pk]
    assert ids("?start_date=2026-01-15&end_date=2026-01-15") == [b.pk]
    assert ids("?end_date=2026-01-14") == []
    assert ids("?start_date=2026-02-02&end_date=2026-01-01") == []  # an empty range


def test_messages_cursor_pagination(client, owner):
    session = answered_session(owner, answers=3)
    first = client.get(f"{API}/sessions/{session.pk}/messages/?limit=4").json()
    assert [m["seq"] for m in first["items"]] == [6, 5, 4, 3] and first["has_more"]
    rest = client.get(f"{API}/sessions/{session.pk}/messages/?limit=4&before={first['next_before']}").json()
    assert [m["seq"] for m in rest["items"]] == [2, 1] and not rest["has_more"]


def test_a_failed_operation_is_retried_as_a_child(client, owner, django_capture_on_commit_callbacks):
    failed = OperationFactory(session=InterviewSessionFactory(user=owner), error_code="timeout")
    assert client.get(f"{API}/operations/{failed.pk}/").json()["retryable"] is True
    with django_capture_on_commit_callbacks(execute=True):
        child = client.post(f"{API}/operations/{failed.pk}/retry/")
    assert child.status_code == 202
    assert child.json()["parent_operation_id"] == failed.pk and child.json()["retry_count"] == 1
    done = client.get(f"{API}/operations/{child.json()['id']}/").json()
    assert done["status"] == "completed"
    assert client.post(f"{API}/operations/{done['id']}/retry/").json()["code"] == "operation_not_failed"


def test_a_question_for_a_session_paused_meanwhile_fails_the_operation(
    client, owner, django_capture_on_commit_callbacks
):
    session = InterviewSessionFactory(user=owner)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        op = client.post(f"{API}/sessions/{session.pk}/questions/").json()
    client.post(f"{API}/sessions/{session.pk}/pause/")
    for callback in callbacks:
        callback()
    op = Operation.objects.get(pk=op["id"])
    assert op.status == "failed" and op.error_code == "session_not_active"
    assert not SessionMessage.objects.exists()


def test_delete_session_and_posting(client, owner):
    session = answered_session(owner)
    Feedback.objects.create(
        session=session,
        technical_score=1,
        communication_score=1,
        problem_solving_score=1,
        relevance_score=1,
        overall_score=1,
    )
    assert client.delete(f"{API}/sessions/{session.pk}/").status_code == 204
    assert not SessionMessage.objects.exists() and not Feedback.objects.exists()
    posting = JobPostingFactory(user=owner)
    InterviewSessionFactory(user=owner, job_posting=posting)
    assert client.patch(f"{API}/job-postings/{posting.pk}/", {"title": "New"}, format="json").json()["title"] == "New"
    assert client.delete(f"{API}/job-postings/{posting.pk}/").status_code == 204
    assert not InterviewSession.objects.exists()


def test_resume_crud(client, owner):
    assert client.get(f"{API}/resume/").status_code == 404
    assert client.put(f"{API}/resume/", {"content": "a"}, format="json").json()["content"] == "a"
    assert client.put(f"{API}/resume/", {"content": "b"}, format="json").json()["content"] == "b"
    assert client.get(f"{API}/resume/").json()["content"] == "b"
    assert client.delete(f"{API}/resume/").status_code == 204
    assert client.delete(f"{API}/resume/").status_code == 404


def test_answers_to_a_paused_session_and_a_second_pending_request_are_409(client, owner):
    session = InterviewSessionFactory(user=owner, awaiting_answer=True, status="paused")
    response = client.post(f"{API}/sessions/{session.pk}/answers/", {"content": "late"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "session_not_active"
    active = InterviewSessionFactory(user=owner)
    first = client.post(f"{API}/sessions/{active.pk}/questions/")  # not run: its transaction never commits here
    assert first.status_code == 202
    second = client.post(f"{API}/sessions/{active.pk}/questions/")
    assert second.status_code == 409 and second.json()["code"] == "operation_pending"
    ResumeFactory(user=owner)
    done = answered_session(owner)
    assert client.post(f"{API}/sessions/{done.pk}/feedback/").status_code == 202
    assert client.post(f"{API}/sessions/{done.pk}/feedback/").json()["code"] == "operation_pending"
    assert Operation.objects.filter(status="pending").count() == 2


def test_retry_of_an_operation_whose_retry_is_pending_is_409(client, owner):
    failed = OperationFactory(session=InterviewSessionFactory(user=owner))
    assert client.post(f"{API}/operations/{failed.pk}/retry/").status_code == 202
    assert client.post(f"{API}/operations/{failed.pk}/retry/").json()["code"] == "operation_pending"
