"""Presence: who has a project's board or one of its tasks open, across every server process.

Each open board socket (`/ws/projects/{id}/`) or task socket (`/ws/projects/{id}/tasks/{t}/`)
is one member of the project's Redis sorted set `<prefix>:presence:{<project>}`, named
`<spot>|<user id>|<socket id>` (spot `b` for the board, `t<task id>` for a task) and scored
by its expiry; a hash beside it holds each member's `<since>|<username>`. Times are Redis's
own clock (`TIME` inside the scripts), so servers with skewed clocks agree.

- A socket enters when it has joined its groups and leaves on disconnect.
- Its process renews every local member once per `PROJECTS_PRESENCE_TTL_S / 3` (one
  pipelined script call per project with local sockets, not one timer per socket), so a
  socket that lives for hours stays present, and a process that dies stops renewing: its
  members expire within `PROJECTS_PRESENCE_TTL_S`. Readers never see an expired member.
- Every script first sweeps the project's expired members (atomically: one process
  removes them), so the renewal of any live process in the project notices a dead
  process's sockets and announces those users' departure.
- `presence.changed` goes to the project's board group only when a user's presence at a
  spot changes: the first socket of a user at a spot announces the arrival, the last one
  the departure; a second tab says nothing.

Without Redis (the embedded default: one process) the same sets live in this process's
memory. If Redis cannot be reached, a socket still opens (presence is not recorded,
logged); the REST read answers 503 `presence_unavailable`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
from django.conf import settings

from apps.core.realtime import envelope, send_now
from apps.projects.events import project_group
from apps.projects.exceptions import PresenceUnavailable

logger = logging.getLogger("brisk.projects.presence")

POOL_SIZE = 8  # Redis connections per process for presence
REDIS_TIMEOUT_SECONDS = 2.0

# Shared by every script: KEYS[1] the set, KEYS[2] the meta hash.
_COMMON = """
local z, meta = KEYS[1], KEYS[2]
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local function pair_of(m)
  local a = string.find(m, '|', 1, true)
  local b = string.find(m, '|', a + 1, true)
  return string.sub(m, 1, b)
