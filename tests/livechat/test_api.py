"""The agents' API: budgets at 1 and 50 rows, the session rules, refusals."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.livechat.builders import conversation_item
from apps.livechat.models import ChatSession, Contact, Message
from apps.livechat.serializers import ConversationSerializer
from tests.accounts.factories import UserFactory
from tests.livechat.factories import (
    CannedResponseFactory,
    ChatSessionFactory,
    ContactFactory,
    MessageFactory,
    ReadMarkerFactory,
    TagFactory,
    make_agent,
    make_supervisor,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return make_agent()


@pytest.fixture
def as_agent(client_for, agent):
    return client_for(agent)


def test_a_non_agent_is_refused_everywhere_on_the_desk(client_for):
    contact = ContactFactory()
    client = client_for(UserFactory())
    for method, url in [
        ("get", "/api/livechat/conversations/"),
        ("get", f"/api/livechat/conversations/{contact.pk}/messages/"),
        ("post", f"/api/livechat/conversations/{contact.pk}/claim/"),
        ("get", f"/api/livechat/queue/{contact.pk}/"),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code == 403, url
        assert response.json()["code"] == "agent_required"


def test_kpis_are_for_supervisors(as_agent, client_for):
    assert as_agent.get("/api/livechat/kpis/").status_code == 403
    assert client_for(make_supervisor()).get("/api/livechat/kpis/").status_code == 200


# --- conversations --------------------------------------------------------------------------


def _conversation(agent, n_messages=3, tags=1):
    contact = ContactFactory()
    ChatSessionFactory(contact=contact, status="closed")
    ChatSessionFactory(contact=contact, status="waiting")
    for _ in range(n_messages):
        MessageFactory(contact=contact)
    for _ in range(tags):
        contact.tags.add(TagFactory())
    return contact


def test_the_conversations_page_keeps_its_budget_at_1_and_50(as_agent, agent, query_budget):
    url = "/api/livechat/conversations/?limit=50"
    query_budget.assert_query_budget(
        request=lambda: as_agent.get(url),
        add_rows=lambda n: [_conversation(agent) for _ in range(n)],
        budget=query_budget.declared("GET", url),
        expect_items=query_budget.page_size,
    )


def test_a_conversation_shows_latest_session_latest_message_unread_and_tags(as_agent, agent):
    contact = ContactFactory()
    ChatSessionFactory(contact=contact, status="closed")
    latest_session = ChatSessionFactory(contact=contact, status="waiting")
    old = timezone.now() - dt.timedelta(minutes=10)
    MessageFactory(contact=contact, created_at=old)
    ReadMarkerFactory(agent=agent, contact=contact, read_at=old + dt.timedelta(seconds=1))
    MessageFactory(contact=contact)
    MessageFactory(contact=contact, direction="outgoing", sender_role="bot")
    newest = MessageFactory(contact=contact, content="the newest")
    ReadMarkerFactory(contact=contact)  # another agent's marker changes nothing for ours
    tag = TagFactory(name="vip")
    contact.tags.add(tag)
    other = ContactFactory(last_message_at=old)  # no session, no message
    body = as_agent.get("/api/livechat/conversations/").json()
    assert body["total"] == 2 and body["waiting_count"] == 1 and body["active_count"] == 0
    first, second = body["items"]
    assert first["contact"]["id"] == contact.pk
    assert first["session"]["id"] == latest_session.pk and first["session"]["status"] == "waiting"
    assert first["latest_message"]["id"] == newest.pk
    assert first["unread_count"] == 2  # incoming and newer than our marker
    assert first["tags"] == [{"id": tag.pk, "name": "vip", "color": tag.color}]
    assert second["contact"]["id"] == other.pk
    assert second["session"] is None and second["latest_message"] is None and second["unread_count"] == 0


def test_the_conversation_filters(as_agent):
    waiting = _conversation(None)
    active = ContactFactory(chat_mode="human")
    ChatSessionFactory(contact=active, status="active")
    bot = ContactFactory()
    tag = TagFactory()
    bot.tags.add(tag)

    def ids(query):
        return [item["contact"]["id"] for item in as_agent.get(f"/api/livechat/conversations/?{query}").json()["items"]]

    assert ids("status=waiting") == [waiting.pk]
    assert ids("status=active") == [active.pk]
    assert set(ids("status=bot")) == {waiting.pk, bot.pk}
    assert ids(f"tag={tag.pk}") == [bot.pk]
    assert as_agent.get("/api/livechat/conversations/?status=nope").status_code == 400
    assert as_agent.get("/api/livechat/conversations/?tag=x").status_code == 400
    assert as_agent.get("/api/livechat/conversations/?offset=99").json()["items"] == []


def test_the_builder_matches_the_documented_serializer(as_agent):
    _conversation(None)
    item = as_agent.get("/api/livechat/conversations/").json()["items"][0]
    from apps.livechat import selectors

    (row,) = selectors.conversation_page(agent_id=1, filters={}, limit=1, offset=0)
    built = conversation_item(row, item["tags"])
    assert ConversationSerializer(built).data == ConversationSerializer(ConversationSerializer(built).data).data


# --- messages and read markers ---------------------------------------------------------------


def test_messages_by_cursor_oldest_first_within_a_page(as_agent, query_budget):
    contact = ContactFactory()
    url = f"/api/livechat/conversations/{contact.pk}/messages/?limit=50"
    query_budget.assert_query_budget(
        request=lambda: as_agent.get(url),
        add_rows=lambda n: [MessageFactory(contact=contact) for _ in range(n)],
        budget=query_budget.declared("GET", url),
        expect_items=query_budget.page_size,
    )
    MessageFactory(contact=ContactFactory())  # another conversation's
    first = as_agent.get(f"/api/livechat/conversations/{contact.pk}/messages/?limit=20").json()
    ids = [m["id"] for m in first["items"]]
    assert ids == sorted(ids) and len(ids) == 20 and first["has_more"]
    second = as_agent.get(f"/api/livechat/conversations/{contact.pk}/messages/?limit=20&before={first['next_before']}")
    assert max(m["id"] for m in second.json()["items"]) < min(ids)
    bad = as_agent.get(f"/api/livechat/conversations/{contact.pk}/messages/?before=abc")
    assert bad.status_code == 400 and "before" in bad.json()
    assert as_agent.get("/api/livechat/conversations/999999/messages/").status_code == 404


def test_reading_clears_the_unread_count(as_agent):
    contact = ContactFactory()
    MessageFactory(contact=contact, created_at=timezone.now() - dt.timedelta(seconds=5))
    assert as_agent.get("/api/livechat/conversations/").json()["items"][0]["unread_count"] == 1
    assert as_agent.post(f"/api/livechat/conversations/{contact.pk}/read/").status_code == 200
    assert as_agent.post(f"/api/livechat/conversations/{contact.pk}/read/").status_code == 200  # upsert
    assert as_agent.get("/api/livechat/conversations/").json()["items"][0]["unread_count"] == 0


# --- the session rules ----------------------------------------------------------------------


def test_claim_send_transfer_close(as_agent, agent, client_for, django_capture_on_commit_callbacks):
    contact = ContactFactory(chat_mode="human")
    session = ChatSessionFactory(contact=contact)
    base = f"/api/livechat/conversations/{contact.pk}"
    other = make_agent()
    # only the operator sends, and only once claimed
    assert as_agent.post(f"{base}/messages/", {"text": "hi"}, format="json").status_code == 409
    claimed = as_agent.post(f"{base}/claim/")
    assert claimed.status_code == 200 and claimed.json()["operator_id"] == agent.pk
    assert claimed.json()["status"] == "active" and claimed.json()["claimed_at"]
    assert client_for(other).post(f"{base}/claim/").status_code == 409
    assert client_for(other).post(f"{base}/messages/", {"text": "x"}, format="json").status_code == 403
    sent = as_agent.post(f"{base}/messages/", {"text": "Hello!"}, format="json")
    assert sent.status_code == 201 and sent.json()["sender_role"] == "agent"
    session.refresh_from_db()
    first_response = session.first_response_at
    assert first_response is not None
    canned = CannedResponseFactory(content="Canned hello")
    assert as_agent.post(f"{base}/messages/", {"canned_id": canned.pk}, format="json").json()["content"] == (
        "Canned hello"
    )
    canned.refresh_from_db()
    session.refresh_from_db()
    assert canned.usage_count == 1 and session.first_response_at == first_response
    assert as_agent.post(f"{base}/messages/", {"text": "a", "canned_id": 1}, format="json").status_code == 400
    assert as_agent.post(f"{base}/messages/", {"canned_id": 999999}, format="json").status_code == 400
    # transfer: not to oneself, not to a non-agent, only by the operator
    assert as_agent.post(f"{base}/transfer/", {"agent_id": agent.pk}, format="json").status_code == 400
    stranger = UserFactory()
    assert as_agent.post(f"{base}/transfer/", {"agent_id": stranger.pk}, format="json").status_code == 400
    assert client_for(other).post(f"{base}/transfer/", {"agent_id": agent.pk}, format="json").status_code == 403
    moved = as_agent.post(f"{base}/transfer/", {"agent_id": other.pk, "reason": "billing"}, format="json")
    assert moved.status_code == 200
    assert moved.json()["operator_id"] == other.pk and moved.json()["transfer_count"] == 1
    # close: only the operator, only while active; a CSAT survey with five postback buttons
    assert as_agent.post(f"{base}/close/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        closed = client_for(other).post(f"{base}/close/")
    assert closed.status_code == 200 and closed.json()["closed_by"] == "operator"
    assert client_for(other).post(f"{base}/close/").status_code == 409
    assert as_agent.post(f"{base}/claim/").status_code == 409
    contact.refresh_from_db()
    assert contact.chat_mode == "bot"
    survey = Message.objects.filter(contact=contact, direction="outgoing").latest("id")
    items = survey.payload["line"]["quickReply"]["items"]
    assert [i["action"]["data"] for i in items] == [f"csat|{session.pk}|{s}" for s in (5, 4, 3, 2, 1)]


def test_mode_and_starting_a_conversation(as_agent, agent):
    contact = ContactFactory()
    assert as_agent.post(
        f"/api/livechat/conversations/{contact.pk}/mode/", {"mode": "human"}, format="json"
    ).json() == {"mode": "human"}
    assert (
        as_agent.post(f"/api/livechat/conversations/{contact.pk}/mode/", {"mode": "x"}, format="json").status_code
        == 400
    )
    started = as_agent.post("/api/livechat/conversations/", {"contact_id": contact.pk, "text": "Hi"}, format="json")
    assert started.status_code == 201
    session = ChatSession.objects.get(contact=contact)
    assert session.status == "active" and session.operator_id == agent.pk and session.first_response_at
    missing = as_agent.post("/api/livechat/conversations/", {"contact_id": 999999, "text": "Hi"}, format="json")
    assert missing.status_code == 400 and "contact_id" in missing.json()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_eight_agents_claiming_one_session_exactly_one_wins(client_for):
    import threading

    from django.db import connection

    contact = ContactFactory()
    ChatSessionFactory(contact=contact)
    clients = [client_for(make_agent()) for _ in range(8)]
    barrier = threading.Barrier(8)
    results = []

    def claim(client):
        try:
            barrier.wait()
            results.append(client.post(f"/api/livechat/conversations/{contact.pk}/claim/").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] + [409] * 7
    (session,) = ChatSession.objects.filter(contact=contact)
    assert session.status == "active" and session.operator_id is not None


# --- queue and KPIs -------------------------------------------------------------------------


def test_queue_position_is_a_rank_with_an_estimate(as_agent, query_budget):
    from apps.livechat import selectors

    now = timezone.now()
    contacts = [ContactFactory() for _ in range(3)]
    for i, contact in enumerate(contacts):
        ChatSessionFactory(contact=contact, started_at=now - dt.timedelta(minutes=10 - i))
    # claimed in the last 24 h after 60 s and 180 s of waiting: 120 s a place
    ChatSessionFactory(
        status="active", started_at=now - dt.timedelta(hours=1), claimed_at=now - dt.timedelta(minutes=59)
    )
    ChatSessionFactory(
        status="closed", started_at=now - dt.timedelta(hours=2), claimed_at=now - dt.timedelta(minutes=117)
    )
    # claimed before the window: ignored
    ChatSessionFactory(status="closed", started_at=now - dt.timedelta(days=3), claimed_at=now - dt.timedelta(days=2))
    assert selectors.queue_position(contact_id=contacts[2].pk, now=now) == {
        "position": 3,
        "total_waiting": 3,
        "estimated_wait_seconds": 360,
    }
    url = f"/api/livechat/queue/{contacts[0].pk}/"
    response = query_budget.assert_queries(lambda: as_agent.get(url), query_budget.declared("GET", url).queries)
    assert response.json()["position"] == 1
    assert as_agent.get(f"/api/livechat/queue/{ContactFactory().pk}/").json()["position"] == 0


def test_with_no_history_the_estimate_is_120_s_a_place():
    from apps.livechat import selectors

    contact = ContactFactory()
    ChatSessionFactory(contact=contact)
    assert selectors.queue_position(contact_id=contact.pk)["estimated_wait_seconds"] == 120


def test_search_finds_words_in_messages(as_agent):
    MessageFactory(content="my parcel never arrived")
    MessageFactory(content="thanks, all good")
    hits = as_agent.get("/api/livechat/messages/search/?q=parcel").json()
    assert [h["content"] for h in hits["items"]] == ["my parcel never arrived"]
    assert as_agent.get("/api/livechat/messages/search/").status_code == 400


def test_tags_and_canned_responses(as_agent, client_for):
    supervisor = client_for(make_supervisor())
    assert as_agent.post("/api/livechat/tags/", {"name": "vip"}, format="json").status_code == 403
    tag = supervisor.post("/api/livechat/tags/", {"name": "vip", "color": "#ff0000"}, format="json").json()
    assert supervisor.post("/api/livechat/tags/", {"name": "vip"}, format="json").status_code == 409
    contact = ContactFactory()
    url = f"/api/livechat/tags/{tag['id']}/contacts/{contact.pk}/"
    assert as_agent.post(url).status_code == 204
    assert as_agent.post(url).status_code == 204
    assert list(Contact.objects.get(pk=contact.pk).tags.values_list("name", flat=True)) == ["vip"]
    assert as_agent.delete(url).status_code == 204
    assert not Contact.objects.get(pk=contact.pk).tags.exists()
    assert as_agent.post(f"/api/livechat/tags/999999/contacts/{contact.pk}/").status_code == 404
    assert as_agent.get("/api/livechat/tags/").json()["total"] == 1
    created = supervisor.post(
        "/api/livechat/canned-responses/", {"shortcut": "hi", "title": "Hi", "content": "Hello"}, format="json"
    )
    assert created.status_code == 201
    assert as_agent.get("/api/livechat/canned-responses/").json()["items"][0]["shortcut"] == "hi"
