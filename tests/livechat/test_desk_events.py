"""Desk events on the real channels-redis layer: assignment when an agent comes online,
`sla.alert` once per session, `kpis.updated` to supervisors at most once per LIVECHAT_KPI_TTL."""

import datetime as dt
import uuid

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from apps.core.realtime import envelope, send_now
from apps.livechat import events, presence, services
from apps.livechat.models import ChatSession
from tests.livechat.factories import ChatSessionFactory, ContactFactory, make_agent, make_supervisor
from tests.livechat.test_consumers import connect

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

MARKER = "test.marker"


@pytest.fixture(autouse=True)
def _clean_redis_state():
    def clear():
        client = presence._redis()
        if client is not None:
            client.delete(presence._key())
        cache.delete(services.KPI_THROTTLE_KEY)

    clear()
    yield
    clear()


async def events_until_marker(communicator, group=events.AGENTS_GROUP):
    """Every event the socket receives up to a marker sent now to `group` (same sender, same order)."""
    nonce = uuid.uuid4().hex
    await database_sync_to_async(send_now)(group, envelope(MARKER, {"nonce": nonce}))
    seen = []
    for _ in range(50):
        event = await communicator.receive_json_from(timeout=5)
        if event["type"] == MARKER:
            if event["data"]["nonce"] == nonce:
                return seen
            continue  # an earlier marker (another socket's) on a group this one follows too
        seen.append(event)
    raise AssertionError("no marker")


async def test_an_agent_who_comes_online_takes_waiting_sessions_up_to_capacity(settings):
    settings.LIVECHAT_ASSIGNMENT = "round_robin"
    settings.LIVECHAT_AGENT_CAPACITY = 2
    agent = await database_sync_to_async(make_agent)()
    watcher = await database_sync_to_async(make_agent)()

    def queue():
        now = timezone.now()
        return [ChatSessionFactory(started_at=now - dt.timedelta(seconds=30 - i)).pk for i in range(3)]

    oldest, second, newest = await database_sync_to_async(queue)()
    settings.LIVECHAT_ASSIGNMENT = "manual"  # the watcher's own connect must not take them
    watching = await connect(watcher)
    socket = None
    try:
        assert (await watching.receive_json_from(timeout=5))["type"] == "subscribed"
        settings.LIVECHAT_ASSIGNMENT = "round_robin"
        # the watcher is online too, but at capacity already
        await database_sync_to_async(
            lambda: [ChatSessionFactory(status="active", operator=watcher) for _ in range(2)]
        )()
        socket = await connect(agent)
        # the socket is accepted first; its groups (and the round its presence starts) come next
        assert (await socket.receive_json_from(timeout=5))["type"] == "subscribed"
        seen = await events_until_marker(watching)
        claims = [e["data"] for e in seen if e["type"] == "session.claimed"]
        assert [(c["session_id"], c["operator_id"], c["assigned"]) for c in claims] == [
            (oldest, agent.pk, True),
            (second, agent.pk, True),
        ]

        def states():
            return dict(ChatSession.objects.values_list("pk", "status"))

        found = await database_sync_to_async(states)()
        assert {pk: found[pk] for pk in (oldest, second, newest)} == {
            oldest: "active",
            second: "active",
            newest: "waiting",
        }
    finally:
        await watching.disconnect()
        if socket is not None:
            await socket.disconnect()


async def test_sla_alert_reaches_agents_once_per_session(settings):
    agent = await database_sync_to_async(make_agent)()

    def late_session():
        started = timezone.now() - dt.timedelta(seconds=settings.LIVECHAT_SLA_QUEUE_S + 42)
        return ChatSessionFactory(started_at=started)

    session = await database_sync_to_async(late_session)()
    socket = await connect(agent)
    try:
        assert (await socket.receive_json_from(timeout=5))["type"] == "subscribed"
        await database_sync_to_async(call_command)("livechat_sweep")
        await database_sync_to_async(services.sla_alerts_send)()
        await database_sync_to_async(call_command)("livechat_sweep")
        seen = await events_until_marker(socket)
        alerts = [e["data"] for e in seen if e["type"] == "sla.alert"]
        assert len(alerts) == 1
        alert = alerts[0]
        assert alert["session_id"] == session.pk and alert["contact_id"] == session.contact_id
        assert alert["kind"] == "queue" and settings.LIVECHAT_SLA_QUEUE_S + 42 <= alert["waited_seconds"] < 400
    finally:
        await socket.disconnect()


async def test_kpis_updated_goes_to_supervisors_at_most_once_per_ttl(settings):
    settings.LIVECHAT_KPI_TTL = 30
    supervisor = await database_sync_to_async(make_supervisor)()
    agent = await database_sync_to_async(make_agent)()

    def two_claims():
        contacts = [ContactFactory(), ContactFactory()]
        for contact in contacts:
            ChatSessionFactory(contact=contact)
        services.session_claim(agent=agent, contact_id=contacts[0].pk)
        services.session_claim(agent=agent, contact_id=contacts[1].pk)

    watching = await connect(supervisor)
    plain = await connect(agent)
    try:
        assert (await watching.receive_json_from(timeout=5))["type"] == "subscribed"
        assert (await plain.receive_json_from(timeout=5))["type"] == "subscribed"
        await database_sync_to_async(two_claims)()
        seen = await events_until_marker(watching, events.SUPERVISORS_GROUP)
        kpis = [e["data"] for e in seen if e["type"] == "kpis.updated"]
        # the first change of the window sends (eager here: at once, with the figures then)
        assert len(kpis) == 1
        assert kpis[0]["active"] == 1 and kpis[0]["waiting"] == 1 and "csat_average" in kpis[0]
        # the broadcast refreshed the REST endpoint's cache too
        assert (await database_sync_to_async(cache.get)(services.KPI_CACHE_KEY))["active"] == 1
        # a plain agent's socket does not follow the supervisors' group
        assert not [e for e in await events_until_marker(plain) if e["type"] == "kpis.updated"]
        # the next window: one more
        await database_sync_to_async(cache.delete)(services.KPI_THROTTLE_KEY)

        def close_one():
            contact_id = ChatSession.objects.filter(status="active").values_list("contact_id", flat=True)[0]
            services.session_close(agent=agent, contact_id=contact_id)

        await database_sync_to_async(close_one)()
        seen = await events_until_marker(watching, events.SUPERVISORS_GROUP)
        kpis = [e["data"] for e in seen if e["type"] == "kpis.updated"]
        assert len(kpis) == 1 and kpis[0]["active"] == 1 and kpis[0]["waiting"] == 0
    finally:
        await watching.disconnect()
        await plain.disconnect()
