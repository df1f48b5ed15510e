"""The agents' desk socket: `/ws/livechat/`, agents only.

Every agent follows one group (`livechat.desk.agents`) through the process's hub. An agent is
online while a socket of theirs is open on any process: each socket keeps a presence key in
Redis (`livechat:presence:<user>:<socket>`, expiring, refreshed by pings), and
`presence.changed` is broadcast when one opens or closes. `{"type": "typing", "data":
{"contact_id"}}` from an agent is relayed to the other agents as `agent.typing`.
"""

from __future__ import annotations

import uuid
from typing import Any

from channels.db import database_sync_to_async
from django.core.cache import cache

from apps.core.realtime import BriskConsumer, envelope, send_now
from apps.livechat import events, selectors

PRESENCE_TTL_S = 90


def presence_key(user_id: int, socket_id: str) -> str:
    return f"livechat:presence:{user_id}:{socket_id}"


def online_agent_ids() -> set[int]:
    """The agents with at least one open socket, on any process (Redis; empty without it)."""
    try:
        keys = cache.keys("livechat:presence:*")  # type: ignore[attr-defined]  # django-redis
    except Exception:
        return set()
    return {int(key.split(":")[2]) for key in keys}


@database_sync_to_async
def _is_agent(user: Any) -> bool:
    # the same role check as the REST API's
    return "agent" in selectors.livechat_roles(user=user)


def _presence(user_id: int, socket_id: str, online: bool) -> None:
    try:
        if online:
            cache.set(presence_key(user_id, socket_id), 1, PRESENCE_TTL_S)
        else:
            cache.delete(presence_key(user_id, socket_id))
    except Exception:  # noqa: S110 - presence is advisory; a cache outage must not close sockets
        pass
    send_now(events.AGENTS_GROUP, envelope(events.PRESENCE_CHANGED, {"agent_id": user_id, "online": online}))


class DeskConsumer(BriskConsumer):
    """Forwards the desk's events to agents; relays typing; keeps presence."""

    socket_id: str = ""

    async def groups_for(self, user: Any) -> list[str] | None:
        if not await _is_agent(user):
            return None
        self.socket_id = uuid.uuid4().hex
        await database_sync_to_async(_presence)(user.pk, self.socket_id, True)
        return [events.AGENTS_GROUP]

    async def disconnect(self, code: int) -> None:
        if self.socket_id and self.user_id is not None:
            await database_sync_to_async(_presence)(self.user_id, self.socket_id, False)
        await super().disconnect(code)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "typing" and self.socket_id:
            contact_id = (content.get("data") or {}).get("contact_id")
            if isinstance(contact_id, int) and not isinstance(contact_id, bool) and contact_id > 0:
                data = {"agent_id": self.user_id, "contact_id": contact_id}
                send_now(events.AGENTS_GROUP, envelope(events.AGENT_TYPING, data))
                return
            await self.send_json({"type": "error", "data": {"detail": "typing needs an integer contact_id."}})
            return
        if isinstance(content, dict) and content.get("type") == "ping" and self.socket_id:
            await database_sync_to_async(_presence_refresh)(self.user_id, self.socket_id)
        await super().receive_json(content, **kwargs)


def _presence_refresh(user_id: int | None, socket_id: str) -> None:
    if user_id is None:
        return
    try:
        cache.set(presence_key(user_id, socket_id), 1, PRESENCE_TTL_S)
    except Exception:  # noqa: S110 - advisory
        pass
