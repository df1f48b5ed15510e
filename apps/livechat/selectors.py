"""Reads of the live-chat desk: each function returns exactly what its caller shows, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
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
    Tag,
)

DEFAULT_WAIT_PER_POSITION_S = 120.0  # the estimate per queue place with no claim in the last 24 h
WAITING = ChatSession.Status.WAITING
ACTIVE = ChatSession.Status.ACTIVE


def _seconds(later: str, earlier: str) -> str:
    """SQL for `later - earlier` in seconds, on either database."""
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def _fetch(sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [col[0] for col in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _aware(value: Any) -> Any:
    """A timestamp from raw SQL as Django would give it (SQLite returns text)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


# --- agents ---------------------------------------------------------------------------------


def livechat_roles(*, user) -> set[str]:
    """The caller's live-chat roles ({"agent", "supervisor"}), in one query (superusers: both)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        return {"agent", "supervisor"}
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    # one query: the user's own and their groups' livechat permissions
    return set(
        Permission.objects.filter(Q(user=user) | Q(group__user=user), content_type__app_label="livechat")
        .filter(codename__in=["agent", "supervisor"])
        .values_list("codename", flat=True)
        .distinct()
    )


def _agent_role() -> Any:
    """Who holds `livechat.agent` (own or through a group) or is a superuser, as EXISTS
    subqueries on the user's row: no OR over two many-valued joins and no DISTINCT."""
    from django.contrib.auth import get_user_model
    from django.db.models import Exists, OuterRef, Q

    user_model = get_user_model()
    own = user_model.user_permissions.through.objects.filter(
        user_id=OuterRef("pk"), permission__codename="agent", permission__content_type__app_label="livechat"
    )
    via_group = user_model.groups.through.objects.filter(
        user_id=OuterRef("pk"),
        group__permissions__codename="agent",
        group__permissions__content_type__app_label="livechat",
    )
    return Q(is_superuser=True) | Exists(own) | Exists(via_group)


def agent_queryset() -> QuerySet[Any]:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_active=True).filter(_agent_role())


def is_agent(user_id: int) -> bool:
    return agent_queryset().filter(pk=user_id).exists()


ASSIGNMENT_MEMORY = dt.timedelta(hours=24)  # "least recently assigned" looks this far back


