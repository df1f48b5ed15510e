"""Every endpoint sends exactly its declared number of queries; lists the same at 1 and 50 rows."""

import pytest

from apps.interviews.models import InterviewSession
from tests.accounts.factories import UserFactory
from tests.interviews.factories import (
    FeedbackFactory,
    InterviewSessionFactory,
    JobPostingFactory,
    OperationFactory,
    ResumeFactory,
    SessionMessageFactory,
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


def items(response):
    return len(response.json()["items"])


def test_postings_list(client, owner, query_budget):
    url = f"{API}/job-postings/"
    query_budget.assert_query_budget(
        request=lambda: client.get(url),
        add_rows=lambda n: JobPostingFactory.create_batch(n, user=owner),
        budget=query_budget.declared("GET", url),
        expect_items=items,
    )


@pytest.mark.parametrize("query", ["", "?status=completed", "?start_date=2020-01-01&end_date=2099-01-01"])
def test_sessions_list(client, owner, query_budget, query):
    url = f"{API}/sessions/{query}"
    posting = JobPostingFactory(user=owner)

    def add(n):
        for _ in range(n):
            FeedbackFactory(session=InterviewSessionFactory(user=owner, job_posting=posting, status="completed"))

    query_budget.assert_query_budget(
        request=lambda: client.get(url), add_rows=add, budget=query_budget.declared("GET", url), expect_items=items
    )
    sql, _ = query_budget.statements(lambda: client.get(url))
    assert all("description" not in s and '"content"' not in s for s in sql)  # no large text loaded


def test_sessions_with_feedback(client, owner, query_budget):
    url = f"{API}/sessions/with-feedback/"
    query_budget.assert_query_budget(
        request=lambda: client.get(url),
        add_rows=lambda n: [
            FeedbackFactory(session=InterviewSessionFactory(user=owner, status="completed")) for _ in range(n)
        ],
        budget=query_budget.declared("GET", url),
        expect_items=items,
    )


def test_retakes_chain(client, owner, query_budget):
    root = InterviewSessionFactory(user=owner, status="completed")
    url = f"{API}/sessions/{root.pk}/retakes/"
    added = []

    def add(n):
        if not added:  # the root itself is the first row
            added.append(root)
            n -= 1
        for _ in range(n):
            added.append(
                InterviewSessionFactory(
                    user=owner, job_posting=root.job_posting, original_session=root, retake_number=len(added) + 1
                )
            )

    query_budget.assert_query_budget(
        request=lambda: client.get(url), add_rows=add, budget=query_budget.declared("GET", url), expect_items=items
    )


def test_messages(client, owner, query_budget):
    session = InterviewSessionFactory(user=owner)
    url = f"{API}/sessions/{session.pk}/messages/"
    query_budget.assert_query_budget(
        request=lambda: client.get(url),
        add_rows=lambda n: SessionMessageFactory.create_batch(n, session=session),
        budget=query_budget.declared("GET", url),
        expect_items=items,
    )


def test_session_detail_is_fixed_whatever_the_messages(client, owner, query_budget):
    session = InterviewSessionFactory(user=owner)
    url = f"{API}/sessions/{session.pk}/"
    query_budget.assert_query_budget(
        request=lambda: client.get(url),
        add_rows=lambda n: SessionMessageFactory.create_batch(n, session=session),
        budget=query_budget.declared("GET", url),
        expect_items=lambda r: len(r.json()["messages"]),
    )


def exactly(query_budget, method, url, call, status):
    budget = query_budget.declared(method, url)
    response = query_budget.assert_queries(call, budget.queries)
    assert response.status_code == status, response.content
    return response


def test_writes_and_single_objects(client, owner, query_budget):
    posting = JobPostingFactory(user=owner)
    ResumeFactory(user=owner)
    exactly(query_budget, "GET", f"{API}/resume/", lambda: client.get(f"{API}/resume/"), 200)
    exactly(
        query_budget,
        "PUT",
        f"{API}/resume/",
        lambda: client.put(f"{API}/resume/", {"content": "x"}, format="json"),
        200,
    )
    url = f"{API}/sessions/"
    created = exactly(
        query_budget, "POST", url, lambda: client.post(url, {"job_posting_id": posting.pk}, format="json"), 201
    ).json()
    sid = created["id"]
    exactly(
        query_budget,
        "POST",
        f"{API}/sessions/{sid}/questions/",
        lambda: client.post(f"{API}/sessions/{sid}/questions/"),
        202,
    )
    InterviewSession.objects.filter(pk=sid).update(awaiting_answer=True)
    url = f"{API}/sessions/{sid}/answers/"
    exactly(query_budget, "POST", url, lambda: client.post(url, {"content": "an answer"}, format="json"), 201)
    for action, status in (("pause", 200), ("resume", 200), ("complete", 200), ("retake", 201)):
        url = f"{API}/sessions/{sid}/{action}/"
        exactly(query_budget, "POST", url, lambda url=url: client.post(url), status)
    url = f"{API}/sessions/{sid}/feedback/"
    exactly(query_budget, "POST", url, lambda: client.post(url), 202)
    job_url = f"{API}/job-postings/{posting.pk}/"
    exactly(query_budget, "GET", job_url, lambda: client.get(job_url), 200)
    exactly(query_budget, "PATCH", job_url, lambda: client.patch(job_url, {"title": "T"}, format="json"), 200)
    # a change the dashboard does not show: no stats bump; no change at all: no UPDATE either
    body = {"description": "new"}
    assert query_budget.assert_queries(lambda: client.patch(job_url, body, format="json"), 3).status_code == 200
    assert query_budget.assert_queries(lambda: client.patch(job_url, body, format="json"), 2).status_code == 200
    url = f"{API}/job-postings/"
    exactly(query_budget, "POST", url, lambda: client.post(url, {"title": "T"}, format="json"), 201)
    url = f"{API}/api-key/"
    exactly(query_budget, "PUT", url, lambda: client.put(url, {"api_key": "sk-abcdefgh1234"}, format="json"), 200)
    exactly(query_budget, "POST", f"{url}validate/", lambda: client.post(f"{url}validate/"), 200)
    exactly(query_budget, "DELETE", url, lambda: client.delete(url), 204)


def test_feedback_get_and_operations(client, owner, query_budget):
    session = answered_session(owner)
    FeedbackFactory(session=session)
    url = f"{API}/sessions/{session.pk}/feedback/"
    exactly(query_budget, "GET", url, lambda: client.get(url), 200)
    op = OperationFactory(session=session)
    url = f"{API}/operations/{op.pk}/"
    exactly(query_budget, "GET", url, lambda: client.get(url), 200)
    exactly(query_budget, "POST", f"{url}retry/", lambda: client.post(f"{url}retry/"), 202)


def test_dashboard_is_one_query_cold_and_none_warm(client, owner, query_budget):
    session = InterviewSessionFactory(user=owner)
    url = f"{API}/dashboard/"
    client.post(f"{API}/sessions/{session.pk}/complete/")  # creates the stats version row
    budget = query_budget.declared("GET", url)
    cold = query_budget.assert_queries(lambda: client.get(url), budget.queries)
    assert cold.json()["completed_interviews"] == 1
    query_budget.assert_queries(lambda: client.get(url), budget.fewest)
    client.post(f"{API}/sessions/{session.pk}/retake/")  # bumps the version
    assert query_budget.assert_queries(lambda: client.get(url), budget.queries).json()["top_roles"][0]["count"] == 2
