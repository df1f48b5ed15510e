"""The webhook, end to end: bodies built and signed as LINE does (the SDK's models), events
stored then processed by the real Celery task (in-process), each exactly once."""

import json

import pytest

from apps.livechat.models import ChatSession, Contact, CsatResponse, IntentKeyword, Message, WebhookEvent
from tests.livechat.factories import (
    ChatSessionFactory,
    ContactFactory,
    HandoffKeywordFactory,
    IntentCategoryFactory,
    IntentKeywordFactory,
    IntentResponseFactory,
)
from tests.livechat.line_stub import (
    body_of,
    follow_event,
    post_webhook,
    postback_event,
    sign,
    sticker_event,
    text_event,
    unfollow_event,
)

pytestmark = pytest.mark.django_db

USER = "U" + "a" * 32


@pytest.fixture
def deliver(api_client, django_capture_on_commit_callbacks, settings):
    """POST a signed body and run what it scheduled after commit (processing, delivery)."""
    for keyword in settings.LIVECHAT_HANDOFF_KEYWORDS:  # the migration's rows, unless a flush took them
        HandoffKeywordFactory._meta.model.objects.get_or_create(keyword=keyword)

    def send(*events, signature=None, body=None):
        body = body or body_of(*events)
        with django_capture_on_commit_callbacks(execute=True):
            return post_webhook(api_client, body, signature)

    return send


def outgoing(contact_id=None):
    qs = Message.objects.filter(direction=Message.Direction.OUTGOING).order_by("id")
    if contact_id:
        qs = qs.filter(contact_id=contact_id)
    return list(qs.values_list("content", flat=True))


def test_the_console_verify_body_is_accepted(deliver):
    response = deliver(body=json.dumps({"destination": "U" + "b" * 32, "events": []}))
    assert response.status_code == 200
    assert response.json() == {"accepted": 0}


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl", "sign-with-other-secret"])
def test_a_bad_signature_is_401_and_nothing_is_stored(deliver, signature):
    body = body_of(text_event(USER, "hello"))
    if signature == "sign-with-other-secret":
        signature = sign(body, "another-secret")
    response = deliver(body=body, signature=signature)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_signature"
    assert not WebhookEvent.objects.exists() and not Contact.objects.exists()


def test_a_body_signed_with_another_bodys_signature_is_refused(deliver):
    signature = sign(body_of(text_event(USER, "one")))
    response = deliver(body=body_of(text_event(USER, "two")), signature=signature)
    assert response.status_code == 401


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e.pop("webhookEventId"),
        lambda e: e.pop("source"),
        lambda e: e["message"].pop("text"),
        lambda e: e.update(timestamp="yesterday"),
    ],
)
def test_a_malformed_event_is_400_and_nothing_is_stored(deliver, mutate):
    body = json.loads(body_of(text_event(USER, "fine"), text_event(USER, "hello")))
    mutate(body["events"][1])
    raw = json.dumps(body)
    response = deliver(body=raw, signature=sign(raw))
    assert response.status_code == 400, response.content
    assert not WebhookEvent.objects.exists() and not Message.objects.exists()


def test_a_signed_body_that_is_not_json_is_400(deliver):
    response = deliver(body="{not json", signature=sign("{not json"))
    assert response.status_code == 400


def test_unknown_event_types_are_ignored(deliver):
    body = json.loads(body_of(follow_event(USER)))
    body["events"].append({**body["events"][0], "type": "somethingNew", "webhookEventId": "01HNEWTYPE"})
    body["events"].append({**body["events"][0], "type": "beacon", "webhookEventId": "01HBEACON"})
    raw = json.dumps(body)
    response = deliver(body=raw, signature=sign(raw))
    assert response.status_code == 200
    assert response.json() == {"accepted": 1}
    assert list(WebhookEvent.objects.values_list("event_type", flat=True)) == ["follow"]


def test_follow_creates_the_contact_and_unfollow_marks_it(deliver):
    deliver(follow_event(USER))
    contact = Contact.objects.get(line_user_id=USER)
    assert contact.friend_status == "friend"
    deliver(unfollow_event(USER))
    contact.refresh_from_db()
    assert contact.friend_status == "unfollowed"
    assert outgoing() == []  # no reply to an unfollow
    deliver(follow_event(USER))
    contact.refresh_from_db()
    assert contact.friend_status == "friend" and Contact.objects.count() == 1


def test_an_event_is_processed_once_by_its_webhook_event_id(deliver):
    event = text_event(USER, "hello")
    deliver(event)
    redelivered = text_event(USER, "hello", webhook_event_id=event.webhook_event_id, redelivery=True)
    response = deliver(redelivered)
    assert response.json() == {"accepted": 0}
    assert Message.objects.filter(direction="incoming").count() == 1


def test_a_redelivery_whose_first_copy_was_never_processed_is_processed(deliver, api_client):
    event = text_event(USER, "hello")
    body = body_of(event)
    post_webhook(api_client, body)  # on-commit work not run: stored, never processed
    assert WebhookEvent.objects.get().processed_at is None
    response = deliver(text_event(USER, "hello", webhook_event_id=event.webhook_event_id, redelivery=True))
    assert response.json() == {"accepted": 1}
    assert WebhookEvent.objects.get().processed_at is not None
    assert Message.objects.filter(direction="incoming").count() == 1


