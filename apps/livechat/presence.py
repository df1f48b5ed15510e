"""Which agents are online: one Redis sorted set, shared by every process.

Each open desk socket is a member `<user>:<socket>` of the sorted set `livechat:presence`
whose score is the time it expires (now + PRESENCE_TTL_S, pushed forward by the socket's
pings). Reading who is online drops the expired members and reads the rest: one pipelined
round trip, O(open sockets), never a scan of the keyspace. A process that dies leaves its
members behind only until their scores pass.

Without Redis (the embedded default, one process) the same set lives in this process.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache import cache

logger = logging.getLogger("brisk.livechat")

PRESENCE_TTL_S = 90
KEY = "livechat:presence"

_local: dict[str, float] = {}
_local_lock = threading.Lock()


def _redis() -> Any:
    """The cache's Redis client, or None when the cache is not django-redis."""
    if not hasattr(cache, "client") or not hasattr(cache.client, "get_client"):
        return None
    return cache.client.get_client(write=True)


def _key() -> str:
    return str(cache.make_key(KEY))


def _member(user_id: int, socket_id: str) -> str:
    return f"{user_id}:{socket_id}"


def mark_online(user_id: int, socket_id: str, *, ttl: float | None = None) -> None:
    """The socket is open (renewed by its consumer, or pinged): online until now + ttl."""
    ttl = PRESENCE_TTL_S if ttl is None else ttl
    expires = time.time() + ttl
    client = _redis()
    if client is None:
        with _local_lock:
            _local[_member(user_id, socket_id)] = expires
        return
    key = _key()
    pipe = client.pipeline(transaction=False)
    pipe.zadd(key, {_member(user_id, socket_id): expires})
    # the set itself outlives its newest member a little, and no longer
    pipe.expire(key, int(ttl) + 60)
    pipe.execute()


def mark_offline(user_id: int, socket_id: str) -> None:
    client = _redis()
    if client is None:
        with _local_lock:
            _local.pop(_member(user_id, socket_id), None)
        return
    client.zrem(_key(), _member(user_id, socket_id))


def online_agent_ids() -> set[int]:
    """The users with at least one unexpired desk socket, on any process (empty when Redis fails)."""
    now = time.time()
    client = _redis()
    if client is None:
        with _local_lock:
            for expired in [m for m, expires in _local.items() if expires <= now]:
                del _local[expired]
            members: list[str | bytes] = list(_local)
    else:
        try:
            pipe = client.pipeline(transaction=False)
            pipe.zremrangebyscore(_key(), "-inf", now)
            pipe.zrange(_key(), 0, -1)
            _, members = pipe.execute()
        except Exception as exc:  # presence is advisory: nobody online rather than a failed request
            logger.warning("livechat presence unavailable: %s", exc.__class__.__name__)
            return set()
    ids = set()
    for member in members:
        ids.add(int((member.decode() if isinstance(member, bytes) else member).split(":", 1)[0]))
    return ids
