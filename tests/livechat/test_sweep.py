import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.livechat.models import ChatSession, Message
from tests.livechat.factories import ChatSessionFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_the_sweep_closes_idle_and_stale_sessions(django_capture_on_commit_callbacks, settings):
    now = timezone.now()
    idle = ChatSessionFactory(
        status="active", contact=ContactFactory(chat_mode="human"), last_activity_at=now - dt.timedelta(seconds=1801)
    )
    busy = ChatSessionFactory(status="active", last_activity_at=now - dt.timedelta(seconds=60))
    stale = ChatSessionFactory(contact=ContactFactory(chat_mode="human"), started_at=now - dt.timedelta(seconds=601))
    fresh = ChatSessionFactory(started_at=now - dt.timedelta(seconds=60))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("livechat_sweep")
    states = {s.pk: (s.status, s.closed_by) for s in ChatSession.objects.all()}
    assert states[idle.pk] == ("closed", "system")
    assert states[stale.pk] == ("closed", "system_timeout")
    assert states[busy.pk] == ("active", "") and states[fresh.pk] == ("waiting", "")
    idle.contact.refresh_from_db()
    stale.contact.refresh_from_db()
    assert idle.contact.chat_mode == "bot" and stale.contact.chat_mode == "bot"
    # the customer who waited too long is told; the idle one is not
    assert list(Message.objects.filter(direction="outgoing").values_list("contact_id", flat=True)) == [stale.contact_id]
    with django_capture_on_commit_callbacks(execute=True):
        call_command("livechat_sweep")
    assert Message.objects.filter(direction="outgoing").count() == 1
