"""Round-robin assignment (LIVECHAT_ASSIGNMENT=round_robin), presence in Redis, and sla.alert flags.

Presence is the real Redis sorted set (apps.livechat.presence); assignment rounds run as the
Celery task, eager here, after the commit that asked for them.
"""

import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from apps.livechat import presence, services
from apps.livechat.models import ChatSession
from tests.livechat.factories import ChatSessionFactory, ContactFactory, make_agent

pytestmark = pytest.mark.redis


@pytest.fixture(autouse=True)
def _no_presence():
    def clear():
        client = presence._redis()
        if client is not None:
            client.delete(presence._key())
        presence._local.clear()

    clear()
    yield
    clear()


@pytest.fixture
def round_robin(settings):
    settings.LIVECHAT_ASSIGNMENT = "round_robin"
    settings.LIVECHAT_AGENT_CAPACITY = 2
    return settings


def online(*agents):
    for agent in agents:
        presence.mark_online(agent.pk, f"socket-{agent.pk}")


def active_counts():
    counts: dict[int, int] = {}
    for operator_id in ChatSession.objects.filter(status="active").values_list("operator_id", flat=True):
        counts[operator_id] = counts.get(operator_id, 0) + 1
    return counts


# --- presence -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_presence_is_a_sorted_set_whose_members_expire():
    presence.mark_online(1, "a")
    presence.mark_online(1, "b")
    presence.mark_online(2, "c", ttl=-1)  # already expired: a process that died long ago
    assert presence.online_agent_ids() == {1}
    client = presence._redis()
    assert client.zcard(presence._key()) == 2  # the expired member was dropped by the read
    presence.mark_offline(1, "a")
    assert presence.online_agent_ids() == {1}  # another socket of theirs is still open
    presence.mark_offline(1, "b")
    assert presence.online_agent_ids() == set()


# --- who gets the session -------------------------------------------------------------------


@pytest.mark.django_db
def test_manual_mode_assigns_nothing(django_capture_on_commit_callbacks):
    agent = make_agent()
    online(agent)
    contact = ContactFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.session_handoff(contact=contact)
    assert ChatSession.objects.get(contact=contact).status == "waiting"
    assert services.sessions_assign() == []


@pytest.mark.django_db
def test_fewest_active_then_least_recently_assigned_then_lowest_id(round_robin):
    now = timezone.now()
    ann, bob, cat, offline = make_agent(), make_agent(), make_agent(), make_agent()
    online(ann, bob, cat)
    # ann: 1 active; bob: 0 active, assigned 5 min ago; cat: 0 active, assigned 10 min ago
    ChatSessionFactory(status="active", operator=ann, claimed_at=now - dt.timedelta(minutes=1))
    ChatSessionFactory(status="closed", operator=bob, claimed_at=now - dt.timedelta(minutes=5))
    ChatSessionFactory(status="closed", operator=cat, claimed_at=now - dt.timedelta(minutes=10))
    first = ChatSessionFactory(started_at=now - dt.timedelta(minutes=3))
    second = ChatSessionFactory(started_at=now - dt.timedelta(minutes=2))
    third = ChatSessionFactory(started_at=now - dt.timedelta(minutes=1))
    assigned = services.sessions_assign(now=now)
    # oldest first; cat (least recently), then bob, then all three have 1: ann's last claim is
    # the oldest of the three now (1 min ago vs cat and bob just now), then the lowest id
    assert [(s.pk, s.operator_id) for s in assigned] == [(first.pk, cat.pk), (second.pk, bob.pk), (third.pk, ann.pk)]
    assert offline.pk not in active_counts()


@pytest.mark.django_db
def test_ties_with_no_history_go_to_the_lowest_id(round_robin):
    ann, bob = make_agent(), make_agent()
    online(bob, ann)
    session = ChatSessionFactory()
    (assigned,) = services.sessions_assign()
    assert assigned.pk == session.pk and assigned.operator_id == min(ann.pk, bob.pk)


@pytest.mark.django_db
def test_capacity_is_never_exceeded_and_non_agents_or_offline_agents_get_nothing(round_robin):
    from tests.accounts.factories import UserFactory

    ann = make_agent()
    stranger = UserFactory()
    online(ann, stranger)
    make_agent()  # offline
    for _ in range(4):
        ChatSessionFactory()
    assert len(services.sessions_assign()) == 2
    assert active_counts() == {ann.pk: 2}
    assert ChatSession.objects.filter(status="waiting").count() == 2
    assert services.sessions_assign() == []  # full


