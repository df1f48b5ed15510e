import io

import pytest
from django.core.management import call_command

from apps.interviews.models import CoachKey, Feedback, InterviewSession, JobPosting, Operation, SessionMessage
from tests.interviews.factories import CoachKeyFactory, FeedbackFactory, OperationFactory, SessionMessageFactory

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    snapshot = (JobPosting.objects.count(), InterviewSession.objects.count(), SessionMessage.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (JobPosting.objects.count(), InterviewSession.objects.count(), SessionMessage.objects.count()) == snapshot
    assert snapshot[:2] == (2, 2)
    root = InterviewSession.objects.get(retake_number=1)
    assert root.status == "completed" and root.answered_count == 3 and Feedback.objects.filter(session=root).exists()
    assert not Operation.objects.filter(status="failed").exists()


def objects():
    message = SessionMessageFactory()
    feedback = FeedbackFactory()
    op = OperationFactory()
    key = CoachKeyFactory()
    return {
        "resume": None,
        "jobposting": message.session.job_posting_id,
        "interviewsession": message.session_id,
        "sessionmessage": message.pk,
        "feedback": feedback.pk,
        "operation": op.pk,
        "coachkey": key.pk,
    }


@pytest.mark.parametrize(
    "model", ["resume", "jobposting", "interviewsession", "sessionmessage", "feedback", "operation", "coachkey"]
)
def test_admin_pages_render(client, superuser, model):
    ids = objects()
    client.force_login(superuser)
    listing = client.get(f"/admin/interviews/{model}/")
    assert listing.status_code == 200
    if ids[model]:
        assert client.get(f"/admin/interviews/{model}/{ids[model]}/change/").status_code == 200


def test_the_admin_never_shows_the_key(client, superuser):
    key = CoachKeyFactory(plain="sk-admin-secret-key-9z9z")
    client.force_login(superuser)
    for url in ("/admin/interviews/coachkey/", f"/admin/interviews/coachkey/{key.pk}/change/"):
        body = client.get(url).content.decode()
        assert "sk-admin-secret-key" not in body and "9z9z" in body
        assert bytes(CoachKey.objects.get(pk=key.pk).encrypted_key).decode() not in body


def test_admin_status_changes_go_through_the_service(client, superuser):
    session = SessionMessageFactory().session
    client.force_login(superuser)
    url = f"/admin/interviews/interviewsession/{session.pk}/change/"
    client.post(url, {"status": "completed"})
    session.refresh_from_db()
    assert session.status == "completed" and session.completed_at is not None
    response = client.post(url, {"status": "paused"}, follow=True)
    session.refresh_from_db()
    assert session.status == "completed"  # refused: completed sessions do not pause
    assert "Not saved" in response.content.decode()