def test_text_and_sticker_messages_are_stored(deliver):
    deliver(text_event(USER, "hello there"), sticker_event(USER, "446", "1988"))
    rows = list(
        Message.objects.filter(direction="incoming").order_by("id").values("message_type", "content", "payload")
    )
    assert rows[0] == {"message_type": "text", "content": "hello there", "payload": {}}
    assert rows[1]["message_type"] == "sticker"
    assert rows[1]["payload"] == {"packageId": "446", "stickerId": "1988"}
    assert Contact.objects.get().last_message_at is not None


def _intents():
    hours = IntentCategoryFactory(name="hours")
    IntentKeywordFactory(category=hours, keyword="opening", match_type=IntentKeyword.MatchType.CONTAINS)
    IntentResponseFactory(category=hours, text_content="We open at 9.", order=1)
    IntentResponseFactory(category=hours, text_content="Every day.", order=2)
    IntentResponseFactory(category=hours, text_content="(inactive)", order=3, is_active=False)
    price = IntentCategoryFactory(name="price")
    IntentKeywordFactory(category=price, keyword="price", match_type=IntentKeyword.MatchType.STARTS_WITH)
    IntentResponseFactory(category=price, text_content="It costs 5.")
    exact = IntentCategoryFactory(name="exact")
    IntentKeywordFactory(category=exact, keyword="price of opening", match_type=IntentKeyword.MatchType.EXACT)
    IntentResponseFactory(category=exact, text_content="Exactly that.")
    off = IntentCategoryFactory(name="off", is_active=False)
    IntentKeywordFactory(category=off, keyword="hello", match_type=IntentKeyword.MatchType.CONTAINS)
    IntentResponseFactory(category=off, text_content="never")


@pytest.mark.parametrize(
    ("text", "replies"),
    [
        ("What are your OPENING hours?", ["We open at 9.", "Every day."]),  # contains, in order, active only
        ("Price of your opening", ["It costs 5."]),  # starts_with beats contains
        ("price of opening", ["Exactly that."]),  # exact beats both
        ("hello", []),  # an inactive category is silent
    ],
)
def test_the_bot_answers_exact_then_starts_with_then_contains(deliver, text, replies):
    _intents()
    deliver(text_event(USER, text))
    assert outgoing() == replies
    assert all(m.reply_token for m in Message.objects.filter(direction="outgoing"))


def test_the_bot_is_silent_in_human_mode(deliver):
    _intents()
    contact = ContactFactory(line_user_id=USER, chat_mode="human")
    session = ChatSessionFactory(contact=contact, status="active")
    deliver(text_event(USER, "opening hours?"))
    assert outgoing() == []
    message = Message.objects.get(direction="incoming")
    assert message.session_id == session.pk
    session.refresh_from_db()
    assert session.message_count == 1


def test_a_handoff_keyword_queues_the_contact_with_its_position(deliver):
    ChatSessionFactory()  # someone already waiting
    deliver(text_event(USER, "I want to talk to a HUMAN please"))
    contact = Contact.objects.get(line_user_id=USER)
    session = ChatSession.objects.get(contact=contact)
    assert session.status == "waiting" and contact.chat_mode == "human"
    (reply,) = outgoing(contact.pk)
    assert "2/2" in reply and "about 4 minutes" in reply  # 2 x 120 s with no history
    # asking again while waiting does not queue twice, and the bot is now silent
    deliver(text_event(USER, "human!"))
    assert ChatSession.objects.filter(contact=contact).count() == 1
    assert len(outgoing(contact.pk)) == 1


def test_outside_business_hours_the_reply_says_when_agents_are_back(deliver):
    import datetime as dt

    from tests.livechat.factories import BusinessHoursFactory

    BusinessHoursFactory(weekday=0, opens=dt.time(0, 0), closes=dt.time(0, 1))  # open one minute a week
    deliver(text_event(USER, "agent"))
    (reply,) = outgoing()
    assert "next available Monday 00:00" in reply and "1/1" in reply
    assert ChatSession.objects.get().status == "waiting"


def test_a_csat_postback_is_accepted_once_from_the_sessions_own_contact(deliver):
    contact = ContactFactory(line_user_id=USER)
    session = ChatSessionFactory(contact=contact, status="closed")
    other = ChatSessionFactory(status="closed")
    deliver(postback_event(USER, f"csat|{other.pk}|1"))  # another contact's session: refused
    assert not CsatResponse.objects.exists()
    deliver(postback_event(USER, f"csat|{session.pk}|4"))
    deliver(postback_event(USER, f"csat|{session.pk}|1"))  # given twice: the first stands
    assert list(CsatResponse.objects.values_list("session_id", "score")) == [(session.pk, 4)]
    deliver(postback_event(USER, f"csat|{session.pk}|9"))
    deliver(postback_event(USER, "nonsense"))
    assert CsatResponse.objects.count() == 1
