"""The agents' desk socket: `/ws/livechat/`, agents only.

Every agent follows one group (`livechat.desk.agents`) through the process's hub. An agent is
online while a socket of theirs is open on any process: each socket keeps a presence entry in
Redis (apps.livechat.presence: one sorted set of sockets scored by expiry, renewed by the
socket's consumer every third of the expiry while it is open, and by client pings), and
`presence.changed` is broadcast when one opens or closes. With
`LIVECHAT_ASSIGNMENT=round_robin`, an agent's new socket triggers an assignment round.
Supervisors' sockets also follow `livechat.desk.supervisors` (`kpis.updated`).
`{"type": "typing", "data": {"contact_id"}}` from an agent is relayed to the other agents as
`agent.typing`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from apps.core.realtime import BriskConsumer, envelope, send_now
from apps.livechat import events, presence, selectors
from apps.livechat.presence import PRESENCE_TTL_S, online_agent_ids

__all__ = ["PRESENCE_TTL_S", "DeskConsumer", "online_agent_ids"]

logger = logging.getLogger("brisk.livechat")


@database_sync_to_async
def _roles(user: Any) -> set[str]:
    # the same role check as the REST API's
    return selectors.livechat_roles(user=user)


def _presence(user_id: int, socket_id: str, online: bool) -> None:
    try:
        if online:
            presence.mark_online(user_id, socket_id)
        else:
            presence.mark_offline(user_id, socket_id)
    except Exception:  # noqa: S110 - presence is advisory; a cache outage must not close sockets
        pass
    send_now(events.AGENTS_GROUP, envelope(events.PRESENCE_CHANGED, {"agent_id": user_id, "online": online}))
    if online and settings.LIVECHAT_ASSIGNMENT == "round_robin":
        # an agent who comes online takes waiting sessions up to their capacity
        from apps.livechat.tasks import assign_waiting_sessions

        try:
            assign_waiting_sessions.delay()
        except Exception:  # a broker outage must not close the socket; the next trigger assigns
            logger.exception("livechat: could not start an assignment round")


class DeskConsumer(BriskConsumer):
    """Forwards the desk's events to agents (and `kpis.updated` to supervisors); relays typing; keeps presence."""

    socket_id: str = ""
    _renewal: asyncio.Task[None] | None = None

    async def groups_for(self, user: Any) -> list[str] | None:
        roles = await _roles(user)
        if "agent" not in roles:
            return None
        self.socket_id = uuid.uuid4().hex
        await database_sync_to_async(_presence)(user.pk, self.socket_id, True)
        # online while the socket is open, whether or not the client pings
        self._renewal = asyncio.get_running_loop().create_task(self._renew_presence(user.pk))
        if "supervisor" in roles:
            return [events.AGENTS_GROUP, events.SUPERVISORS_GROUP]
        return [events.AGENTS_GROUP]

    async def _renew_presence(self, user_id: int) -> None:
        while True:
            await asyncio.sleep(presence.PRESENCE_TTL_S / 3)
            refresh = asyncio.ensure_future(database_sync_to_async(_presence_refresh)(user_id, self.socket_id))
            try:
                await asyncio.shield(refresh)
            except asyncio.CancelledError:
                await refresh  # the write in flight lands before the leave that cancelled us
                raise

    async def disconnect(self, code: int) -> None:
        if self._renewal is not None:
            self._renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewal  # a renewal in flight cannot put the socket back after it leaves
            self._renewal = None
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
        presence.mark_online(user_id, socket_id)
    except Exception:  # noqa: S110 - advisory
        pass