def agent_loads(*, agent_ids: set[int] | list[int], now: dt.datetime | None = None) -> dict[int, tuple[int, Any]]:
    """{agent id: (active sessions, last claimed_at in the last 24 h or None)} for those of
    `agent_ids` who are active agents, in one query (per agent: two EXISTS for the role, the
    active count on the `(operator, status)` index, the latest claim on the `claimed_at` index)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count, IntegerField, Max, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    if not agent_ids:
        return {}
    since = (now or timezone.now()) - ASSIGNMENT_MEMORY
    active = (
        ChatSession.objects.filter(operator=OuterRef("pk"), status=ACTIVE)
        .order_by()
        .values("operator")
        .annotate(n=Count("id"))
        .values("n")
    )
    last = (
        ChatSession.objects.filter(operator=OuterRef("pk"), claimed_at__gte=since)
        .order_by()
        .values("operator")
        .annotate(at=Max("claimed_at"))
        .values("at")
    )
    user_model = get_user_model()
    rows = (
        user_model.objects.filter(pk__in=list(agent_ids), is_active=True)
        .filter(_agent_role())
        .annotate(
            active=Coalesce(Subquery(active, output_field=IntegerField()), 0),
            last_assigned=Subquery(last),
        )
        .values_list("pk", "active", "last_assigned")
    )
    return {pk: (int(n), _aware(at)) for pk, n, at in rows}


# --- the bot --------------------------------------------------------------------------------


def intent_keywords() -> list[IntentKeyword]:
    """Active keywords with their category and its active responses in order (keywords and
    categories joined in one query, the responses prefetched in one more)."""
    responses = IntentResponse.objects.filter(is_active=True).order_by("order", "id")
    return list(
        IntentKeyword.objects.filter(category__is_active=True)
        .select_related("category")
        .prefetch_related(Prefetch("category__responses", queryset=responses, to_attr="active_responses"))
    )


MATCH_ORDER = (IntentKeyword.MatchType.EXACT, IntentKeyword.MatchType.STARTS_WITH, IntentKeyword.MatchType.CONTAINS)


def intent_match(text: str, keywords: list[IntentKeyword]) -> IntentKeyword | None:
    """exact first, then starts_with, then contains, case-insensitive; the longest keyword wins a tie."""
    needle = text.strip().casefold()
    tests = {
        IntentKeyword.MatchType.EXACT: lambda k: needle == k,
        IntentKeyword.MatchType.STARTS_WITH: lambda k: needle.startswith(k),
        IntentKeyword.MatchType.CONTAINS: lambda k: k in needle,
    }
    for match_type in MATCH_ORDER:
        found = [
            kw
            for kw in keywords
            if kw.match_type == match_type and kw.keyword and tests[match_type](kw.keyword.casefold())
        ]
        if found:
            return max(found, key=lambda kw: (len(kw.keyword), -kw.pk))
    return None


def handoff_keywords() -> list[str]:
    return [k.casefold() for k in HandoffKeyword.objects.values_list("keyword", flat=True)]


# --- business hours -------------------------------------------------------------------------


def business_hours_state(*, now: dt.datetime | None = None) -> tuple[bool, dt.datetime | None]:
    """(open now, next opening) in LIVECHAT_TIME_ZONE; no rows means always open. One query."""
    rows = list(BusinessHours.objects.values_list("weekday", "opens", "closes"))
    if not rows:
        return True, None
    zone = ZoneInfo(settings.LIVECHAT_TIME_ZONE)
    local = (now or timezone.now()).astimezone(zone)
    for weekday, opens, closes in rows:
        if weekday == local.weekday() and opens <= local.time() < closes:
            return True, None
    for days in range(8):
        day = local.date() + dt.timedelta(days=days)
        starts = sorted(opens for weekday, opens, _ in rows if weekday == day.weekday())
        for opens in starts:
            at = dt.datetime.combine(day, opens, tzinfo=zone)
            if at > local:
                return False, at
    return False, None


# --- the queue ------------------------------------------------------------------------------


def queue_position(*, contact_id: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """{position, total_waiting, estimated_wait_seconds} in one query: RANK() by started_at
    among waiting sessions, and the average claim wait of the last 24 hours."""
    now = now or timezone.now()
    wait = _seconds("claimed_at", "started_at")
    sql = f"""
        WITH queue AS (
            SELECT contact_id, RANK() OVER (ORDER BY started_at) AS position
            FROM livechat_chatsession WHERE status = %s
        )
        SELECT
            (SELECT MIN(position) FROM queue WHERE contact_id = %s) AS position,
            (SELECT COUNT(*) FROM queue) AS total,
            (SELECT AVG({wait}) FROM livechat_chatsession
              WHERE claimed_at IS NOT NULL AND claimed_at >= %s AND claimed_at <= %s) AS average_wait
    """  # noqa: S608 - only our own fragments are interpolated
    row = _fetch(sql, [WAITING, contact_id, now - dt.timedelta(hours=24), now])[0]
    position = int(row["position"] or 0)
    average = float(row["average_wait"]) if row["average_wait"] is not None else DEFAULT_WAIT_PER_POSITION_S
    return {
        "position": position,
        "total_waiting": int(row["total"] or 0),
        "estimated_wait_seconds": round(position * average),
    }


# --- conversations --------------------------------------------------------------------------


def _conversation_filter(filters: dict[str, Any]) -> tuple[str, list[Any]]:
    clauses, params = ["1 = 1"], []
    status = filters.get("status")
    if status in (WAITING, ACTIVE):
        clauses.append("EXISTS (SELECT 1 FROM livechat_chatsession s WHERE s.contact_id = c.id AND s.status = %s)")
        params.append(status)
    elif status == "bot":
        clauses.append("c.chat_mode = %s")
        params.append(Contact.ChatMode.BOT)
    if filters.get("tag") is not None:
        clauses.append("EXISTS (SELECT 1 FROM livechat_contact_tags ct WHERE ct.contact_id = c.id AND ct.tag_id = %s)")
        params.append(filters["tag"])
    return " AND ".join(clauses), params


def conversation_counts(*, filters: dict[str, Any]) -> dict[str, int]:
    """The page's total and the desk's waiting and active counts, in one query."""
    where, params = _conversation_filter(filters)
    sql = f"""
        SELECT
            (SELECT COUNT(*) FROM livechat_contact c WHERE {where}) AS total,
            (SELECT COUNT(*) FROM livechat_chatsession WHERE status = %s) AS waiting_count,
            (SELECT COUNT(*) FROM livechat_chatsession WHERE status = %s) AS active_count
    """  # noqa: S608 - only our own fragments are interpolated
    row = _fetch(sql, [*params, WAITING, ACTIVE])[0]
    return {key: int(value) for key, value in row.items()}


def conversation_page(*, agent_id: int, filters: dict[str, Any], limit: int, offset: int) -> list[dict[str, Any]]:
    """One page of contacts, newest activity first, each with its latest session, its latest
    message and the agent's unread count, in one query:
    - the latest session per page contact by ROW_NUMBER() (a contact has few sessions);
    - the latest message per page contact by MAX(id) on the (contact, id) index (one
      backward index probe each, where a window would read every message of the page);
    - unread counts by one grouped count over the page's incoming messages newer than the
      agent's read marker, not one count per conversation."""
    where, params = _conversation_filter(filters)
    # On PostgreSQL `= ANY(ARRAY(...))`: the page's 50 ids as one array, probed on the
    # (contact, ...) indexes; as `IN (SELECT ...)` the planner hashed the page and scanned
    # every message and session.
    in_page = "= ANY(ARRAY(SELECT id FROM page))" if connection.vendor == "postgresql" else "IN (SELECT id FROM page)"
    sql = f"""
        WITH page AS (
            SELECT c.id, c.line_user_id, c.display_name, c.picture_url, c.friend_status, c.chat_mode,
                   c.last_message_at
            FROM livechat_contact c WHERE {where}
            ORDER BY c.last_message_at DESC NULLS LAST, c.id DESC
            LIMIT %s OFFSET %s
        ),
        latest_session AS (
            SELECT * FROM (
                SELECT s.id, s.contact_id, s.status, s.operator_id, s.started_at, s.claimed_at, s.closed_at,
                       ROW_NUMBER() OVER (PARTITION BY s.contact_id ORDER BY s.id DESC) AS rn
                FROM livechat_chatsession s WHERE s.contact_id {in_page}
            ) ranked WHERE rn = 1
        ),
        unread AS (
            SELECT m.contact_id, COUNT(*) AS n
            FROM livechat_message m
            LEFT JOIN livechat_readmarker r ON r.contact_id = m.contact_id AND r.agent_id = %s
            WHERE m.contact_id {in_page} AND m.direction = 'incoming'
              AND (r.read_at IS NULL OR m.created_at > r.read_at)
            GROUP BY m.contact_id
        )
        SELECT p.*,
               ls.id AS session_id, ls.status AS session_status, ls.operator_id AS session_operator_id,
               ls.started_at AS session_started_at, ls.claimed_at AS session_claimed_at,
               ls.closed_at AS session_closed_at,
               lm.id AS message_id, lm.direction AS message_direction, lm.message_type AS message_type,
               lm.content AS message_content, lm.sender_role AS message_sender_role,
               lm.created_at AS message_created_at,
               COALESCE(u.n, 0) AS unread_count
        FROM page p
        LEFT JOIN latest_session ls ON ls.contact_id = p.id
        LEFT JOIN livechat_message lm ON lm.id = (SELECT MAX(m2.id) FROM livechat_message m2 WHERE m2.contact_id = p.id)
        LEFT JOIN unread u ON u.contact_id = p.id
        ORDER BY p.last_message_at DESC NULLS LAST, p.id DESC
    """  # noqa: S608 - only our own fragments are interpolated
    rows = _fetch(sql, [*params, limit, offset, agent_id])
    for row in rows:
        for key in (
            "last_message_at",
            "session_started_at",
            "session_claimed_at",
            "session_closed_at",
            "message_created_at",
        ):
            row[key] = _aware(row[key])
    return rows


