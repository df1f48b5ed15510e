"""The supervisors' settings API: intents (categories, keywords, responses), handoff keywords,
canned responses and business hours. Budgets at 1 and 50 rows, each validation rule, refusals."""

import datetime as dt

import pytest

from apps.livechat import selectors
from apps.livechat.models import (
    BusinessHours,
    CannedResponse,
    HandoffKeyword,
    IntentCategory,
    IntentKeyword,
    IntentResponse,
)
from tests.accounts.factories import UserFactory
from tests.livechat.factories import (
    BusinessHoursFactory,
    CannedResponseFactory,
    HandoffKeywordFactory,
    IntentCategoryFactory,
    IntentKeywordFactory,
    IntentResponseFactory,
    make_agent,
    make_supervisor,
)

pytestmark = pytest.mark.django_db

API = "/api/livechat"
STICKER = {"type": "sticker", "packageId": "446", "stickerId": "1988"}


@pytest.fixture
def boss(client_for):
    return client_for(make_supervisor())


@pytest.fixture
def as_agent(client_for):
    return client_for(make_agent())


def _field_error(response, field: str, code: str = "duplicate") -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == code and body["field"] == field and body[field], body


# --- who may --------------------------------------------------------------------------------


def _supervisor_routes(category: int, keyword: int, response: int, handoff: int, canned: int, hours: int):
    return [
        ("get", f"{API}/intents/categories/"),
        ("post", f"{API}/intents/categories/"),
        ("get", f"{API}/intents/categories/{category}/"),
        ("patch", f"{API}/intents/categories/{category}/"),
        ("delete", f"{API}/intents/categories/{category}/"),
        ("get", f"{API}/intents/categories/{category}/keywords/"),
        ("post", f"{API}/intents/categories/{category}/keywords/"),
        ("patch", f"{API}/intents/categories/{category}/keywords/{keyword}/"),
        ("delete", f"{API}/intents/categories/{category}/keywords/{keyword}/"),
        ("get", f"{API}/intents/categories/{category}/responses/"),
        ("post", f"{API}/intents/categories/{category}/responses/"),
        ("patch", f"{API}/intents/categories/{category}/responses/{response}/"),
        ("delete", f"{API}/intents/categories/{category}/responses/{response}/"),
        ("get", f"{API}/handoff-keywords/"),
        ("post", f"{API}/handoff-keywords/"),
        ("patch", f"{API}/handoff-keywords/{handoff}/"),
        ("delete", f"{API}/handoff-keywords/{handoff}/"),
        ("patch", f"{API}/canned-responses/{canned}/"),
        ("delete", f"{API}/canned-responses/{canned}/"),
        ("get", f"{API}/business-hours/"),
        ("post", f"{API}/business-hours/"),
        ("patch", f"{API}/business-hours/{hours}/"),
        ("delete", f"{API}/business-hours/{hours}/"),
        ("get", f"{API}/analytics/operators/"),
    ]


def test_agents_are_refused_every_supervisor_route_before_any_lookup(as_agent, client_for):
    keyword = IntentKeywordFactory()
    response = IntentResponseFactory(category=keyword.category)
    ids = (
        keyword.category_id,
        keyword.pk,
        response.pk,
        HandoffKeywordFactory().pk,
        CannedResponseFactory().pk,
        BusinessHoursFactory().pk,
    )
    stranger = client_for(UserFactory())
    for method, url in _supervisor_routes(*ids) + _supervisor_routes(*[999999] * 6):
        refused = getattr(as_agent, method)(url, {}, format="json")
        assert refused.status_code == 403, (method, url, refused.content)
        assert refused.json()["code"] == "supervisor_required"  # a missing id is no different: no 404 hint
        assert getattr(stranger, method)(url, {}, format="json").json()["code"] == "agent_required"
    # nothing changed
    assert IntentKeyword.objects.filter(pk=keyword.pk).exists() and BusinessHours.objects.count() == 1


