"""GET conversations/{contact_id}/export/: the whole conversation as CSV, streamed from one
server-side cursor, formula cells defused."""

import csv
import io

import pytest

from apps.livechat import export
from tests.accounts.factories import UserFactory
from tests.livechat.factories import ContactFactory, MessageFactory, make_agent
from tests.streaming import fetch, parts

pytestmark = pytest.mark.django_db


def rows_of(response) -> list[list[str]]:
    text = b"".join(response.parts).decode("utf-8")
    assert text.startswith(export.BOM)
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.fixture
def agent():
    return make_agent(username="ann")


def _url(contact) -> str:
    return f"/api/livechat/conversations/{contact.pk}/export/"


def test_the_export_has_every_message_oldest_first_with_its_columns(client_for, agent):
    contact = ContactFactory()
    first = MessageFactory(contact=contact, content='hello, I have a "question"\nabout my bill')
    second = MessageFactory(
        contact=contact,
        direction="outgoing",
        sender_role="agent",
        operator=agent,
        content="sure",
        delivery="sent",
    )
    third = MessageFactory(contact=contact, message_type="image", content="", media="livechat/in/1/9.jpg")
    MessageFactory()  # another contact's message is not in it
    response = fetch(client_for(agent), _url(contact))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="conversation-{contact.pk}.csv"'
    header, *rows = rows_of(response)
    assert header == list(export.HEADER)
    assert [int(row[0]) for row in rows] == [first.pk, second.pk, third.pk]
    assert rows[0][1:] == [
        first.created_at.isoformat(),
        "incoming",
        "user",
        "",
        "text",
        'hello, I have a "question"\nabout my bill',
        "stored",
        "",
    ]
    assert rows[1][2:5] == ["outgoing", "agent", "ann"] and rows[1][7] == "sent"
    assert rows[2][5] == "image" and rows[2][8] == "/media/livechat/in/1/9.jpg"


@pytest.mark.parametrize(
    ("content", "cell"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("plain = text", "plain = text"),
        ("", ""),
    ],
)
def test_formula_cells_get_a_leading_apostrophe(client_for, agent, content, cell):
    contact = ContactFactory()
    MessageFactory(contact=contact, content=content)
    _, row = rows_of(fetch(client_for(agent), _url(contact)))
    assert row[6] == cell


def test_an_operator_name_that_looks_like_a_formula_is_defused_too(client_for, agent):
    contact = ContactFactory()
    MessageFactory(contact=contact, direction="outgoing", sender_role="agent", operator=make_agent(username="=cmd"))
    _, row = rows_of(fetch(client_for(agent), _url(contact)))
    assert row[4] == "'=cmd"


def test_the_export_keeps_its_budget_at_1_and_50(client_for, agent, query_budget):
    contact = ContactFactory()
    client = client_for(agent)
    # token, roles, contact, the rows (one server-side cursor)
    query_budget.assert_query_budget(
        request=lambda: fetch(client, _url(contact)),
        add_rows=lambda n: [MessageFactory(contact=contact, operator=agent) for _ in range(n)],
        budget=query_budget.declared("GET", _url(contact)),
        expect_items=lambda response: len(rows_of(response)) - 1,
    )


def test_rows_stream_in_chunks_from_one_query(client_for, agent, monkeypatch, query_budget):
    monkeypatch.setattr(export, "CHUNK", 2)
    contact = ContactFactory()
    for _ in range(5):
        MessageFactory(contact=contact)
    client = client_for(agent)
    n, response, sql = query_budget.count_queries(lambda: fetch(client, _url(contact)))
    assert n == query_budget.declared("GET", _url(contact)).queries  # one query whatever the length
    assert [part.count(b"\r\n") for part in response.parts] == [1, 2, 2, 1]  # header, then chunks of 2
    assert len(rows_of(response)) == 6


def test_strangers_and_unknown_contacts_are_refused(client_for, agent):
    contact = ContactFactory()
    MessageFactory(contact=contact)
    response = client_for(UserFactory()).get(_url(contact))
    assert response.status_code == 403 and response.json()["code"] == "agent_required"
    assert client_for(agent).get("/api/livechat/conversations/987654/export/").status_code == 404
    # the refusal is JSON even to a client that accepts only CSV
    refused = client_for(UserFactory()).get(_url(contact), HTTP_ACCEPT="text/csv")
    assert refused.status_code == 403 and refused["Content-Type"].startswith("application/json")
    accepted = fetch(client_for(agent), _url(contact))
    assert accepted.status_code == 200


def test_a_csv_only_client_gets_the_csv(client_for, agent):
    contact = ContactFactory()
    MessageFactory(contact=contact)
    client = client_for(agent)
    response = client.get(_url(contact), HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    response.parts = parts(response)
    assert len(rows_of(response)) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_served_over_asgi_as_a_chunked_stream():
    """Through uvicorn and the ASGI handler: the cursor lives across the chunks in the request's
    thread; chunked transfer, every row."""
    import http.client

    from apps.accounts.services import token_for_user
    from tests.liveserver import uvicorn_server

    agent = make_agent()
    contact = ContactFactory()
    MessageFactory.create_batch(export.CHUNK + 5, contact=contact)
    token = token_for_user(user=agent)
    with uvicorn_server() as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", _url(contact), headers={"Authorization": f"Token {token}", "Host": "testserver"})
        response = conn.getresponse()
        body = response.read()
        conn.close()
    assert response.status == 200, body[:500]
    assert response.getheader("Transfer-Encoding") == "chunked" and response.getheader("Content-Length") is None
    rows = list(csv.reader(io.StringIO(body.decode("utf-8")[1:])))
    assert len(rows) == 1 + export.CHUNK + 5
