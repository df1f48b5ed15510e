"""factory-boy factories for the live-chat desk, and the short forms the tests use (`make_agent`)."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.utils import timezone

from apps.livechat.models import (
    BusinessHours,
    CannedResponse,
    ChatSession,
    Contact,
    CsatResponse,
    HandoffKeyword,
    IntentCategory,
    IntentKeyword,
    IntentResponse,
    Message,
    ReadMarker,
    Tag,
    WebhookEvent,
)
from tests.accounts.factories import UserFactory


def desk_group(name: str, *codenames: str) -> Group:
    """The group the migration made (made again after a transactional test flushed it; the
    permissions themselves come back with post_migrate)."""
    group, created = Group.objects.get_or_create(name=name)
    if created:
        group.permissions.add(*Permission.objects.filter(content_type__app_label="livechat", codename__in=codenames))
    return group


def make_agent(**kwargs):
    """A user in the "Agents" group."""
    user = UserFactory(**kwargs)
    user.groups.add(desk_group("Agents", "agent"))
    return user


def make_supervisor(**kwargs):
    user = UserFactory(**kwargs)
    user.groups.add(desk_group("Supervisors", "agent", "supervisor"))
    return user


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"tag{n}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    line_user_id = factory.Sequence(lambda n: f"U{n:032x}")
    display_name = factory.Sequence(lambda n: f"Customer {n}")
    last_message_at = factory.LazyFunction(timezone.now)


class ChatSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChatSession

    contact = factory.SubFactory(ContactFactory)
    started_at = factory.LazyFunction(timezone.now)
    last_activity_at = factory.LazyAttribute(lambda o: o.started_at)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    contact = factory.SubFactory(ContactFactory)
    direction = Message.Direction.INCOMING
    sender_role = Message.SenderRole.USER
    content = factory.Sequence(lambda n: f"message {n}")
    created_at = factory.LazyFunction(timezone.now)


class WebhookEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEvent

    webhook_event_id = factory.Sequence(lambda n: f"01HEVENT{n:018d}")
    event_type = "follow"
    body = factory.LazyAttribute(lambda o: {"type": o.event_type})


class ReadMarkerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReadMarker

    agent = factory.SubFactory(UserFactory)
    contact = factory.SubFactory(ContactFactory)
    read_at = factory.LazyFunction(timezone.now)


class IntentCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IntentCategory

    name = factory.Sequence(lambda n: f"intent{n}")


class IntentKeywordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IntentKeyword

    category = factory.SubFactory(IntentCategoryFactory)
    keyword = factory.Sequence(lambda n: f"keyword{n}")


class IntentResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IntentResponse

    category = factory.SubFactory(IntentCategoryFactory)
    text_content = factory.Sequence(lambda n: f"answer {n}")


class HandoffKeywordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HandoffKeyword

    keyword = factory.Sequence(lambda n: f"person{n}")


class CannedResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CannedResponse

    shortcut = factory.Sequence(lambda n: f"c{n}")
    title = "Greeting"
    content = "Hello, how can I help?"


class BusinessHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessHours

    weekday = 0
    opens = dt.time(9)
    closes = dt.time(18)


class CsatResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CsatResponse

    session = factory.SubFactory(ChatSessionFactory, status=ChatSession.Status.CLOSED)
    score = 5


BULK_TABLES = (
    "livechat_contact",
    "livechat_chatsession",
    "livechat_message",
    "livechat_readmarker",
    "livechat_contact_tags",
)


def bulk_desk(contacts: int, sessions: int, messages: int) -> None:
    """`contacts` contacts, `sessions` sessions (the newest 300 waiting, 300 active) and `messages`
    messages spread over them: one INSERT ... SELECT generate_series per table (tests and bench)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO livechat_contact (line_user_id, display_name, picture_url, friend_status, chat_mode,
                   last_message_at, created_at)
               SELECT 'Ubulk' || i, 'c' || i, '', 'friend', 'bot', now() - i * interval '1 second', now()
               FROM generate_series(1, %s) i""",
            [contacts],
        )
        cursor.execute("SELECT MIN(id) FROM livechat_contact WHERE line_user_id LIKE 'Ubulk%%'")
        first = cursor.fetchone()[0]
        cursor.execute(
            """INSERT INTO livechat_chatsession (contact_id, status, started_at, claimed_at, last_activity_at,
                   closed_at, closed_by, message_count, transfer_count, transfer_reason, sla_alerted)
               SELECT %s + (i %% %s), CASE WHEN i > %s - 300 THEN 'waiting' WHEN i > %s - 600 THEN 'active'
                   ELSE 'closed' END,
                   now() - (%s - i) * interval '1 minute', now() - (%s - i) * interval '1 minute' + interval '1 minute',
                   now(), CASE WHEN i > %s - 600 THEN NULL ELSE now() - (%s - i) * interval '1 minute'
                   + interval '10 minutes' END, '', 0, 0, '', false
               FROM generate_series(1, %s) i""",
            [first, contacts, sessions, sessions, sessions, sessions, sessions, sessions, sessions],
        )
        cursor.execute(
            """INSERT INTO livechat_message (contact_id, direction, message_type, content, payload, sender_role,
                   delivery, reply_token, retry_key, attempts, error, created_at)
               SELECT %s + (i %% %s), CASE WHEN i %% 2 = 0 THEN 'incoming' ELSE 'outgoing' END, 'text',
                   'message number ' || i, '{}'::jsonb, 'user', 'sent', '', gen_random_uuid(), 0, '',
                   now() - (%s - i) * interval '1 second'
               FROM generate_series(1, %s) i""",
            [first, contacts, messages, messages],
        )
        for table in BULK_TABLES:
            cursor.execute(f'ANALYZE "{table}"')
