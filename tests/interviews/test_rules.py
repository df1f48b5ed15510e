"""Posting input rules, the posting list's light rows, and the session transition matrix."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.interviews.models import InterviewSession, JobPosting
from tests.accounts.factories import UserFactory
from tests.interviews.factories import InterviewSessionFactory, JobPostingFactory

pytestmark = pytest.mark.django_db
API = "/api/interviews"


@pytest.fixture
def owner():
    return UserFactory()


@pytest.fixture
def client(client_for, owner):
    return client_for(owner)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("experience_level", "x" * 51),
        ("language", "fr"),
        ("tech_stack", "python"),
        ("tech_stack", [1, {"a": 1}]),
        ("title", ""),
    ],
)
def test_a_bad_posting_is_400_naming_the_field_and_writes_nothing(client, field, value):
    body = {"title": "Backend engineer", "company": "Acme", field: value}
    response = client.post(f"{API}/job-postings/", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert not JobPosting.objects.exists()


def test_a_posting_is_created_edited_and_its_list_never_loads_the_description(client, owner):
    created = client.post(
        f"{API}/job-postings/",
        {
            "title": "Dev",
            "description": "long " * 100,
            "experience_level": "senior",
            "language": "uk",
            "tech_stack": ["go"],
        },
        format="json",
    )
    assert created.status_code == 201
    pid = created.json()["id"]
    assert created.json()["language"] == "uk" and created.json()["tech_stack"] == ["go"]
    patched = client.patch(f"{API}/job-postings/{pid}/", {"company": "Beta"}, format="json")
    assert patched.status_code == 200 and patched.json()["company"] == "Beta" and patched.json()["title"] == "Dev"
    with CaptureQueriesContext(connection) as ctx:
        listed = client.get(f"{API}/job-postings/")
    assert listed.status_code == 200
    assert [p["id"] for p in listed.json()["items"]] == [pid]
    assert "description" not in listed.json()["items"][0]
    page_sql = [q["sql"] for q in ctx.captured_queries if "interviews_jobposting" in q["sql"]]
    assert page_sql and all('"description"' not in sql for sql in page_sql)
    assert client.get(f"{API}/job-postings/{pid}/").json()["description"].startswith("long")


# (from status, action) -> status after, or None for 409
TRANSITIONS = {
    ("active", "pause"): "paused",
    ("active", "resume"): None,
    ("active", "complete"): "completed",
    ("paused", "pause"): None,
    ("paused", "resume"): "active",
    ("paused", "complete"): "completed",
    ("completed", "pause"): None,
    ("completed", "resume"): None,
    ("completed", "complete"): None,
}


@pytest.mark.parametrize(("start", "action"), list(TRANSITIONS), ids=lambda v: str(v))
def test_every_transition(client, owner, start, action):
    session = InterviewSessionFactory(user=owner, status=start)
    response = client.post(f"{API}/sessions/{session.pk}/{action}/")
    session.refresh_from_db()
    after = TRANSITIONS[(start, action)]
    if after is None:
        assert response.status_code == 409, response.json()
        assert response.json()["code"]
        assert session.status == start
    else:
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == after == session.status
        assert (session.completed_at is not None) == (after == "completed")


@pytest.mark.parametrize("start", ["active", "paused"])
def test_only_a_completed_session_can_be_retaken(client, owner, start):
    session = InterviewSessionFactory(user=owner, status=start)
    response = client.post(f"{API}/sessions/{session.pk}/retake/")
    assert response.status_code == 409 and response.json()["code"] == "session_not_completed"
    assert InterviewSession.objects.count() == 1


def test_another_users_session_is_404_on_every_action(client):
    session = InterviewSessionFactory(user=UserFactory(), status="completed")
    for action in ("pause", "resume", "complete", "retake", "questions", "feedback"):
        response = client.post(f"{API}/sessions/{session.pk}/{action}/")
        assert response.status_code == 404, action
    assert client.post(f"{API}/sessions/", {"job_posting_id": JobPostingFactory().pk}, format="json").status_code == 404
    assert InterviewSession.objects.count() == 1


def test_lone_surrogates_in_choice_and_text_fields_are_400(client, owner):
    from tests.core.test_lone_surrogates import send

    send(client, "post", f"{API}/job-postings/", "language", ', "title": "t"')
    posting = JobPostingFactory(user=owner)
    send(client, "patch", f"{API}/job-postings/{posting.pk}/", "language")
    response = client.get(f"{API}/sessions/?status=%ED%A0%80")
    assert response.status_code == 400 and response.json()["code"] == "malformed_request"
    # a lone surrogate in free text never reaches PostgreSQL (it cannot be encoded there)
    session = InterviewSessionFactory(user=owner, awaiting_answer=True, message_count=1)
    for path, body in (
        (f"{API}/sessions/{session.pk}/answers/", '{"content": "a \\ud800 b"}'),
        (f"{API}/job-postings/", '{"title": "t \\ud800"}'),
        (f"{API}/resume/", '{"content": "\\ud800"}'),
    ):
        method = client.put if path.endswith("resume/") else client.post
        response = method(path, body, content_type="application/json")
        assert response.status_code == 400, (path, response.status_code, response.content[:300])


def test_renaming_a_posting_moves_the_cached_dashboard_on(client, owner):
    posting = JobPostingFactory(user=owner, title="Old title", company="Old")
    InterviewSessionFactory(user=owner, job_posting=posting)
    client.post(f"{API}/sessions/", {"job_posting_id": posting.pk}, format="json")  # creates the stats version
    roles = client.get(f"{API}/dashboard/").json()["top_roles"]
    assert roles == [{"title": "Old title", "company": "Old", "count": 2}]
    client.patch(f"{API}/job-postings/{posting.pk}/", {"title": "New title", "company": "New"}, format="json")
    roles = client.get(f"{API}/dashboard/").json()["top_roles"]
    assert roles == [{"title": "New title", "company": "New", "count": 2}]