def test_agents_read_canned_responses_one_by_one(as_agent):
    canned = CannedResponseFactory(shortcut="hi", content="Hello!")
    body = as_agent.get(f"{API}/canned-responses/{canned.pk}/").json()
    assert body == {"id": canned.pk, "shortcut": "hi", "title": canned.title, "content": "Hello!", "usage_count": 0}
    assert as_agent.get(f"{API}/canned-responses/999999/").status_code == 404


# --- budgets --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "add_one"),
    [
        ("/intents/categories/", lambda ctx: IntentKeywordFactory(category=IntentCategoryFactory())),
        ("/intents/categories/{category}/keywords/", lambda ctx: IntentKeywordFactory(category=ctx["category"])),
        ("/intents/categories/{category}/responses/", lambda ctx: IntentResponseFactory(category=ctx["category"])),
        ("/handoff-keywords/", lambda ctx: HandoffKeywordFactory()),
        ("/business-hours/", lambda ctx: BusinessHoursFactory()),
    ],
)
def test_the_lists_keep_their_budget_at_1_and_50(boss, query_budget, url, add_one):
    HandoffKeyword.objects.all().delete()  # the migration's defaults
    ctx = {"category": IntentCategoryFactory()}
    if url == "/intents/categories/":
        ctx["category"].delete()
    full = f"{API}{url.format(category=ctx['category'].pk)}?limit=50"
    query_budget.assert_query_budget(
        request=lambda: boss.get(full),
        add_rows=lambda n: [add_one(ctx) for _ in range(n)],
        budget=query_budget.declared("GET", full),
        expect_items=query_budget.page_size,
    )


def test_each_write_keeps_its_declared_budget(boss, as_agent, query_budget):
    def check(method, url, body=None, status=200):
        budget = query_budget.declared(method.upper(), url).queries
        response = query_budget.assert_queries(lambda: getattr(boss, method)(url, body, format="json"), budget)
        assert response.status_code == status, response.content
        return response.json() if status != 204 else None

    category = check("post", f"{API}/intents/categories/", {"name": "hours"}, 201)
    cat = f"{API}/intents/categories/{category['id']}/"
    check("get", cat)
    check("patch", cat, {"is_active": False})
    keyword = check("post", f"{cat}keywords/", {"keyword": "open"}, 201)
    check("patch", f"{cat}keywords/{keyword['id']}/", {"match_type": "exact"})
    response = check("post", f"{cat}responses/", {"reply_type": "text", "text_content": "9 to 6"}, 201)
    check("patch", f"{cat}responses/{response['id']}/", {"order": 2})
    check("delete", f"{cat}keywords/{keyword['id']}/", status=204)
    check("delete", f"{cat}responses/{response['id']}/", status=204)
    IntentKeywordFactory(category=IntentCategory.objects.get(pk=category["id"]))
    IntentResponseFactory(category=IntentCategory.objects.get(pk=category["id"]))
    check("delete", cat, status=204)  # with a keyword and a response to cascade to
    handoff = check("post", f"{API}/handoff-keywords/", {"keyword": "staff"}, 201)
    check("patch", f"{API}/handoff-keywords/{handoff['id']}/", {"keyword": "a person"})
    check("delete", f"{API}/handoff-keywords/{handoff['id']}/", status=204)
    canned = check("post", f"{API}/canned-responses/", {"shortcut": "hi", "title": "Hi", "content": "Hi!"}, 201)
    check("get", f"{API}/canned-responses/{canned['id']}/")
    check("patch", f"{API}/canned-responses/{canned['id']}/", {"title": "Hello"})
    check("delete", f"{API}/canned-responses/{canned['id']}/", status=204)
    hours = check("post", f"{API}/business-hours/", {"weekday": 0, "opens": "09:00", "closes": "18:00"}, 201)
    check("patch", f"{API}/business-hours/{hours['id']}/", {"closes": "17:00"})
    check("delete", f"{API}/business-hours/{hours['id']}/", status=204)


# --- intents --------------------------------------------------------------------------------