end
local function live(prefix)
  for _, m in ipairs(redis.call('ZRANGE', z, 0, -1)) do
    if string.sub(m, 1, #prefix) == prefix then return true end
  end
  return false
end
local function sweep()
  local expired = redis.call('ZRANGEBYSCORE', z, '-inf', now)
  if #expired == 0 then return {} end
  local metas = redis.call('HMGET', meta, unpack(expired))
  redis.call('ZREMRANGEBYSCORE', z, '-inf', now)
  redis.call('HDEL', meta, unpack(expired))
  local gone, seen = {}, {}
  for i, m in ipairs(expired) do
    local p = pair_of(m)
    if not seen[p] then
      seen[p] = true
      if not live(p) then table.insert(gone, p .. (metas[i] or '|')) end
    end
  end
  return gone
end
local function keep(ttl)
  redis.call('EXPIRE', z, ttl)
  redis.call('EXPIRE', meta, ttl)
end
"""

# ARGV: member, username, ttl → {1 if the user was not at the spot before, gone}
_ENTER = (
    _COMMON
    + """
local gone = sweep()
local first = not live(pair_of(ARGV[1]))
local since = string.format('%.6f', now)
redis.call('ZADD', z, now + tonumber(ARGV[3]), ARGV[1])
redis.call('HSET', meta, ARGV[1], since .. '|' .. ARGV[2])
keep(math.ceil(tonumber(ARGV[3])) + 1)
return {first and 1 or 0, since, gone}
"""
)

# ARGV: member → {1 if that was the user's last socket at the spot, gone}
_LEAVE = (
    _COMMON
    + """
local gone = sweep()
local removed = redis.call('ZREM', z, ARGV[1])
redis.call('HDEL', meta, ARGV[1])
local last = removed == 1 and not live(pair_of(ARGV[1]))
return {last and 1 or 0, gone}
"""
)

# ARGV: ttl, then member, username pairs → {came, gone}: `came` are users re-entered because
# their member had been swept (a renewal later than the expiry), so their return is announced.
_RENEW = (
    _COMMON
    + """
local ttl = tonumber(ARGV[1])
local came = {}
for i = 2, #ARGV, 2 do
  local m = ARGV[i]
  if not redis.call('ZSCORE', z, m) then
    local since = string.format('%.6f', now)
    if not live(pair_of(m)) then table.insert(came, pair_of(m) .. since .. '|' .. ARGV[i + 1]) end
    redis.call('HSET', meta, m, since .. '|' .. ARGV[i + 1])
  end
  redis.call('ZADD', z, now + ttl, m)
end
local gone = sweep()
keep(math.ceil(ttl) + 1)
return {came, gone}
"""
)

# → member, meta, member, meta, ... of the live members
_READ = (
    _COMMON
    + """
local members = redis.call('ZRANGEBYSCORE', z, '(' .. now, '+inf')
if #members == 0 then return {} end
local metas = redis.call('HMGET', meta, unpack(members))
local out = {}
for i, m in ipairs(members) do
  table.insert(out, m)
  table.insert(out, metas[i] or '|')
end
return out
"""
)


def ttl_seconds() -> float:
    return float(settings.PROJECTS_PRESENCE_TTL_S)


def keys(project_id: int) -> list[str]:
    # the hash tag keeps both keys of a project on one Redis Cluster slot (one script touches both)
    base = f"{settings.CHANNEL_LAYER_PREFIX}:presence:{{{project_id}}}"
    return [base, f"{base}:meta"]


@dataclass(frozen=True)
class Entry:
    """One socket's presence: where (`task_id` None: the board), who, and its member name."""

    project_id: int
    task_id: int | None
    user_id: int
    username: str
    member: str


def _spot(task_id: int | None) -> str:
    return "b" if task_id is None else f"t{task_id}"


def _parse_pair(text: str) -> tuple[int | None, int, float | None, str]:
    """`<spot>|<user>|<since>|<username>` → (task id or None, user id, since, username)."""
    spot, user_id, since, username = text.split("|", 3)
    task_id = None if spot == "b" else int(spot[1:])
    return task_id, int(user_id), (float(since) if since else None), username


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def announce(*, project_id: int, task_id: int | None, user_id: int, username: str, present: bool, since: Any) -> None:
    """`presence.changed` to the project's board, now (called on the server's loop, after the change)."""
    data = {
        "project_id": project_id,
        "task_id": task_id,  # None: the board
        "user": {"id": user_id, "username": username},
        "present": present,
        "since": _iso(float(since)) if present and since not in (None, "") else None,
    }
    send_now(project_group(project_id), envelope("presence.changed", data))


def _announce_pairs(project_id: int, pairs: list[Any], *, present: bool) -> None:
    for pair in pairs:
        task_id, user_id, since, username = _parse_pair(_text(pair))
        announce(
            project_id=project_id, task_id=task_id, user_id=user_id, username=username, present=present, since=since
        )


# --- without Redis: this process's memory ------------------------------------------------


class _LocalStore:
    """The scripts' semantics over dicts, for the embedded default (one process)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # project → member → [expires, since, username]
        self.sets: dict[int, dict[str, list[Any]]] = {}

    @staticmethod
    def _pair(member: str) -> str:
        return member.rsplit("|", 1)[0] + "|"

    def _live(self, members: dict[str, list[Any]], pair: str) -> bool:
        return any(member.startswith(pair) for member in members)

    def _sweep(self, members: dict[str, list[Any]], now: float) -> list[str]:
        expired = {member: value for member, value in members.items() if value[0] <= now}
        for member in expired:
            del members[member]
        gone, seen = [], set()
        for member, (_, since, username) in expired.items():
            pair = self._pair(member)
            if pair not in seen:
                seen.add(pair)
                if not self._live(members, pair):
                    gone.append(f"{pair}{since:.6f}|{username}")
        return gone

    def enter(self, project_id: int, member: str, username: str, ttl: float) -> tuple[bool, float, list[str]]:
        now = time.time()
        with self.lock:
            members = self.sets.setdefault(project_id, {})
            gone = self._sweep(members, now)
            first = not self._live(members, self._pair(member))
            members[member] = [now + ttl, now, username]
            return first, now, gone

    def leave(self, project_id: int, member: str) -> tuple[bool, list[str]]:
        now = time.time()
        with self.lock:
            members = self.sets.setdefault(project_id, {})
            gone = self._sweep(members, now)
            removed = members.pop(member, None) is not None
            return removed and not self._live(members, self._pair(member)), gone

    def renew(self, project_id: int, entries: list[Entry], ttl: float) -> tuple[list[str], list[str]]:
        now = time.time()
        came = []
        with self.lock:
            members = self.sets.setdefault(project_id, {})
            for entry in entries:
                if entry.member not in members:
                    pair = self._pair(entry.member)
                    if not self._live(members, pair):
                        came.append(f"{pair}{now:.6f}|{entry.username}")
                    members[entry.member] = [now + ttl, now, entry.username]
                else:
                    members[entry.member][0] = now + ttl
            return came, self._sweep(members, now)

    def read(self, project_id: int) -> list[tuple[str, str]]:
        now = time.time()
        with self.lock:
            members = self.sets.get(project_id, {})
            return [
                (member, f"{since:.6f}|{username}")
                for member, (expires, since, username) in members.items()
                if expires > now
            ]


_local_store = _LocalStore()


# --- a process's sockets: enter, leave, renew ----------------------------------------------


class _Presence:
    """One per event loop (one per server process): the Redis client, the local entries and
    the task that renews them."""

    def __init__(self) -> None:
        self.client = (
            aioredis.Redis(
                connection_pool=aioredis.BlockingConnectionPool.from_url(
                    settings.REDIS_URL,
                    max_connections=POOL_SIZE,
                    timeout=REDIS_TIMEOUT_SECONDS,
                    socket_timeout=REDIS_TIMEOUT_SECONDS,
                    socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                )
            )
            if settings.REDIS_URL
            else None
        )
        if self.client is not None:
            self.enter_script = self.client.register_script(_ENTER)
            self.leave_script = self.client.register_script(_LEAVE)
            self.renew_script = self.client.register_script(_RENEW)
        self.entries: dict[str, Entry] = {}
        self.renewer: asyncio.Task[None] | None = None
        # A renewal and a leave never overlap: a renewal that read the entries before a socket
        # left would otherwise put the member back after the leave removed it.
        self.lock = asyncio.Lock()

    async def enter(self, *, project_id: int, task_id: int | None, user_id: int, username: str) -> Entry:
        entry = Entry(project_id, task_id, user_id, username, f"{_spot(task_id)}|{user_id}|{uuid.uuid4().hex}")
        self.entries[entry.member] = entry
        if self.renewer is None or self.renewer.done():
            self.renewer = asyncio.get_running_loop().create_task(self._renew_forever())
        try:
            if self.client is None:
                first, since, gone = _local_store.enter(project_id, entry.member, username, ttl_seconds())
            else:
                first, since, gone = await self.enter_script(
                    keys=keys(project_id), args=[entry.member, username, ttl_seconds()]
                )
        except Exception as exc:  # presence is a nicety: the socket stays open
            logger.warning("presence not recorded (Redis: %s)", exc.__class__.__name__)
            return entry
        _announce_pairs(project_id, gone, present=False)
        if int(first):
            announce(
                project_id=project_id,
                task_id=task_id,
                user_id=user_id,
                username=username,
                present=True,
                since=_text(since),
            )
        return entry

    async def leave(self, entry: Entry) -> None:
        self.entries.pop(entry.member, None)
        result: Any = None
        async with self.lock:
            try:
                if self.client is None:
                    result = _local_store.leave(entry.project_id, entry.member)
                else:
                    result = await self.leave_script(keys=keys(entry.project_id), args=[entry.member])
            except Exception as exc:  # it expires anyway
                logger.warning("presence not removed (Redis: %s)", exc.__class__.__name__)
        if not self.entries and self.renewer is not None:
            # the last local socket: stop renewing, and wait until the renewer has stopped
            renewer, self.renewer = self.renewer, None
            renewer.cancel()
            await asyncio.gather(renewer, return_exceptions=True)
        if result is None:
            return
        last, gone = result
        _announce_pairs(entry.project_id, gone, present=False)
        if int(last):
            announce(
                project_id=entry.project_id,
                task_id=entry.task_id,
                user_id=entry.user_id,
                username=entry.username,
                present=False,
                since=None,
            )

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(ttl_seconds() / 3)
            try:
                await self.renew()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the next round tries again; the members expire meanwhile
                logger.warning("presence renewal failed: %s", exc.__class__.__name__)

    async def renew(self) -> None:
        """Renew every local member, one script call per project (pipelined), and announce
        what the sweeps found."""
        async with self.lock:
            by_project: dict[int, list[Entry]] = {}
            for entry in list(self.entries.values()):
                by_project.setdefault(entry.project_id, []).append(entry)
            if not by_project:
                return
            ttl = ttl_seconds()
            if self.client is None:
                results = [_local_store.renew(project_id, entries, ttl) for project_id, entries in by_project.items()]
            else:
                async with self.client.pipeline(transaction=False) as pipe:
                    for project_id, entries in by_project.items():
                        args: list[Any] = [ttl]
                        for entry in entries:
                            args += [entry.member, entry.username]
                        await self.renew_script(keys=keys(project_id), args=args, client=pipe)
                    results = await pipe.execute()
        for project_id, (came, gone) in zip(by_project, results, strict=True):
            _announce_pairs(project_id, gone, present=False)
            _announce_pairs(project_id, came, present=True)


_per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Presence] = weakref.WeakKeyDictionary()


def for_this_loop() -> _Presence:
    loop = asyncio.get_running_loop()
    presence = _per_loop.get(loop)
    if presence is None:
        presence = _per_loop[loop] = _Presence()
    return presence


async def enter(*, project_id: int, task_id: int | None, user_id: int, username: str) -> Entry:
    """Record a socket at the board (`task_id` None) or a task; announce the user if new there."""
    return await for_this_loop().enter(project_id=project_id, task_id=task_id, user_id=user_id, username=username)


async def leave(entry: Entry) -> None:
    """Drop a socket's presence; announce the user's departure when it was their last socket there."""
    await for_this_loop().leave(entry)


# --- the REST read ------------------------------------------------------------------------

_read_client_lock = threading.Lock()
_read_client: Any = None


def _sync_client() -> Any:
    global _read_client
    with _read_client_lock:
        if _read_client is None:
            import redis

            client = redis.Redis.from_url(
                settings.REDIS_URL,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
            _read_client = (client, client.register_script(_READ))
        return _read_client


def project_presence(*, project_id: int) -> dict[str, Any]:
    """`{"board": [users], "tasks": {task id: [users]}}`, each user `{id, username, since}` (their
    earliest live socket there), earliest first; no database query."""
    if not settings.REDIS_URL:
        members = _local_store.read(project_id)
    else:
        try:
            _, script = _sync_client()
            flat = script(keys=keys(project_id))
        except Exception as exc:
            logger.warning("presence unavailable (Redis: %s)", exc.__class__.__name__)
            raise PresenceUnavailable() from exc
        members = [(_text(flat[i]), _text(flat[i + 1])) for i in range(0, len(flat), 2)]
    spots: dict[int | None, dict[int, tuple[float, str]]] = {}
    for member, meta in members:
        spot, user_id, _socket = member.split("|", 2)
        since_text, username = meta.split("|", 1)
        since = float(since_text) if since_text else 0.0
        users = spots.setdefault(None if spot == "b" else int(spot[1:]), {})
        known = users.get(int(user_id))
        if known is None or since < known[0]:
            users[int(user_id)] = (since, username)

    def listed(users: dict[int, tuple[float, str]]) -> list[dict[str, Any]]:
        ordered = sorted(users.items(), key=lambda item: (item[1][0], item[0]))
        return [{"id": user_id, "username": username, "since": _iso(since)} for user_id, (since, username) in ordered]

    return {
        "board": listed(spots.pop(None, {})),
        "tasks": {str(task_id): listed(users) for task_id, users in sorted(spots.items(), key=lambda i: i[0] or 0)},
    }
