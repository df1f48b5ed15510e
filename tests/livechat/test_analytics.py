"""Operator analytics: each figure against a hand-built history at a fixed `now`, the window's
parsing and limits, the budget at 1 and 50 agents, and the same query on SQLite."""

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.utils import timezone

from apps.livechat import selectors
from tests.accounts.factories import UserFactory
from tests.livechat.factories import ChatSessionFactory, CsatResponseFactory, make_agent, make_supervisor
from tests.liveserver import ROOT

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)  # 21:00 in Asia/Tokyo
URL = "/api/livechat/analytics/operators/"


def ago(**kwargs):
    return NOW - dt.timedelta(**kwargs)


def handled(operator, *, claimed, waited=60, first=None, resolved=None, csat=None, status="active"):
    """A session `operator` claimed at `claimed` after `waited` s in the queue; answered
    `first` s after the claim; closed `resolved` s after it started; rated `csat`."""
    started = claimed - dt.timedelta(seconds=waited)
    session = ChatSessionFactory(
        operator=operator,
        status="closed" if resolved is not None else status,
        started_at=started,
        claimed_at=claimed,
        first_response_at=claimed + dt.timedelta(seconds=first) if first is not None else None,
        closed_at=started + dt.timedelta(seconds=resolved) if resolved is not None else None,
    )
    if csat is not None:
        CsatResponseFactory(session=session, score=csat)
    return session


@pytest.fixture
def history():
    ann, bob, cat = make_agent(username="ann"), make_agent(username="bob"), make_agent(username="cat")
    dan = UserFactory(username="dan")  # no longer an agent, but handled a session in the window
    eve = make_agent(username="eve")
    handled(ann, claimed=ago(days=1), waited=60, first=30, resolved=600, csat=4)
    handled(ann, claimed=ago(days=2), waited=120, first=90, resolved=1200, csat=2)
    handled(ann, claimed=ago(hours=1), waited=10)  # active, not answered yet
    handled(bob, claimed=ago(days=3), first=45)
    handled(bob, claimed=ago(days=7), first=15)  # the window's first instant: in
    handled(bob, claimed=ago(days=8), first=500, resolved=900, csat=1)  # before the window
    handled(dan, claimed=ago(days=1), resolved=300, csat=5)
    handled(eve, claimed=NOW, first=1)  # the window's end is excluded
    ChatSessionFactory(status="waiting", started_at=ago(minutes=5))  # nobody's yet
    return {"ann": ann, "bob": bob, "cat": cat, "dan": dan, "eve": eve}


def figures(**kwargs):
    items, total = selectors.operator_analytics(start=ago(days=7), end=NOW, limit=50, offset=0, **kwargs)
    return {item["username"]: item for item in items}, total, [item["username"] for item in items]


def test_each_figure_per_agent_over_the_window(history):
    by_name, total, order = figures()
    assert order == ["ann", "bob", "dan", "cat", "eve"] and total == 5  # busiest first, then id
    assert by_name["ann"] == {
        "agent_id": history["ann"].pk,
        "username": "ann",
        "sessions_handled": 3,
        "sessions_closed": 2,
        "avg_first_response_seconds": 60.0,  # (30 + 90) / 2: the unanswered one is left out
        "avg_resolution_seconds": 900.0,  # (600 + 1200) / 2, closed minus started
        "csat_average": 3.0,
        "csat_responses": 2,
    }
    bob = by_name["bob"]
    assert (bob["sessions_handled"], bob["sessions_closed"], bob["avg_first_response_seconds"]) == (2, 0, 30.0)
    assert bob["avg_resolution_seconds"] is None and bob["csat_average"] is None and bob["csat_responses"] == 0
    dan = by_name["dan"]
    assert (dan["sessions_handled"], dan["avg_resolution_seconds"], dan["csat_average"]) == (1, 300.0, 5.0)
    assert dan["avg_first_response_seconds"] is None
    for idle in ("cat", "eve"):  # agents with nothing in the window: zeros and nulls, still listed
        assert by_name[idle]["sessions_handled"] == 0 and by_name[idle]["avg_first_response_seconds"] is None


def test_a_page_of_agents_with_its_total(history):
    items, total = selectors.operator_analytics(start=ago(days=7), end=NOW, limit=2, offset=1)
    assert [item["username"] for item in items] == ["bob", "dan"] and total == 5
    assert selectors.operator_analytics(start=ago(days=7), end=NOW, limit=2, offset=5) == ([], None)
    assert selectors.operator_analytics_total(start=ago(days=7), end=NOW) == 5
    # a wider window takes bob's older session in
    wider, _ = selectors.operator_analytics(start=ago(days=9), end=NOW, limit=50, offset=0)
    bob = next(item for item in wider if item["username"] == "bob")
    assert (bob["sessions_handled"], bob["avg_resolution_seconds"], bob["csat_average"]) == (3, 900.0, 1.0)


# --- the endpoint ---------------------------------------------------------------------------


@pytest.fixture
def boss(client_for):
    return client_for(make_supervisor(username="zoe"))


def test_from_and_to_as_local_dates_or_datetimes(boss, history):
    # 2026-11-23 in Asia/Tokyo is [2026-11-22T15:00Z, 2026-11-23T15:00Z): ann's day-old session
    # (claimed 2026-11-23T12:00Z) and dan's, not ann's active one (2026-11-24T11:00Z)
    body = boss.get(f"{URL}?from=2026-11-23&to=2026-11-23").json()
    assert (body["from"], body["to"]) == ("2026-11-22T15:00:00Z", "2026-11-23T15:00:00Z")
    counts = {item["username"]: item["sessions_handled"] for item in body["items"]}
    assert counts["ann"] == 1 and counts["dan"] == 1 and counts["bob"] == 0
    assert body["total"] == len(body["items"]) == 6  # the five and the supervisor, an agent too
    same = boss.get(f"{URL}?from=2026-11-23T00:00:00%2B09:00&to=2026-11-24T00:00:00").json()  # naive: local
    assert (same["from"], same["to"]) == (body["from"], body["to"]) and same["items"] == body["items"]
    exact = boss.get(f"{URL}?from=2026-11-23T12:00:00Z&to=2026-11-23T12:00:01Z").json()
    assert {item["username"]: item["sessions_handled"] for item in exact["items"]}["ann"] == 1