@pytest.mark.django_db
def test_a_handoff_is_assigned_after_commit_and_a_freed_slot_takes_the_oldest_waiting(
    round_robin, django_capture_on_commit_callbacks
):
    round_robin.LIVECHAT_AGENT_CAPACITY = 1
    ann = make_agent()
    online(ann)
    first = ContactFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.session_handoff(contact=first)
    session = ChatSession.objects.get(contact=first)
    assert session.status == "active" and session.operator_id == ann.pk and session.claimed_at
    older, newer = ContactFactory(), ContactFactory()
    now = timezone.now()
    ChatSessionFactory(contact=newer, started_at=now - dt.timedelta(seconds=10))
    ChatSessionFactory(contact=older, started_at=now - dt.timedelta(seconds=20))
    with django_capture_on_commit_callbacks(execute=True):
        services.session_close(agent=ann, contact_id=first.pk)
    assert ChatSession.objects.get(contact=older).operator_id == ann.pk
    assert ChatSession.objects.get(contact=newer).status == "waiting"


@pytest.mark.django_db
def test_a_transfer_frees_the_previous_operators_slot(round_robin, django_capture_on_commit_callbacks):
    round_robin.LIVECHAT_AGENT_CAPACITY = 1
    ann, bob = make_agent(), make_agent()
    online(ann)  # bob is offline: he takes the transfer but no automatic assignment
    mine = ChatSessionFactory(status="active", operator=ann, claimed_at=timezone.now())
    waiting = ChatSessionFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.session_transfer(agent=ann, contact_id=mine.contact_id, to_agent_id=bob.pk)
    waiting.refresh_from_db()
    assert waiting.status == "active" and waiting.operator_id == ann.pk


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_handoffs_and_closes_never_exceed_capacity(round_robin):
    """12 handoffs and 4 closes at once, each followed by its own assignment round (threads,
    real PostgreSQL): every agent ends at or under capacity, and every free slot is used."""
    agents = [make_agent() for _ in range(3)]
    online(*agents)
    now = timezone.now()
    # two agents start full (2 active each); their sessions are closed during the burst
    to_close = [
        ChatSessionFactory(
            status="active",
            operator=agent,
            claimed_at=now,
            contact=ContactFactory(chat_mode="human"),
        )
        for agent in agents[:2]
        for _ in range(2)
    ]
    contacts = [ContactFactory() for _ in range(12)]
    jobs = [("handoff", c) for c in contacts] + [("close", s) for s in to_close]
    barrier = threading.Barrier(len(jobs))
    errors = []

    def run(kind, item):
        try:
            barrier.wait(timeout=30)
            if kind == "handoff":
                with transaction.atomic():
                    services.session_handoff(contact=item)
            else:
                services.session_close(agent=item.operator, contact_id=item.contact_id)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    counts = active_counts()
    assert all(n <= 2 for n in counts.values()), counts
    # 6 slots after the closes, 12 waiting: every slot is taken, the rest wait
    assert sum(counts.values()) == 6
    assert ChatSession.objects.filter(status="waiting").count() == 6


# --- sla.alert flags ------------------------------------------------------------------------


@pytest.mark.django_db
def test_sla_alerts_are_flagged_once_per_waiting_session(settings, django_capture_on_commit_callbacks):
    now = timezone.now()
    late = ChatSessionFactory(started_at=now - dt.timedelta(seconds=settings.LIVECHAT_SLA_QUEUE_S + 1))
    fresh = ChatSessionFactory(started_at=now - dt.timedelta(seconds=10))
    claimed = ChatSessionFactory(status="active", started_at=now - dt.timedelta(seconds=900))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sla_alerts_send(now=now) == 1
        assert services.sla_alerts_send(now=now) == 0
    flags = dict(ChatSession.objects.values_list("pk", "sla_alerted"))
    assert flags == {late.pk: True, fresh.pk: False, claimed.pk: False}
    # the sweep sends them too, and reports how many
    ChatSessionFactory(started_at=now - dt.timedelta(seconds=settings.LIVECHAT_SLA_QUEUE_S + 5))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("livechat_sweep")
    assert ChatSession.objects.filter(sla_alerted=True).count() == 2
