"""Every interviews create honours `Idempotency-Key` (apps.core.idempotency) and the create throttles."""

import pytest
from django.urls import resolve

from apps.core.api import ScopedView, view_class_of
from apps.core.models import IdempotencyKey
from apps.interviews.models import InterviewSession, JobPosting, Operation, SessionMessage
from tests.accounts.factories import UserFactory
from tests.interviews.factories import (
    InterviewSessionFactory,
    JobPostingFactory,
    OperationFactory,
    ResumeFactory,
    SessionMessageFactory,
    answered_session,
)

pytestmark = pytest.mark.django_db
API = "/api/interviews"


class Create:
    """One create endpoint: its URL, a body, another body, and how many rows it has written."""

    body: dict = {}
    other_body: dict = {"unexpected": True}
    status = 201

    def post(self, client, body=None, key=None):
        headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
        return client.post(self.url, self.body if body is None else body, format="json", **headers)


class PostingCreate(Create):
    url = f"{API}/job-postings/"
    body = {"title": "Backend engineer", "company": "Acme", "description": "Python.", "tech_stack": ["python"]}
    other_body = {**body, "company": "Another"}

    def __init__(self, user):
        pass

    def written(self):
        return JobPosting.objects.count()


class SessionCreate(Create):
    def __init__(self, user):
        self.url = f"{API}/sessions/"
        self.body = {"job_posting_id": JobPostingFactory(user=user).pk}
        self.other_body = {"job_posting_id": JobPostingFactory(user=user).pk}

    def written(self):
        return InterviewSession.objects.count()


class Retake(Create):
    def __init__(self, user):
        session = InterviewSessionFactory(user=user, status=InterviewSession.Status.COMPLETED)
        self.url = f"{API}/sessions/{session.pk}/retake/"

    def written(self):
        return InterviewSession.objects.count()


class QuestionRequest(Create):
    status = 202

    def __init__(self, user):
        self.url = f"{API}/sessions/{InterviewSessionFactory(user=user).pk}/questions/"

    def written(self):
        return Operation.objects.count()


class AnswerSubmit(Create):
    body = {"content": "I would add select_related."}
    other_body = {"content": "Something else."}

    def __init__(self, user):
        session = InterviewSessionFactory(user=user, awaiting_answer=True, message_count=1, current_question_number=1)
        SessionMessageFactory(session=session, seq=1)
        self.url = f"{API}/sessions/{session.pk}/answers/"

    def written(self):
        return SessionMessage.objects.count()


class FeedbackRequest(Create):
    status = 202

    def __init__(self, user):
        ResumeFactory(user=user)
        self.url = f"{API}/sessions/{answered_session(user).pk}/feedback/"

    def written(self):
        return Operation.objects.count()


class OperationRetry(Create):
    status = 202

    def __init__(self, user):
        failed = OperationFactory(session=InterviewSessionFactory(user=user))
        self.url = f"{API}/operations/{failed.pk}/retry/"

    def written(self):
        return Operation.objects.count()


CREATES = [PostingCreate, SessionCreate, Retake, QuestionRequest, AnswerSubmit, FeedbackRequest, OperationRetry]


@pytest.mark.parametrize("create_class", CREATES, ids=lambda c: c.__name__)
def test_a_retry_answers_the_first_result_and_writes_nothing(create_class, client_for):
    user = UserFactory()
    create = create_class(user)
    client = client_for(user)
    before = create.written()
    first = create.post(client, key="retry-1")
    assert first.status_code == create.status, first.json()
    assert "Idempotent-Replayed" not in first
    assert create.written() == before + 1
    again = create.post(client, key="retry-1")
    assert again.status_code == first.status_code
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert create.written() == before + 1
    assert IdempotencyKey.objects.filter(user=user, key="retry-1").count() == 1


@pytest.mark.parametrize("create_class", CREATES, ids=lambda c: c.__name__)
def test_the_same_key_with_another_body_is_422(create_class, client_for):
    user = UserFactory()
    create = create_class(user)
    client = client_for(user)
    assert create.post(client, key="k").status_code == create.status
    written = create.written()
    refused = create.post(client, body=create.other_body, key="k")
    assert refused.status_code == 422
    assert refused.json()["code"] == "idempotency_key_reused"
    assert create.written() == written


def test_a_refused_create_keeps_the_key_free(client_for):
    """A 409 (no open question) rolls the key back with everything else: the client may retry."""
    user = UserFactory()
    client = client_for(user)
    session = InterviewSessionFactory(user=user)
    url = f"{API}/sessions/{session.pk}/answers/"
    refused = client.post(url, {"content": "early"}, format="json", HTTP_IDEMPOTENCY_KEY="a1")
    assert refused.status_code == 409
    assert not IdempotencyKey.objects.exists()
    assert not SessionMessage.objects.exists()


@pytest.fixture
def tight_rates(settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])
    rates.update(interviews_create="2/min", interviews_submit="1/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def test_the_default_rates(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates["interviews_create"] == "600/min"
    assert rates["interviews_submit"] == "6000/min"


@pytest.mark.redis
def test_creates_past_the_rate_are_429(tight_rates, client_for):
    user = UserFactory()
    client = client_for(user)
    body = PostingCreate.body
    assert [client.post(f"{API}/job-postings/", body, format="json").status_code for _ in range(3)] == [201, 201, 429]
    assert JobPosting.objects.count() == 2
    refused = client.post(f"{API}/sessions/", {"job_posting_id": JobPosting.objects.first().pk}, format="json")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    # reads are never counted
    assert client.get(f"{API}/job-postings/").status_code == 200
    # the submit scope is its own allowance
    session = InterviewSessionFactory(user=user)
    assert client.post(f"{API}/sessions/{session.pk}/questions/").status_code == 202
    assert client.post(f"{API}/sessions/{session.pk}/questions/").status_code == 429
    assert Operation.objects.count() == 1
    # another user has their own allowance
    assert client_for(UserFactory()).post(f"{API}/job-postings/", body, format="json").status_code == 201


@pytest.mark.parametrize("create_class", CREATES, ids=lambda c: c.__name__)
def test_a_key_costs_two_statements_and_a_replay_three(create_class, client_for, query_budget):
    """The declared budgets are for requests without the header (which pay nothing for it);
    with one, the key's INSERT and the answer's UPDATE. A replay is token, INSERT refused, SELECT,
    plus the session lookup on the views scoped to a session (it runs before the handler)."""
    user = UserFactory()
    create = create_class(user)
    client = client_for(user)
    declared = query_budget.declared("POST", create.url).queries
    count, first, _ = query_budget.count_queries(lambda: create.post(client, key="cost"))
    assert first.status_code == create.status
    assert count == declared + 2
    count, again, sql = query_budget.count_queries(lambda: create.post(client, key="cost"))
    assert again["Idempotent-Replayed"] == "true"
    scoped = issubclass(view_class_of(resolve(create.url).func), ScopedView)
    assert count == 3 + scoped, sql