def test_categories_crud_with_counts_and_a_cascading_delete(boss):
    created = boss.post(f"{API}/intents/categories/", {"name": "Opening hours"}, format="json")
    assert created.status_code == 201
    category = created.json()
    assert category == {
        "id": category["id"],
        "name": "Opening hours",
        "is_active": True,
        "keyword_count": 0,
        "response_count": 0,
    }
    _field_error(boss.post(f"{API}/intents/categories/", {"name": "Opening hours"}, format="json"), "name")
    url = f"{API}/intents/categories/{category['id']}/"
    row = IntentCategory.objects.get(pk=category["id"])
    IntentKeywordFactory(category=row)
    IntentKeywordFactory(category=row)
    IntentResponseFactory(category=row)
    assert boss.get(url).json()["keyword_count"] == 2 and boss.get(url).json()["response_count"] == 1
    IntentCategoryFactory(name="Prices")
    _field_error(boss.patch(url, {"name": "Prices"}, format="json"), "name")
    patched = boss.patch(url, {"name": "Hours", "is_active": False}, format="json").json()
    assert patched["name"] == "Hours" and patched["is_active"] is False and patched["keyword_count"] == 2
    assert [c["name"] for c in boss.get(f"{API}/intents/categories/").json()["items"]] == ["Hours", "Prices"]
    empty = boss.patch(url, {}, format="json")
    assert empty.status_code == 400 and empty.json()["code"] == "empty_update"
    for blank in ("   ", "a\x00b", "\x1c", " \ufeff "):
        assert boss.post(f"{API}/intents/categories/", {"name": blank}, format="json").status_code == 400
    assert boss.delete(url).status_code == 204
    assert not IntentKeyword.objects.filter(category_id=category["id"]).exists()
    assert not IntentResponse.objects.filter(category_id=category["id"]).exists()
    assert boss.get(url).status_code == 404 and boss.delete(url).status_code == 404


def test_keywords_are_unique_per_category_case_insensitively_and_the_bot_uses_them_at_once(boss):
    category = IntentCategoryFactory(name="prices")
    IntentResponseFactory(category=category, text_content="From 10 USD")
    url = f"{API}/intents/categories/{category.pk}/keywords/"
    created = boss.post(url, {"keyword": "How much", "match_type": "starts_with"}, format="json")
    assert created.status_code == 201
    assert created.json() == {
        "id": created.json()["id"],
        "category_id": category.pk,
        "keyword": "How much",
        "match_type": "starts_with",
    }
    assert selectors.intent_match("how much is it?", selectors.intent_keywords()).category_id == category.pk
    _field_error(boss.post(url, {"keyword": "how MUCH"}, format="json"), "keyword")
    assert IntentKeyword.objects.filter(category=category).count() == 1  # nothing half-written
    other = IntentCategoryFactory()
    assert boss.post(f"{API}/intents/categories/{other.pk}/keywords/", {"keyword": "how much"}).status_code == 201
    bad_type = boss.post(url, {"keyword": "price", "match_type": "regex"}, format="json")
    assert bad_type.status_code == 400 and "match_type" in bad_type.json()
    assert boss.post(url, {"keyword": ""}, format="json").status_code == 400
    second = boss.post(url, {"keyword": "price"}, format="json").json()
    detail = f"{url}{second['id']}/"
    _field_error(boss.patch(detail, {"keyword": "HOW MUCH"}, format="json"), "keyword")
    assert IntentKeyword.objects.get(pk=second["id"]).keyword == "price"
    assert boss.patch(detail, {"keyword": "cost", "match_type": "exact"}, format="json").json()["keyword"] == "cost"
    assert selectors.intent_match("cost", selectors.intent_keywords()).pk == second["id"]
    # a keyword is reached only through its own category
    assert boss.delete(f"{API}/intents/categories/{other.pk}/keywords/{second['id']}/").status_code == 404
    assert boss.patch(
        f"{API}/intents/categories/{other.pk}/keywords/{second['id']}/", {"keyword": "x"}
    ).status_code == (404)
    assert boss.get(f"{API}/intents/categories/999999/keywords/").status_code == 404
    assert boss.delete(detail).status_code == 204
    assert selectors.intent_match("cost", selectors.intent_keywords()) is None


