"""The channels-redis layer, with its Redis connections sized and timed deliberately.

Two defaults of the stock layer break realtime under load:
- redis-py's default socket timeout (5 s) equals the layer's blocking-read timeout
  (`BZPOPMIN ... 5`), so an idle receive races its own socket: sockets closed 1006 and
  long-polls returned after exactly 5 s. The read timeout here is the blocking read's
  plus a margin; a dead Redis is still noticed.
- redis-py's async pool raises `MaxConnectionsError` the moment it is exhausted, so a
  burst of subscriptions or sends failed and events were lost. This pool is bounded
  (`CHANNEL_LAYER_MAX_CONNECTIONS` per process) and a caller waits for a free
  connection (up to `POOL_WAIT_SECONDS`) instead of failing.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from channels_redis.core import RedisChannelLayer as StockRedisChannelLayer

POOL_WAIT_SECONDS = 20  # a burst of thousands of subscriptions queues; it must not fail
READ_MARGIN_SECONDS = 10


class RedisChannelLayer(StockRedisChannelLayer):  # type: ignore[misc]  # channels-redis ships no types
    def __init__(self, *args: Any, max_connections: int = 50, **kwargs: Any) -> None:
        self.max_connections = max_connections
        super().__init__(*args, **kwargs)

    def create_pool(self, index: int) -> aioredis.BlockingConnectionPool:
        host = dict(self.hosts[index])
        address = host.pop("address")
        host.setdefault("socket_timeout", self.brpop_timeout + READ_MARGIN_SECONDS)
        host.setdefault("socket_connect_timeout", 2)
        host.setdefault("health_check_interval", 30)
        return aioredis.BlockingConnectionPool.from_url(
            address, max_connections=self.max_connections, timeout=POOL_WAIT_SECONDS, **host
        )
