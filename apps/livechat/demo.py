"""Demo data for the live-chat desk: alice supervises, bob is an agent; a few customers, the bot's intents."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import Group
from django.utils import timezone

from apps.livechat.models import (
    CannedResponse,
    ChatSession,
    Contact,
    IntentCategory,
    IntentKeyword,
    IntentResponse,
    Message,
    Tag,
)

INTENTS = (
    ("opening hours", "hours", IntentKeyword.MatchType.CONTAINS, ["We are open 9:00-18:00, Monday to Friday."]),
    ("price", "price", IntentKeyword.MatchType.STARTS_WITH, ["Our plans start at 500 yen a month.", "See /pricing."]),
    ("hello", "hello", IntentKeyword.MatchType.EXACT, ["Hello! Ask about our hours or prices, or type 'agent'."]),
)


def seed_demo(*, users, stdout) -> None:
    """Runs once; a second run changes nothing."""
    if Contact.objects.filter(line_user_id__startswith="Udemo").exists():
        stdout.write("livechat: demo desk already there")
        return
    alice, bob = users["alice"], users["bob"]
    alice.groups.add(Group.objects.get_or_create(name="Supervisors")[0])
    bob.groups.add(Group.objects.get_or_create(name="Agents")[0])
    for name, keyword, match_type, answers in INTENTS:
        category = IntentCategory.objects.create(name=name)
        IntentKeyword.objects.create(category=category, keyword=keyword, match_type=match_type)
        for order, text in enumerate(answers):
            IntentResponse.objects.create(category=category, text_content=text, order=order)
    CannedResponse.objects.create(shortcut="hi", title="Greeting", content="Hello, this is the support desk.")
    vip = Tag.objects.create(name="vip", color="#d4af37")
    now = timezone.now()
    for n, (name, state) in enumerate([("Aiko", "waiting"), ("Ben", "active"), ("Chie", "bot"), ("Dan", "closed")]):
        at = now - dt.timedelta(minutes=10 * (4 - n))
        contact = Contact.objects.create(
            line_user_id=f"Udemo{n:028d}",
            display_name=name,
            chat_mode="human" if state in ("waiting", "active") else "bot",
            last_message_at=at,
        )
        Message.objects.create(
            contact=contact, direction="incoming", sender_role="user", content=f"Hi, {name} here.", created_at=at
        )
        if state == "bot":
            contact.tags.add(vip)
            continue
        ChatSession.objects.create(
            contact=contact,
            status=state,
            operator=bob if state != "waiting" else None,
            started_at=at,
            claimed_at=at + dt.timedelta(minutes=1) if state != "waiting" else None,
            last_activity_at=at,
            closed_at=at + dt.timedelta(minutes=5) if state == "closed" else None,
            closed_by="operator" if state == "closed" else "",
        )
    stdout.write("livechat: 4 customers (one waiting), 3 intents (alice supervisor, bob agent)")