def test_responses_are_checked_as_line_messages(boss):
    category = IntentCategoryFactory()
    url = f"{API}/intents/categories/{category.pk}/responses/"

    def post(body):
        return boss.post(url, body, format="json")

    text = post({"reply_type": "text", "text_content": "We open at 9.", "order": 1})
    assert text.status_code == 201
    assert text.json() == {
        "id": text.json()["id"],
        "category_id": category.pk,
        "reply_type": "text",
        "text_content": "We open at 9.",
        "payload": {},
        "order": 1,
        "is_active": True,
    }
    sticker = post({"reply_type": "sticker", "payload": STICKER})
    assert sticker.status_code == 201 and sticker.json()["payload"] == STICKER
    _field_error(post({"reply_type": "text"}), "text_content", "invalid_reply")
    _field_error(post({"reply_type": "text", "text_content": "x", "payload": STICKER}), "payload", "invalid_reply")
    _field_error(post({"reply_type": "sticker"}), "payload", "invalid_reply")
    _field_error(post({"reply_type": "image", "payload": STICKER}), "payload", "invalid_reply")  # type mismatch
    _field_error(post({"reply_type": "sticker", "payload": {"type": "sticker"}}), "payload", "invalid_reply")
    _field_error(
        post({"reply_type": "flex", "payload": {"type": "flex", "altText": "x" * 20_000, "contents": {}}}),
        "payload",
        "invalid_reply",
    )
    _field_error(
        post({"reply_type": "sticker", "payload": {**STICKER, "packageId": "4\x006"}}), "payload", "invalid_reply"
    )
    unknown = post({"reply_type": "poll", "text_content": "x"})
    assert unknown.status_code == 400 and "reply_type" in unknown.json()
    assert post({"reply_type": "text", "text_content": "x", "order": -1}).status_code == 400
    assert post({"reply_type": "sticker", "payload": ["not", "an", "object"]}).status_code == 400
    assert IntentResponse.objects.filter(category=category).count() == 2
    # the list is in the bot's order
    listed = boss.get(url).json()["items"]
    assert [r["id"] for r in listed] == [sticker.json()["id"], text.json()["id"]]
    # an update is checked merged with what is stored
    detail = f"{url}{text.json()['id']}/"
    _field_error(boss.patch(detail, {"reply_type": "sticker"}, format="json"), "payload", "invalid_reply")
    assert IntentResponse.objects.get(pk=text.json()["id"]).reply_type == "text"
    changed = boss.patch(detail, {"reply_type": "sticker", "payload": STICKER}, format="json")
    assert changed.status_code == 200 and changed.json()["reply_type"] == "sticker"
    assert boss.patch(f"{API}/intents/categories/{category.pk}/responses/999999/", {"order": 1}).status_code == 404
    assert boss.delete(detail).status_code == 204 and boss.delete(detail).status_code == 404


# --- handoff keywords, canned responses, business hours -------------------------------------


def test_handoff_keywords_are_stored_lowercase_and_unique(boss):
    HandoffKeyword.objects.all().delete()
    created = boss.post(f"{API}/handoff-keywords/", {"keyword": "Real Person"}, format="json")
    assert created.status_code == 201 and created.json()["keyword"] == "real person"
    assert selectors.handoff_keywords() == ["real person"]
    _field_error(boss.post(f"{API}/handoff-keywords/", {"keyword": "REAL PERSON"}, format="json"), "keyword")
    other = HandoffKeywordFactory(keyword="staff")
    detail = f"{API}/handoff-keywords/{other.pk}/"
    _field_error(boss.patch(detail, {"keyword": "real person"}, format="json"), "keyword")
    assert boss.patch(detail, {"keyword": "Manager"}, format="json").json() == {"id": other.pk, "keyword": "manager"}
    assert [k["keyword"] for k in boss.get(f"{API}/handoff-keywords/").json()["items"]] == ["manager", "real person"]
    assert boss.delete(detail).status_code == 204 and boss.delete(detail).status_code == 404
    assert boss.patch(detail, {"keyword": "x"}, format="json").status_code == 404
    assert selectors.handoff_keywords() == ["real person"]


