"""The sender, on the SDK's MessagingApi, against a local stub of the Messaging API."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.livechat import services
from apps.livechat.models import Message
from tests.livechat.factories import (
    ChatSessionFactory,
    ContactFactory,
    IntentCategoryFactory,
    IntentKeywordFactory,
    IntentResponseFactory,
    make_agent,
)
from tests.livechat.line_stub import body_of, post_webhook, text_event

pytestmark = pytest.mark.django_db

USER = "U" + "c" * 32


def test_a_bot_answer_is_a_reply_with_the_events_reply_token(line_api, api_client, django_capture_on_commit_callbacks):
    category = IntentCategoryFactory()
    IntentKeywordFactory(category=category, keyword="hours")
    for n in range(7):  # more than LINE takes in one reply: the first five go
        IntentResponseFactory(category=category, text_content=f"answer {n}", order=n)
    event = text_event(USER, "hours?")
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(api_client, body_of(event))
    (request,) = line_api.requests
    assert request["path"] == "/v2/bot/message/reply"
    assert request["headers"]["Authorization"] == "Bearer test-access-token"
    assert request["json"]["replyToken"] == event.reply_token
    assert [m["text"] for m in request["json"]["messages"]] == [f"answer {n}" for n in range(5)]
    assert set(Message.objects.filter(direction="outgoing").values_list("delivery", flat=True)) == {"sent"}


def test_an_agent_message_is_a_push_with_a_retry_key(line_api, django_capture_on_commit_callbacks):
    agent = make_agent()
    contact = ContactFactory(line_user_id=USER)
    ChatSessionFactory(contact=contact, status="active", operator=agent)
    with django_capture_on_commit_callbacks(execute=True):
        message = services.agent_message_send(agent=agent, contact_id=contact.pk, text="Hello from Ann")
    (request,) = line_api.requests
    assert request["path"] == "/v2/bot/message/push"
    assert request["json"]["to"] == USER
    assert request["json"]["messages"] == [{"type": "text", "text": "Hello from Ann"}]
    assert request["headers"]["X-Line-Retry-Key"] == str(message.retry_key)
    message.refresh_from_db()
    assert message.delivery == "sent"


def test_a_stale_reply_token_falls_back_to_a_push(line_api, django_capture_on_commit_callbacks):
    contact = ContactFactory(line_user_id=USER)
    with django_capture_on_commit_callbacks(execute=True):
        services._send(
            contact=contact,
            objects=[{"type": "text", "text": "late"}],
            role="bot",
            reply_token="old",
            reply_token_at=timezone.now() - dt.timedelta(minutes=5),
        )
    assert line_api.paths() == ["/v2/bot/message/push"]


def test_a_line_error_is_recorded_then_retried_with_the_same_retry_key(line_api, django_capture_on_commit_callbacks):
    agent = make_agent()
    contact = ContactFactory(line_user_id=USER)
    ChatSessionFactory(contact=contact, status="active", operator=agent)
    line_api.statuses = [500]
    with django_capture_on_commit_callbacks(execute=True):
        message = services.agent_message_send(agent=agent, contact_id=contact.pk, text="hi")  # no exception
    message.refresh_from_db()
    assert message.delivery == "failed" and message.attempts == 1
    assert message.error.startswith("500")
    assert services.deliveries_retry() == 1  # the beat task's work
    message.refresh_from_db()
    assert message.delivery == "sent" and message.attempts == 2 and message.error == ""
    keys = [r["headers"]["X-Line-Retry-Key"] for r in line_api.requests]
    assert keys == [str(message.retry_key)] * 2


def test_a_retry_answered_409_counts_as_delivered(line_api, django_capture_on_commit_callbacks):
    contact = ContactFactory(line_user_id=USER)
    line_api.statuses = [500, 409]  # the first push reached LINE, its answer was lost
    with django_capture_on_commit_callbacks(execute=True):
        services._send(contact=contact, objects=[{"type": "text", "text": "once"}], role="bot")
    services.deliveries_retry()
    assert Message.objects.get().delivery == "sent"


def test_with_no_access_token_messages_are_stored_not_sent(django_capture_on_commit_callbacks, settings):
    contact = ContactFactory(line_user_id=USER)
    settings.LINE_API_BASE_URL = "http://127.0.0.1:9"  # would refuse: nothing is tried
    with django_capture_on_commit_callbacks(execute=True):
        services._send(contact=contact, objects=[{"type": "text", "text": "kept"}], role="bot")
    message = Message.objects.get()
    assert message.delivery == "stored" and message.attempts == 0
