"""Query plans at 1M messages and 100k sessions (10k contacts): the hot reads use their indexes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.livechat import selectors
from apps.livechat.models import Contact, Message
from tests.livechat.factories import ContactFactory, MessageFactory, bulk_desk, make_agent

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db]

TABLES = (
    "livechat_contact",
    "livechat_chatsession",
    "livechat_message",
    "livechat_readmarker",
    "livechat_contact_tags",
)


def _plan_of(call) -> str:
    with CaptureQueriesContext(connection) as ctx:
        call()
    sql = ctx.captured_queries[-1]["sql"]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_hot_reads_use_their_indexes_at_1m_messages():
    bulk_desk(10_000, 100_000, 1_000_000)
    agent = make_agent()
    ContactFactory()  # the newest contact
    assert Message.objects.count() == 1_000_000

    # the conversations page: latest message by a backward probe of (contact, id) per contact,
    # unread counts on (contact, direction, created_at), latest sessions on the contact index
    plan = _plan_of(lambda: selectors.conversation_page(agent_id=agent.pk, filters={}, limit=50, offset=0))
    assert "lc_message_contact_id" in plan or "lc_message_contact_dir_at" in plan, plan
    assert "Seq Scan on livechat_message" not in plan, plan
    assert "Seq Scan on livechat_chatsession" not in plan, plan

    # the waiting filter: the partial index of open sessions
    plan = _plan_of(
        lambda: selectors.conversation_page(agent_id=agent.pk, filters={"status": "waiting"}, limit=50, offset=0)
    )
    assert "Seq Scan on livechat_chatsession" not in plan, plan

    # queue position: the waiting sessions by (status, started_at) or the partial index
    contact = Contact.objects.filter(sessions__status="waiting").first()
    plan = _plan_of(lambda: selectors.queue_position(contact_id=contact.pk))
    assert "Seq Scan on livechat_chatsession" not in plan, plan

    # a conversation's cursor page: the (contact, id) index
    qs = selectors.contact_messages(contact_id=contact.pk).order_by("-id")[:51]
    assert "lc_message_contact_id" in qs.explain()

    # search for a rare word: the full-text GIN index
    MessageFactory(contact=contact, content="my parcel never arrived")
    plan = selectors.message_search(q="parcel")[:50].explain()
    assert "lc_message_content_fts" in plan, plan