def test_canned_responses_update_and_delete(boss, as_agent):
    canned = CannedResponseFactory(shortcut="hi")
    CannedResponseFactory(shortcut="bye")
    _field_error(
        boss.post(f"{API}/canned-responses/", {"shortcut": "hi", "title": "t", "content": "c"}, format="json"),
        "shortcut",
    )
    detail = f"{API}/canned-responses/{canned.pk}/"
    _field_error(boss.patch(detail, {"shortcut": "bye"}, format="json"), "shortcut")
    assert boss.patch(detail, {"shortcut": "has space"}, format="json").status_code == 400
    updated = boss.patch(detail, {"title": "Greeting", "content": "Hello there"}, format="json").json()
    assert updated["shortcut"] == "hi" and updated["title"] == "Greeting" and updated["content"] == "Hello there"
    assert as_agent.get(detail).json()["content"] == "Hello there"
    assert as_agent.patch(detail, {"title": "x"}, format="json").status_code == 403
    assert as_agent.delete(detail).status_code == 403
    assert boss.delete(detail).status_code == 204
    assert not CannedResponse.objects.filter(pk=canned.pk).exists()
    assert as_agent.get(detail).status_code == 404 and boss.patch(detail, {"title": "x"}).status_code == 404


def test_business_hours_open_before_they_close_on_a_weekday(boss):
    url = f"{API}/business-hours/"
    monday = boss.post(url, {"weekday": 0, "opens": "09:00", "closes": "18:00"}, format="json")
    assert monday.status_code == 201
    assert monday.json() == {"id": monday.json()["id"], "weekday": 0, "opens": "09:00:00", "closes": "18:00:00"}
    boss.post(url, {"weekday": 6, "opens": "10:00", "closes": "12:00"}, format="json")
    boss.post(url, {"weekday": 0, "opens": "07:00", "closes": "08:00"}, format="json")
    assert [(h["weekday"], h["opens"]) for h in boss.get(url).json()["items"]] == [
        (0, "07:00:00"),
        (0, "09:00:00"),
        (6, "10:00:00"),
    ]
    for weekday in (7, -1):
        refused = boss.post(url, {"weekday": weekday, "opens": "09:00", "closes": "10:00"}, format="json")
        assert refused.status_code == 400 and "weekday" in refused.json()
    _field_error(
        boss.post(url, {"weekday": 1, "opens": "18:00", "closes": "09:00"}, format="json"),
        "closes",
        "invalid_business_hours",
    )
    _field_error(
        boss.post(url, {"weekday": 1, "opens": "09:00", "closes": "09:00"}, format="json"),
        "closes",
        "invalid_business_hours",
    )
    for wrong in ("9am", "09:00:00+09:00", "09:00Z", "24:00", "09:00:00.5"):  # local wall-clock HH:MM[:SS] only
        refused = boss.post(url, {"weekday": 1, "opens": wrong, "closes": "23:00"}, format="json")
        assert refused.status_code == 400 and "opens" in refused.json(), wrong
    assert BusinessHours.objects.count() == 3
    # an update is checked against the stored other end
    detail = f"{url}{monday.json()['id']}/"
    _field_error(boss.patch(detail, {"opens": "19:00"}, format="json"), "closes", "invalid_business_hours")
    assert BusinessHours.objects.get(pk=monday.json()["id"]).opens == dt.time(9)
    moved = boss.patch(detail, {"weekday": 2, "opens": "08:30"}, format="json").json()
    assert (moved["weekday"], moved["opens"], moved["closes"]) == (2, "08:30:00", "18:00:00")
    # the bot reads them at once: Wednesday 08:45 in Asia/Tokyo is open
    at = dt.datetime(2026, 11, 25, 8, 45, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    assert selectors.business_hours_state(now=at) == (True, None)
    assert boss.delete(detail).status_code == 204 and boss.delete(detail).status_code == 404
