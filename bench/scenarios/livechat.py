"""Live-chat desk scenarios.

- webhook message in, signed as LINE signs it: the bot-reply path and the handoff path,
  timed to the 2xx (the view stores the events; processing is background work);
- the conversations page of 50 at 1,000 x scale contacts and 100,000 x scale messages
  (`--scale 10`: the issue's 10k contacts and 1M messages);
- the queue position; KPIs cold (cache dropped before each request) and warm; message search.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time

from bench.harness import Request, Sample, Scenario, declared, queries_from, send, server_ms_from

SECRET = "bench-channel-secret"  # bench/__main__.py gives the server the same
TIME_LIMIT_SECONDS = 25


def seed(scale: int) -> dict:
    from apps.accounts.models import User
    from apps.accounts.services import token_for_user
    from apps.livechat.models import ChatSession, IntentCategory, IntentKeyword, IntentResponse
    from tests.livechat.factories import bulk_desk, make_supervisor

    contacts = 1_000 * scale
    bulk_desk(contacts, 10 * contacts, 100 * contacts)
    supervisor = make_supervisor(username="bench-livechat")
    category = IntentCategory.objects.create(name="bench hours")
    IntentKeyword.objects.create(category=category, keyword="hours", match_type="contains")
    IntentResponse.objects.create(category=category, text_content="We open at 9.")
    waiting = ChatSession.objects.filter(status="waiting").order_by("-started_at").values_list("contact_id", flat=True)
    assert User.objects.filter(pk=supervisor.pk).exists()
    return {"token": token_for_user(user=supervisor), "waiting_contact": waiting.first(), "contacts": contacts}


def _signed(text: str, i: int, kind: str) -> tuple[bytes, dict[str, str]]:
    event = {
        "type": "message",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": f"Ubench{kind}{i:026d}"},
        "webhookEventId": f"01BENCH{kind}{time.time_ns()}{i}",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": f"bench{i}",
        "message": {"type": "text", "id": str(i), "text": text, "quoteToken": f"q{i}"},
    }
    body = json.dumps({"destination": "U" + "0" * 32, "events": [event]}).encode()
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return body, {"X-Line-Signature": signature, "Content-Type": "application/json"}


def _webhook(text: str, kind: str):
    async def run(state: dict, client, base_url: str, n: int) -> list[Sample]:
        deadline = time.monotonic() + TIME_LIMIT_SECONDS
        samples: list[Sample] = []
        counter = iter(range(n))

        async def worker() -> None:
            for i in counter:
                if time.monotonic() > deadline:
                    return
                body, headers = _signed(text, i, kind)
                started = time.perf_counter()
                response = await client.post("/api/livechat/webhook/", content=body, headers=headers)
                samples.append(
                    Sample(
                        ms=(time.perf_counter() - started) * 1000,
                        status=response.status_code,
                        queries=queries_from(response),
                        server_ms=server_ms_from(response),
                    )
                )

        await asyncio.gather(*(worker() for _ in range(4)))
        return samples

    return run


async def kpis_cold(state: dict, client, base_url: str, n: int) -> list[Sample]:
    from django.core.cache import cache

    from apps.livechat.views import KPI_CACHE_KEY

    deadline = time.monotonic() + TIME_LIMIT_SECONDS
    samples = []
    request = Request("GET", "/api/livechat/kpis/", token=state["token"])
    for _ in range(n):
        if time.monotonic() > deadline:
            break
        await asyncio.to_thread(cache.delete, KPI_CACHE_KEY)
        samples.append(await send(client, request))
    return samples


WEBHOOK = declared("livechat:webhook", "POST")
KPIS = "livechat:kpis"

SCENARIOS = [
    # read the known event ids, INSERT the new event (no token: LINE signs)
    Scenario(
        name="livechat.webhook.bot_reply",
        cpu_ceiling_ms=15,
        method="POST",
        budget=WEBHOOK,
        custom=_webhook("what are your hours?", "bot"),
    ),
    Scenario(
        name="livechat.webhook.handoff",
        cpu_ceiling_ms=15,
        method="POST",
        budget=WEBHOOK,
        custom=_webhook("I want a human", "hand"),
    ),
    # token, roles, counts, the page (latest session/message, unread joined), tags
    Scenario(
        name="livechat.conversations.page_50",
        cpu_ceiling_ms=25,
        method="GET",
        budget=declared("livechat:conversations", "GET"),
        request=lambda s, i: Request("GET", "/api/livechat/conversations/?limit=50", token=s["token"]),
    ),
    # token, roles, contact, RANK() with the 24 h average wait
    Scenario(
        name="livechat.queue.position",
        cpu_ceiling_ms=10,
        method="GET",
        budget=declared("livechat:queue", "GET"),
        request=lambda s, i: Request("GET", f"/api/livechat/queue/{s['waiting_contact']}/", token=s["token"]),
    ),
    Scenario(
        name="livechat.kpis.cold", cpu_ceiling_ms=15, method="GET", budget=declared(KPIS, "GET"), custom=kpis_cold
    ),
    Scenario(
        name="livechat.kpis.warm",
        cpu_ceiling_ms=8,
        method="GET",
        budget=declared(KPIS, "GET", fewest=True),
        request=lambda s, i: Request("GET", "/api/livechat/kpis/", token=s["token"]),
    ),
    # token, roles, count, page (full-text on the GIN index)
    Scenario(
        name="livechat.messages.search",
        cpu_ceiling_ms=15,
        method="GET",
        budget=declared("livechat:search", "GET"),
        request=lambda s, i: Request(
            "GET", f"/api/livechat/messages/search/?q=number+{i % 1000 + 1}", token=s["token"]
        ),
    ),
]