def test_the_default_window_is_the_last_7_days(boss):
    agent = make_agent(username="amy")
    now = timezone.now()
    handled(agent, claimed=now - dt.timedelta(days=6), first=20)
    handled(agent, claimed=now - dt.timedelta(days=8), first=80)
    body = boss.get(URL).json()
    amy = next(item for item in body["items"] if item["username"] == "amy")
    assert amy["sessions_handled"] == 1 and amy["avg_first_response_seconds"] == 20.0
    start, end = (dt.datetime.fromisoformat(body[key]) for key in ("from", "to"))
    assert end - start == dt.timedelta(days=7) and abs((end - now).total_seconds()) < 60
    only_to = boss.get(f"{URL}?to=2026-11-23").json()
    assert (only_to["from"], only_to["to"]) == ("2026-11-16T15:00:00Z", "2026-11-23T15:00:00Z")


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("from=2026-11-10&to=2026-11-01", "from", "invalid_period"),
        ("from=2025-01-01&to=2026-11-24", "to", "invalid_period"),  # over 366 days
        ("from=yesterday", "from", None),
        ("to=2026-13-01", "to", None),
        ("to=9999-12-31", "to", None),  # the next midnight does not exist
        ("from=0001-01-01T00:00:00%2B09:00", "from", None),
        ("from=", "from", None),
        ("limit=0", "limit", None),
    ],
)
def test_a_bad_window_is_a_400_naming_the_field(boss, query, field, code):
    response = boss.get(f"{URL}?{query}")
    assert response.status_code == 400, response.content
    assert field in response.json()
    if code:
        assert response.json()["code"] == code


def test_the_endpoint_keeps_its_budget_at_1_and_50_agents_and_past_the_end(boss, query_budget):
    budget = query_budget.declared("GET", URL)
    now = timezone.now()

    def agents_with_a_session(n):
        for _ in range(n):
            handled(make_agent(), claimed=now - dt.timedelta(hours=2), first=10, resolved=600, csat=5)

    # the supervisor is an agent too: 0 + 1 and 49 + 1 rows
    query_budget.assert_query_budget(
        request=lambda: boss.get(f"{URL}?limit=50"),
        add_rows=agents_with_a_session,
        budget=budget.fewest,
        small=0,
        large=49,
        expect_items=lambda response: query_budget.page_size(response) - 1,
    )
    past = query_budget.assert_queries(lambda: boss.get(f"{URL}?offset=100"), budget.queries)
    assert past.json()["items"] == [] and past.json()["total"] == 50


# --- SQLite, the embedded default -----------------------------------------------------------

SQLITE_SCRIPT = r"""
import datetime as dt
import django
django.setup()
from io import StringIO
from django.contrib.auth.models import Group
from django.core.management import call_command
call_command("migrate", stdout=StringIO(), verbosity=0)
from apps.accounts.models import User
from apps.livechat import selectors, services
from apps.livechat.exceptions import DuplicateValue
from apps.livechat.models import ChatSession, Contact, CsatResponse

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
agents = Group.objects.get(name="Agents")
ann, cat = User.objects.create(username="ann"), User.objects.create(username="cat")
for user in (ann, cat):
    user.groups.add(agents)
contact = Contact.objects.create(line_user_id="U1")
def session(claimed, waited, first, resolved, csat):
    started = claimed - dt.timedelta(seconds=waited)
    s = ChatSession.objects.create(
        contact=contact, operator=ann, status="closed", started_at=started, last_activity_at=started,
        claimed_at=claimed, first_response_at=claimed + dt.timedelta(seconds=first),
        closed_at=started + dt.timedelta(seconds=resolved),
    )
    CsatResponse.objects.create(session=s, score=csat)
session(NOW - dt.timedelta(days=1), 60, 30, 600, 4)
session(NOW - dt.timedelta(days=2), 120, 90, 1200, 2)
session(NOW - dt.timedelta(days=9), 1, 1, 1, 1)  # outside
items, total = selectors.operator_analytics(start=NOW - dt.timedelta(days=7), end=NOW, limit=50, offset=0)
assert total == 2, (items, total)
first, second = items
assert (first["username"], first["sessions_handled"], first["sessions_closed"]) == ("ann", 2, 2), first
assert (first["avg_first_response_seconds"], first["avg_resolution_seconds"]) == (60.0, 900.0), first
assert (first["csat_average"], first["csat_responses"]) == (3.0, 2), first
assert (second["username"], second["sessions_handled"], second["csat_average"]) == ("cat", 0, None), second
assert selectors.operator_analytics_total(start=NOW - dt.timedelta(days=7), end=NOW) == 2
category = services.intent_category_create(name="hours")
services.intent_keyword_create(category=category, keyword="Open", match_type="contains")
try:
    services.intent_keyword_create(category=category, keyword="OPEN", match_type="exact")
except DuplicateValue:
    print("sqlite ok")
"""


@pytest.mark.slow
def test_the_figures_and_the_keyword_rule_on_the_embedded_sqlite_default(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'brisk.sqlite3'}", DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", SQLITE_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "sqlite ok" in result.stdout