def tags_for_contacts(contact_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The page's tags, in one query."""
    tags: dict[int, list[dict[str, Any]]] = {pk: [] for pk in contact_ids}
    rows = (
        Contact.tags.through.objects.filter(contact_id__in=contact_ids)
        .values_list("contact_id", "tag_id", "tag__name", "tag__color")
        .order_by("tag__name")
    )
    for contact_id, tag_id, name, color in rows:
        tags[contact_id].append({"id": tag_id, "name": name, "color": color})
    return tags


def contact_get(*, contact_id: int) -> Contact | None:
    """The contact under /conversations/{contact_id}/ (None: 404)."""
    return Contact.objects.filter(pk=contact_id).first()


def contact_exists(*, contact_id: int) -> bool:
    return Contact.objects.filter(pk=contact_id).exists()


def contact_messages(*, contact_id: int) -> QuerySet[Message, Any]:
    """A contact's messages for the cursor pages (ordered by the paginator, on the (contact, id) index)."""
    return Message.objects.filter(contact_id=contact_id).values(
        "id",
        "session_id",
        "direction",
        "message_type",
        "content",
        "payload",
        "media",
        "sender_role",
        "operator_id",
        "delivery",
        "created_at",
    )


def conversation_export(*, contact_id: int) -> QuerySet[Message, Any]:
    """The whole conversation, oldest first, as CSV rows (operator's username joined): one
    query, read through a server-side cursor by apps.livechat.export."""
    return (
        Message.objects.filter(contact_id=contact_id)
        .order_by("id")
        .values_list(
            "id",
            "created_at",
            "direction",
            "sender_role",
            "operator__username",
            "message_type",
            "content",
            "delivery",
            "media",
        )
    )


def open_session(*, contact_id: int) -> ChatSession | None:
    return (
        ChatSession.objects.filter(contact_id=contact_id, status__in=ChatSession.OPEN).order_by("-started_at").first()
    )


def message_search(*, q: str) -> QuerySet[Message, Any]:
    """Full-text search over message content on PostgreSQL (the GIN index); a contains match elsewhere."""
    # newest first by created_at (no index of its own): ordered by id, the planner walks the
    # primary key backwards filtering 1M rows for a rare word instead of asking the GIN index
    qs = Message.objects.order_by("-created_at", "-id")
    if connection.vendor == "postgresql":
        qs = qs.extra(  # noqa: S610 - the expression matches the index; q is a parameter
            where=["to_tsvector('simple', content) @@ plainto_tsquery('simple', %s)"], params=[q]
        )
    else:
        qs = qs.filter(content__icontains=q)
    return qs.values(
        "id", "contact_id", "session_id", "direction", "message_type", "content", "sender_role", "created_at"
    )


# --- KPIs -----------------------------------------------------------------------------------


def _local_midnight(now: dt.datetime) -> dt.datetime:
    local = now.astimezone(ZoneInfo(settings.LIVECHAT_TIME_ZONE))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def kpis(*, now: dt.datetime | None = None) -> dict[str, Any]:
    """The supervisors' figures in two queries: the session and contact figures as conditional
    aggregates in one SELECT, and CSAT in another."""
    now = now or timezone.now()
    hour, day, week = now - dt.timedelta(hours=1), now - dt.timedelta(hours=24), now - dt.timedelta(days=7)
    today = _local_midnight(now)
    first = _seconds("first_response_at", "claimed_at")
    resolution = _seconds("closed_at", "started_at")
    queue_wait = _seconds("COALESCE(claimed_at, closed_at, %s)", "started_at")
    first_open = _seconds("COALESCE(first_response_at, %s)", "claimed_at")
    later = _seconds("n.started_at", "s.closed_at")
    sql = f"""
        SELECT
            (SELECT COUNT(*) FROM livechat_chatsession WHERE status = 'waiting') AS waiting,
            (SELECT COUNT(*) FROM livechat_chatsession WHERE status = 'active') AS active,
            (SELECT AVG({first}) FROM livechat_chatsession
              WHERE first_response_at IS NOT NULL AND claimed_at IS NOT NULL
                AND first_response_at >= %s AND first_response_at <= %s) AS avg_first_response,
            (SELECT AVG({resolution}) FROM livechat_chatsession
              WHERE closed_at >= %s AND closed_at <= %s) AS avg_resolution,
            (SELECT COUNT(*) FROM livechat_chatsession s WHERE s.closed_at >= %s AND s.closed_at <= %s) AS closed_7d,
            (SELECT COUNT(*) FROM livechat_chatsession s WHERE s.closed_at >= %s AND s.closed_at <= %s
               AND NOT EXISTS (SELECT 1 FROM livechat_chatsession n WHERE n.contact_id = s.contact_id
                               AND n.id <> s.id AND n.started_at >= s.closed_at AND {later} <= 86400)) AS resolved_7d,
            (SELECT COUNT(*) FROM livechat_chatsession WHERE closed_by = 'system_timeout'
               AND closed_at >= %s AND closed_at <= %s) AS timeouts_7d,
            (SELECT COUNT(*) FROM livechat_chatsession WHERE claimed_at >= %s AND claimed_at <= %s) AS claimed_7d,
            (SELECT COUNT(*) FROM livechat_chatsession WHERE started_at >= %s AND started_at <= %s
               AND {queue_wait} > %s) AS queue_breaches,
            (SELECT COUNT(*) FROM livechat_chatsession WHERE claimed_at >= %s AND claimed_at <= %s
               AND {first_open} > %s) AS first_response_breaches,
            (SELECT COUNT(*) FROM livechat_chatsession WHERE closed_at >= %s AND closed_at <= %s
               AND {resolution} > %s) AS resolution_breaches,
            (SELECT COUNT(*) FROM livechat_chatsession WHERE started_at >= %s AND started_at <= %s) AS sessions_today,
            (SELECT COUNT(*) FROM livechat_contact WHERE chat_mode = 'human') AS human_mode_users
    """  # noqa: S608 - only our own fragments are interpolated
    params = [
        hour,
        now,
        today,
        now,
        week,
        now,
        week,
        now,
        week,
        now,
        week,
        now,
        day,
        now,
        now,
        settings.LIVECHAT_SLA_QUEUE_S,
        day,
        now,
        now,
        settings.LIVECHAT_SLA_FIRST_RESPONSE_S,
        day,
        now,
        settings.LIVECHAT_SLA_RESOLUTION_S,
        today,
        now,
    ]
    row = _fetch(sql, params)[0]
    csat = CsatResponse.objects.filter(created_at__gte=day, created_at__lte=now).values_list("score", flat=True)
    # second query: CSAT over 24 h (average of the scores)
    from django.db.models import Avg

    csat_average = csat.aggregate(avg=Avg("score"))["avg"]
    closed, timeouts, claimed = int(row["closed_7d"]), int(row["timeouts_7d"]), int(row["claimed_7d"])

    def rounded(value: Any) -> float | None:
        return None if value is None else round(float(value), 2)

    return {
        "waiting": int(row["waiting"]),
        "active": int(row["active"]),
        "avg_first_response_seconds": rounded(row["avg_first_response"]),
        "avg_resolution_seconds": rounded(row["avg_resolution"]),
        "csat_average": rounded(csat_average),
        "csat_percentage": rounded(float(csat_average) / 5 * 100) if csat_average is not None else None,
        "fcr_rate": rounded(int(row["resolved_7d"]) / closed * 100) if closed else None,
        "abandonment_rate": rounded(timeouts / (timeouts + claimed) * 100) if timeouts + claimed else None,
        "sla_breach_events_24h": int(row["queue_breaches"])
        + int(row["first_response_breaches"])
        + int(row["resolution_breaches"]),
        "sessions_today": int(row["sessions_today"]),
        "human_mode_users": int(row["human_mode_users"]),
        "timestamp": now,
    }


def tag_list() -> QuerySet[Tag]:
    return Tag.objects.order_by("name")


def tag_exists(*, tag_id: int) -> bool:
    return Tag.objects.filter(pk=tag_id).exists()


def canned_responses() -> QuerySet[CannedResponse]:
    """Canned responses by shortcut, for the agents' picker (paged by the view)."""
    return CannedResponse.objects.order_by("shortcut")


# --- supervisors' settings ------------------------------------------------------------------


def _count_per_category(model: Any) -> Coalesce:
    # a correlated count per row of the page, not a join of both tables multiplied
    counts = model.objects.filter(category=OuterRef("pk")).order_by().values("category").annotate(n=Count("*"))
    return Coalesce(Subquery(counts.values("n"), output_field=IntegerField()), 0)


def intent_categories() -> QuerySet[IntentCategory]:
    """Categories by name with their keyword and response counts (the page in one query;
    the paginator's COUNT leaves the unused subqueries out)."""
    return IntentCategory.objects.annotate(
        keyword_count=_count_per_category(IntentKeyword), response_count=_count_per_category(IntentResponse)
    ).order_by("name", "id")


def intent_category_get(*, category_id: int) -> IntentCategory | None:
    return intent_categories().filter(pk=category_id).first()


def intent_keywords_of(*, category_id: int) -> QuerySet[IntentKeyword]:
    return IntentKeyword.objects.filter(category_id=category_id).order_by("id")


def intent_responses_of(*, category_id: int) -> QuerySet[IntentResponse]:
    """In the order the bot sends them."""
    return IntentResponse.objects.filter(category_id=category_id).order_by("order", "id")


def handoff_keyword_list() -> QuerySet[HandoffKeyword]:
    return HandoffKeyword.objects.order_by("keyword")


def canned_response_get(*, canned_id: int) -> CannedResponse | None:
    return CannedResponse.objects.filter(pk=canned_id).first()


def business_hours_list() -> QuerySet[BusinessHours]:
    return BusinessHours.objects.order_by("weekday", "opens", "id")


# --- operator analytics ---------------------------------------------------------------------


def _agent_ids_sql() -> tuple[str, tuple[Any, ...]]:
    """The agents' ids as SQL to embed (the one definition of an agent: agent_queryset)."""
    sql, params = agent_queryset().order_by().values("pk").query.sql_with_params()
    return sql, tuple(params)


def operator_analytics(
    *, start: dt.datetime, end: dt.datetime, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int | None]:
    """Per agent, over the sessions they claimed in [start, end): sessions handled and closed,
    average first response (first_response_at - claimed_at), average resolution (closed_at -
    started_at, closed ones), CSAT average and count. One grouped query with conditional
    aggregates, on PostgreSQL and SQLite; the page's total rides along as COUNT(*) OVER ().

    Every agent is listed (zero sessions: zero and nulls), and so is anyone else who
    handled a session in the window (a former agent). A session counts for its operator as
    stored, so a transferred session counts for whoever has it now. Busiest first, then id.
    Returns (rows, total); total is None when the page is empty (past the end, or no agents).
    """
    from django.contrib.auth import get_user_model

    users = connection.ops.quote_name(get_user_model()._meta.db_table)
    agents_sql, agents_params = _agent_ids_sql()
    first = _seconds("s.first_response_at", "s.claimed_at")
    resolution = _seconds("s.closed_at", "s.started_at")
    sql = f"""
        SELECT u.id AS agent_id, u.username AS username,
               COUNT(s.id) AS sessions_handled,
               COUNT(s.closed_at) AS sessions_closed,
               AVG(CASE WHEN s.first_response_at IS NOT NULL THEN {first} END) AS avg_first_response,
               AVG(CASE WHEN s.closed_at IS NOT NULL THEN {resolution} END) AS avg_resolution,
               AVG(c.score) AS csat_average,
               COUNT(c.id) AS csat_responses,
               COUNT(*) OVER () AS total
        FROM {users} u
        LEFT JOIN livechat_chatsession s
               ON s.operator_id = u.id AND s.claimed_at >= %s AND s.claimed_at < %s
        LEFT JOIN livechat_csatresponse c ON c.session_id = s.id
        WHERE u.id IN ({agents_sql}) OR s.id IS NOT NULL
        GROUP BY u.id, u.username
        ORDER BY COUNT(s.id) DESC, u.id
        LIMIT %s OFFSET %s
    """  # noqa: S608 - only our own fragments are interpolated
    adapt = connection.ops.adapt_datetimefield_value
    rows = _fetch(sql, [adapt(start), adapt(end), *agents_params, limit, offset])

    def rounded(value: Any) -> float | None:
        return None if value is None else round(float(value), 2)

    items = [
        {
            "agent_id": row["agent_id"],
            "username": row["username"],
            "sessions_handled": int(row["sessions_handled"]),
            "sessions_closed": int(row["sessions_closed"]),
            "avg_first_response_seconds": rounded(row["avg_first_response"]),
            "avg_resolution_seconds": rounded(row["avg_resolution"]),
            "csat_average": rounded(row["csat_average"]),
            "csat_responses": int(row["csat_responses"]),
        }
        for row in rows
    ]
    return items, (int(rows[0]["total"]) if rows else None)


def operator_analytics_total(*, start: dt.datetime, end: dt.datetime) -> int:
    """How many rows operator_analytics has in all (for a page past the end)."""
    agents_sql, agents_params = _agent_ids_sql()
    sql = f"""
        SELECT COUNT(*) AS n FROM (
            SELECT operator_id AS id FROM livechat_chatsession
            WHERE operator_id IS NOT NULL AND claimed_at >= %s AND claimed_at < %s
            UNION
            {agents_sql}
        ) people
    """  # noqa: S608 - only our own fragments are interpolated
    adapt = connection.ops.adapt_datetimefield_value
    return int(_fetch(sql, [adapt(start), adapt(end), *agents_params])[0]["n"])
