"""Per-user limits on concurrent long-polls and WebSockets, shared by every server process.

Each open socket or waiting long-poll holds a lease: a member of the Redis sorted set
`<prefix>:conc:<kind>:<user>` scored by its expiry time. Acquiring drops expired leases
and adds one only while the user holds fewer than the limit, atomically (one Lua call),
so two workers cannot both take the last place. A lease expires by itself when its
process dies without releasing it (a long-poll's after its wait, a socket's within
`LEASE_SECONDS` unless the process renews it), so a crash never locks a user out.
Without Redis the counts are per process. If Redis cannot be reached, the limit is
not enforced (logged): a limit must never take the service down with it.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
import uuid
import weakref

import redis.asyncio as aioredis
from django.conf import settings

logger = logging.getLogger("brisk.concurrency")

LEASE_SECONDS = 120  # a socket's lease; its process renews it every RENEW_SECONDS
RENEW_SECONDS = 40
POOL_SIZE = 16  # Redis connections per process for the leases

_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


class _Leases:
    """One per event loop: the Redis client and the socket leases it renews."""

    def __init__(self) -> None:
        # A bounded pool whose callers wait for a free connection: a burst of a thousand polls
        # must queue for Redis, not fail (redis-py's default pool raises past its size).
        self.client = (
            aioredis.Redis(
                connection_pool=aioredis.BlockingConnectionPool.from_url(
                    settings.REDIS_URL, max_connections=POOL_SIZE, timeout=5, socket_timeout=2, socket_connect_timeout=2
                )
            )
            if settings.REDIS_URL
            else None
        )
        self.local: collections.Counter[str] = collections.Counter()
        self.renewed: set[Lease] = set()
        self.renewer: asyncio.Task[None] | None = None

    async def renew_forever(self) -> None:
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            if not self.renewed or self.client is None:
                continue
            expires = time.time() + LEASE_SECONDS
            try:
                async with self.client.pipeline(transaction=False) as pipe:
                    for lease in self.renewed:
                        pipe.zadd(lease.key, {lease.member: expires}, xx=True)
                        pipe.expire(lease.key, LEASE_SECONDS)
                    await pipe.execute()
            except Exception as exc:
                logger.warning("lease renewal failed: %s", exc.__class__.__name__)


_per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Leases] = weakref.WeakKeyDictionary()


def _leases() -> _Leases:
    loop = asyncio.get_running_loop()
    leases = _per_loop.get(loop)
    if leases is None:
        leases = _per_loop[loop] = _Leases()
    return leases


class Lease:
    """A place held by one socket or long-poll; `release()` gives it back."""

    def __init__(self, key: str, member: str, leases: _Leases) -> None:
        self.key = key
        self.member = member
        self.leases = leases

    async def release(self) -> None:
        self.leases.renewed.discard(self)
        if self.leases.client is None:
            self.leases.local[self.key] -= 1
            return
        try:
            await self.leases.client.zrem(self.key, self.member)
        except Exception as exc:  # it expires anyway
            logger.warning("lease release failed: %s", exc.__class__.__name__)


async def acquire(
    kind: str, user_id: int, limit: int, *, seconds: float = LEASE_SECONDS, refresh: bool = False
) -> Lease | None:
    """A lease on one of `limit` places of `kind` for the user, or None when all are taken.

    `seconds`: how long the lease lives unless released; `refresh=True` renews it while
    the process lives (sockets).
    """
    leases = _leases()
    key = f"{settings.CHANNEL_LAYER_PREFIX}:conc:{kind}:{user_id}"
    lease = Lease(key, uuid.uuid4().hex, leases)
    if leases.client is None:
        if leases.local[key] >= limit:
            return None
        leases.local[key] += 1
        return lease
    now = time.time()
    try:
        taken = await leases.client.eval(
            _ACQUIRE, 1, key, now, now + seconds, limit, lease.member, int(max(seconds, LEASE_SECONDS)) + 1
        )
    except Exception as exc:
        logger.warning("concurrency limit not enforced (Redis: %s)", exc.__class__.__name__)
        return lease
    if not taken:
        return None
    if refresh:
        leases.renewed.add(lease)
        if leases.renewer is None or leases.renewer.done():
            leases.renewer = asyncio.get_running_loop().create_task(leases.renew_forever())
    return lease
