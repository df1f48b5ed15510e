"""Each KPI definition against a hand-built history, at a fixed `now`."""

import datetime as dt

import pytest

from apps.livechat import selectors
from tests.livechat.factories import ChatSessionFactory, ContactFactory, CsatResponseFactory, make_supervisor

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)  # 21:00 in Asia/Tokyo


def ago(**kwargs):
    return NOW - dt.timedelta(**kwargs)


def session(**kwargs):
    kwargs.setdefault("started_at", ago(hours=2))
    return ChatSessionFactory(**kwargs)


def test_first_response_is_first_response_minus_claimed_over_the_last_hour():
    session(status="active", claimed_at=ago(minutes=30), first_response_at=ago(minutes=29))  # 60 s
    session(status="active", claimed_at=ago(minutes=20), first_response_at=ago(minutes=17))  # 180 s
    session(status="active", claimed_at=ago(hours=3), first_response_at=ago(hours=2))  # outside the hour
    assert selectors.kpis(now=NOW)["avg_first_response_seconds"] == 120


def test_resolution_is_closed_minus_started_for_sessions_closed_today():
    # today starts at 00:00 Asia/Tokyo = 15:00 UTC the day before
    session(status="closed", started_at=ago(hours=3), closed_at=ago(hours=2))  # 3600 s
    session(status="closed", started_at=ago(hours=1), closed_at=ago(minutes=30))  # 1800 s
    session(status="closed", started_at=ago(hours=23), closed_at=ago(hours=22))  # closed yesterday (local)
    assert selectors.kpis(now=NOW)["avg_resolution_seconds"] == 2700


def test_csat_over_24_hours():
    CsatResponseFactory(score=5)
    CsatResponseFactory(score=3)
    old = CsatResponseFactory(score=1)
    now = dt.datetime.now(dt.UTC)
    type(old).objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(hours=30))
    figures = selectors.kpis(now=now)
    assert figures["csat_average"] == 4 and figures["csat_percentage"] == 80


def test_fcr_is_the_share_of_closed_sessions_with_no_new_session_within_24_hours():
    once = ContactFactory()
    session(contact=once, status="closed", started_at=ago(days=2), closed_at=ago(days=2) + dt.timedelta(minutes=5))
    back = ContactFactory()
    session(contact=back, status="closed", started_at=ago(days=3), closed_at=ago(days=3) + dt.timedelta(minutes=5))
    session(contact=back, status="closed", started_at=ago(days=3) + dt.timedelta(hours=2), closed_at=ago(days=2))
    later = ContactFactory()  # came back after more than a day: still resolved the first time
    session(contact=later, status="closed", started_at=ago(days=5), closed_at=ago(days=5))
    session(contact=later, status="waiting", started_at=ago(days=3))
    session(status="closed", started_at=ago(days=9), closed_at=ago(days=8))  # outside the 7 days
    # closed in 7 days: once, back#1 (came back), back#2, later#1 → 3 of 4
    assert selectors.kpis(now=NOW)["fcr_rate"] == 75


def test_abandonment_is_timeouts_over_timeouts_plus_claims_in_7_days():
    session(status="closed", closed_by="system_timeout", closed_at=ago(days=1))
    session(status="active", claimed_at=ago(days=1))
    session(status="closed", claimed_at=ago(days=2), closed_at=ago(days=2), closed_by="operator")
    session(status="closed", closed_by="system_timeout", closed_at=ago(days=10))  # outside
    assert selectors.kpis(now=NOW)["abandonment_rate"] == pytest.approx(33.33)


def test_sla_breaches_over_24_hours_add_the_three_thresholds():
    # queue wait over 300 s: claimed after 400 s, and still waiting for 20 minutes
    session(
        status="active",
        started_at=ago(hours=1),
        claimed_at=ago(hours=1) + dt.timedelta(seconds=400),
        first_response_at=ago(hours=1) + dt.timedelta(seconds=410),
    )
    session(status="waiting", started_at=ago(minutes=20))
    # within the queue SLA, but the first response took 200 s (> 120)
    session(
        status="active",
        started_at=ago(hours=2),
        claimed_at=ago(hours=2) + dt.timedelta(seconds=10),
        first_response_at=ago(hours=2) + dt.timedelta(seconds=210),
    )
    # resolution over 1800 s (started 2 h before closing), queue and first response fine
    session(
        status="closed",
        started_at=ago(hours=5),
        claimed_at=ago(hours=5) + dt.timedelta(seconds=5),
        first_response_at=ago(hours=5) + dt.timedelta(seconds=10),
        closed_at=ago(hours=3),
    )
    # all within: no breach
    session(
        status="closed",
        started_at=ago(hours=4),
        claimed_at=ago(hours=4) + dt.timedelta(seconds=5),
        first_response_at=ago(hours=4) + dt.timedelta(seconds=10),
        closed_at=ago(hours=4) + dt.timedelta(minutes=5),
    )
    assert selectors.kpis(now=NOW)["sla_breach_events_24h"] == 4


def test_counts_today_and_human_mode():
    session(status="waiting", started_at=ago(hours=1))
    session(status="active", started_at=ago(hours=2), claimed_at=ago(hours=1))
    session(status="closed", started_at=ago(hours=22), closed_at=ago(hours=21))  # yesterday, local
    ContactFactory(chat_mode="human")
    figures = selectors.kpis(now=NOW)
    assert (figures["waiting"], figures["active"], figures["sessions_today"], figures["human_mode_users"]) == (
        1,
        1,
        2,
        1,
    )


def test_no_history_gives_nulls_not_errors():
    figures = selectors.kpis(now=NOW)
    assert figures["fcr_rate"] is None and figures["abandonment_rate"] is None and figures["csat_average"] is None


def test_the_endpoint_is_two_queries_and_cached(client_for, query_budget, settings):
    client = client_for(make_supervisor())
    budget = query_budget.declared("GET", "/api/livechat/kpis/")
    cold = query_budget.assert_queries(lambda: client.get("/api/livechat/kpis/"), budget.queries)
    session(status="waiting")
    warm = query_budget.assert_queries(lambda: client.get("/api/livechat/kpis/"), budget.fewest)
    assert warm.json() == cold.json()  # cached for LIVECHAT_KPI_TTL
