"""Workshop scenarios (issue 11), seeded with bulk SQL:

- a rater's traces page (50 of 1,000 x scale traces, randomised annotation order);
- the annotations page of a workshop with RATERS x 1,000 x scale annotations (facilitator: all);
- irr warm (cached at the workshop's metrics_version) and cold (the cache dropped before
  each request: every rating of the workshop read and the agreement computed);
- status without and with `If-None-Match` (304);
- a 1,000-trace bulk load (the same external ids each time: one upsert that updates them).

The issue's size is 50,000 annotations; `make bench-check` (scale 1) uses RATERS = 10, so
10,000, to keep the whole check short on a 2-core machine: `make bench SCALE=5` reaches 50,000.
"""

from __future__ import annotations

import asyncio
import time

from bench.harness import Request, Sample, Scenario, declared, send

RATERS = 10
TIME_LIMIT_SECONDS = 20


def seed(scale: int) -> dict:
    from django.db import connection

    from apps.accounts.models import User
    from apps.accounts.services import token_for_user
    from apps.workshops import selectors, services
    from apps.workshops.models import Participant
    from tests.workshops.factories import QuestionFactory, bulk_annotations, bulk_traces

    facilitator = User.objects.create_user(username="bench-workshops", password="bench-workshops-password")  # noqa: S106
    raters = [
        User.objects.create_user(username=f"bench-rater-{i}", password="bench-workshops-password")  # noqa: S106
        for i in range(RATERS)
    ]
    workshop = services.workshop_create(user=facilitator, name="Bench workshop", annotation_randomize=True)
    Participant.objects.bulk_create([Participant(workshop=workshop, user=user) for user in raters])
    bulk_traces(workshop, 1_000 * scale, context_bytes=2_000)
    question = QuestionFactory(workshop=workshop, judge_type="likert")
    bulk_annotations(workshop, question, raters)

    def scope(user):
        return selectors.workshop_for_participant(user=user, workshop_id=workshop.pk)

    services.phase_action(workshop=scope(facilitator), action="begin_discovery")
    # straight to annotation (its prerequisites hold: traces, a finding, a question)
    services.finding_upsert(
        workshop=scope(raters[0]), user=raters[0], trace_id=workshop.traces.order_by("id")[0].pk, insight="bench"
    )
    services.phase_action(workshop=scope(facilitator), action="advance")
    services.phase_action(workshop=scope(facilitator), action="begin_annotation")
    loader = services.workshop_create(user=facilitator, name="Bench loads")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE workshops_annotation")
        cursor.execute("VACUUM ANALYZE workshops_traceorder")
    return {
        "workshop": workshop.pk,
        "loader": loader.pk,
        "facilitator": token_for_user(user=facilitator),
        "rater": token_for_user(user=raters[3]),
    }


def _get(path: str, token_key: str, headers: dict | None = None):
    return lambda s, i: Request("GET", f"/api/workshops/{s['workshop']}/{path}", token=s[token_key], headers=headers)


TRACES = [{"external_id": f"load-{i}", "input": f"question {i}", "output": f"answer {i}"} for i in range(1000)]


def _bulk_load(state: dict, i: int) -> Request:
    return Request(
        "POST", f"/api/workshops/{state['loader']}/traces/", token=state["facilitator"], json={"traces": TRACES}
    )


async def irr_cold(state: dict, client, base_url: str, n: int) -> list[Sample]:
    """GET irr with the cached figure dropped before each request."""
    from apps.core.caching import forget
    from apps.workshops.selectors import IRR_CACHE_NAME

    deadline = time.monotonic() + TIME_LIMIT_SECONDS
    request = Request("GET", f"/api/workshops/{state['workshop']}/irr/", token=state["facilitator"])
    samples = []
    for _ in range(n):
        if time.monotonic() > deadline:
            break
        await asyncio.to_thread(forget, IRR_CACHE_NAME, [state["workshop"]])
        samples.append(await send(client, request))
    return samples


async def status_if_none_match(state: dict, client, base_url: str, n: int) -> list[Sample]:
    """GET status with the ETag of the current status: 304, no body."""
    path = f"/api/workshops/{state['workshop']}/status/"
    response = await client.get(path, headers={"Authorization": f"Token {state['rater']}"})
    etag = response.headers["etag"]
    request = Request("GET", path, token=state["rater"], headers={"If-None-Match": etag})
    deadline = time.monotonic() + TIME_LIMIT_SECONDS
    samples = []
    for _ in range(n):
        if time.monotonic() > deadline:
            break
        samples.append(await send(client, request))
    return samples


# CPU ceilings: about 2x the figures of a bench-check at scale 1 (rater page 6.8, annotations
# page 6.0, irr warm 5.0 / cold 43.5, status 8.8 / 304 9.3, bulk load 116 ms/req)
SCENARIOS = [
    # token, seat with workshop, count, page of the rater's order (trace joined)
    Scenario(
        name="workshops.traces.rater_page",
        cpu_ceiling_ms=14,
        method="GET",
        budget=declared("workshops:trace-list", "GET"),
        request=_get("traces/?limit=50", "rater"),
    ),
    # token, seat with workshop, count, page (rater joined)
    Scenario(
        name="workshops.annotations.page",
        cpu_ceiling_ms=12,
        method="GET",
        budget=declared("workshops:annotation-list", "GET"),
        request=_get("annotations/?limit=50", "facilitator"),
    ),
    # token, seat with workshop (the figure from the cache)
    Scenario(
        name="workshops.irr.warm",
        cpu_ceiling_ms=10,
        method="GET",
        budget=declared("workshops:irr", "GET", fewest=True),
        request=_get("irr/", "facilitator"),
    ),
    Scenario(
        name="workshops.irr.cold",
        cpu_ceiling_ms=90,
        method="GET",
        budget=declared("workshops:irr", "GET"),
        custom=irr_cold,
        requests=20,
    ),
    # token, seat with workshop, the status query
    Scenario(
        name="workshops.status",
        cpu_ceiling_ms=18,
        method="GET",
        budget=declared("workshops:status", "GET"),
        request=_get("status/", "rater"),
    ),
    Scenario(
        name="workshops.status.if_none_match",
        cpu_ceiling_ms=18,
        method="GET",
        budget=declared("workshops:status", "GET"),
        custom=status_if_none_match,
    ),
    # token, seat, the existing external ids, one INSERT ... ON CONFLICT of 1,000 rows
    Scenario(
        name="workshops.traces.bulk_load_1000",
        cpu_ceiling_ms=240,
        method="POST",
        budget=declared("workshops:trace-list", "POST"),
        request=_bulk_load,
        requests=20,
        concurrency=1,
    ),
]
