"""Many waiting long-polls: N polls wait (`Prefer: wait=60`), then their tasks change; how fast do they wake?

For each size in BENCH_LONGPOLL_SIZES (default "500,2000"; `make bench-check` uses a
small one): N concurrent `GET /api/jobs/tasks/{id}/` with `Prefer: wait=60`, each on its
own claimed task, from N/50 users (under the per-user limit). Once every poll is
waiting (its task's channel group has a member), the bench reads, during the wait, the
server workers' thread counts and the bench database's connections, then, while all N
wait, PATCHes the tasks of 200 of them to `running` one at a time and measures each
woken poll's wake-up: from the PATCH's response to the poll's response (0 when the
poll answered first). A poll that ends
without the new status, or without `Preference-Applied` (it could not subscribe),
counts as an error. Run it alone with `make bench BENCH_ONLY=longpoll`.
"""

from __future__ import annotations

import asyncio
import math
import os
import statistics
import time

import httpx

from bench.harness import Sample, Scenario, percentile

ROOM = "bench-lp"
POLLS_PER_USER = 50
PATCHERS = 1  # one change at a time: the wake-up measured, not the server saturated by PATCHes
PATCH_SAMPLE = 200  # changes made while every poll waits (the rest are let go at the end)
PATCH_PHASE_SECONDS = 45  # the harness bounds a scenario
SIZES = [int(size) for size in os.environ.get("BENCH_LONGPOLL_SIZES", "500,2000").split(",") if size]


def seed(scale: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from apps.accounts.models import User
    from apps.accounts.services import token_for_user
    from apps.jobs.models import Job, JobCategory, Room, RoomMember, Worker, WorkerJob

    owner = User.objects.create_user(username="bench-lp-owner", password="bench-lp-password")  # noqa: S106
    pollers = [
        User.objects.create_user(username=f"bench-lp-{i}", password="bench-lp-password")  # noqa: S106
        for i in range(math.ceil(max(SIZES, default=1) / POLLS_PER_USER))
    ]
    room = Room.objects.create(name=ROOM, created_by=owner)
    RoomMember.objects.bulk_create([RoomMember(room=room, user=user) for user in [owner, *pollers]])
    job = Job.objects.create(room=ROOM, category=JobCategory.MODIFIERS, name="wait", schema={"type": "object"})
    worker = Worker.objects.create(user=owner, last_heartbeat=timezone.now())
    WorkerJob.objects.create(worker=worker, job=job)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO jobs_task (job_id, room, created_by_id, payload, status, worker_id, created_at, error)
            SELECT %(job)s, %(room)s, %(owner)s, '{}'::jsonb, 'claimed', %(worker)s, now(), ''
            FROM generate_series(1, %(count)s)
            RETURNING id
            """,
            {"job": job.pk, "room": ROOM, "owner": owner.pk, "worker": worker.pk, "count": sum(SIZES)},
        )
        task_ids = sorted(row[0] for row in cursor.fetchall())
    return {
        "owner_token": token_for_user(user=owner),
        "poller_tokens": [token_for_user(user=user) for user in pollers],
        "task_ids": task_ids,
        "next": 0,
    }


# --- what the server holds while the polls wait -----------------------------------------


def _server_workers(port: int) -> list[int]:
    """Pids of the uvicorn worker processes serving `port` (children of the process started with it)."""
    parents = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                argv = fh.read().split(b"\0")
        except OSError:
            continue
        if b"config.asgi:application" in argv and str(port).encode() in argv:
            parents.append(pid)
    workers = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as fh:
                status = fh.read()
        except OSError:
            continue
        ppid = next((line.split()[1] for line in status.splitlines() if line.startswith("PPid:")), None)
        if ppid in parents:
            workers.append(int(pid))
    return workers


def _threads(pids: list[int]) -> list[int]:
    counts = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as fh:
                counts.append(next(int(line.split()[1]) for line in fh if line.startswith("Threads:")))
        except OSError:
            counts.append(-1)
    return counts


def _db_connections() -> tuple[int, int]:
    """(connections to the bench database, those not idle: running a query or inside a transaction)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE state IS DISTINCT FROM 'idle') FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        total, busy = cursor.fetchone()
    connection.close()
    return total, busy


def _waiting_groups(task_ids: list[int]) -> int:
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    pipe = client.pipeline(transaction=False)
    for task_id in task_ids:
        pipe.zcard(f"{settings.CHANNEL_LAYER_PREFIX}:group:jobs.task.{task_id}")
    return sum(1 for members in pipe.execute() if members)


# --- the scenario ---------------------------------------------------------------------------


def waiting_polls(size: int):
    async def run(state: dict, client, base_url: str, n: int) -> list[Sample]:
        from asgiref.sync import sync_to_async

        task_ids = state["task_ids"][state["next"] : state["next"] + size]
        state["next"] += size
        port = int(base_url.rsplit(":", 1)[1])
        workers = _server_workers(port)
        threads_before = _threads(workers)
        answered: dict[int, tuple[float, httpx.Response | None]] = {}
        errors: dict[str, int] = {}
        limits = httpx.Limits(max_connections=size + 10, max_keepalive_connections=size + 10)
        async with (
            httpx.AsyncClient(base_url=base_url, timeout=90.0, limits=limits) as pollers,
            httpx.AsyncClient(base_url=base_url, timeout=30.0) as patcher,
        ):

            async def poll(index: int, task_id: int) -> None:
                token = state["poller_tokens"][index // POLLS_PER_USER]
                try:
                    response = await pollers.get(
                        f"/api/jobs/tasks/{task_id}/", headers={"Authorization": f"Token {token}", "Prefer": "wait=60"}
                    )
                except httpx.HTTPError as exc:
                    errors[exc.__class__.__name__] = errors.get(exc.__class__.__name__, 0) + 1
                    response = None
                answered[task_id] = (time.perf_counter(), response)

            polls = [asyncio.create_task(poll(i, task_id)) for i, task_id in enumerate(task_ids)]
            deadline = time.monotonic() + 60
            waiting = 0
            while time.monotonic() < deadline:
                waiting = await sync_to_async(_waiting_groups)(task_ids)
                if waiting >= size or len(answered) >= size:
                    break
                await asyncio.sleep(0.5)
            # settle: every poll past its look (no query running for two checks in a row), at most 60 s more
            settle_deadline = time.monotonic() + 60
            quiet = 0
            while time.monotonic() < settle_deadline and quiet < 2:
                await asyncio.sleep(0.5)
                quiet = quiet + 1 if (await sync_to_async(_db_connections)())[1] == 0 else 0
            threads_waiting = _threads(workers)
            connections_total, connections_busy = await sync_to_async(_db_connections)()

            patched: dict[int, float] = {}
            queue = iter(task_ids[:: max(1, size // PATCH_SAMPLE)][:PATCH_SAMPLE])

            patch_deadline = time.monotonic() + PATCH_PHASE_SECONDS

            async def patch_loop() -> None:
                for task_id in queue:
                    if time.monotonic() > patch_deadline:
                        return
                    try:
                        response = await patcher.patch(
                            f"/api/jobs/tasks/{task_id}/",
                            json={"status": "running"},
                            headers={"Authorization": f"Token {state['owner_token']}"},
                        )
                    except httpx.HTTPError:
                        patched[task_id] = math.nan
                        continue
                    patched[task_id] = time.perf_counter() if response.status_code == 200 else math.nan

            started = time.perf_counter()
            await asyncio.gather(*(patch_loop() for _ in range(PATCHERS)))
            patch_seconds = time.perf_counter() - started
            await asyncio.wait(polls, timeout=15)
            for pending in polls:
                pending.cancel()  # polls whose task was never patched: stop waiting for them
            await asyncio.gather(*polls, return_exceptions=True)

        samples = []
        unsubscribed = unchanged = 0
        for task_id in task_ids:
            if task_id not in patched:
                continue  # not reached in the patch phase
            at, response = answered.get(task_id, (math.nan, None))
            wake_ms = max(0.0, (at - patched.get(task_id, math.nan)) * 1000)
            status = 599 if response is None else response.status_code
            if response is not None and status == 200:
                if "preference-applied" not in response.headers:
                    unsubscribed += 1
                    status = 597
                elif response.json().get("status") != "running":
                    unchanged += 1
                    status = 598
            samples.append(Sample(ms=wake_ms if not math.isnan(wake_ms) else 60000.0, status=status))
        wakes = [s.ms for s in samples if s.status == 200]
        failed = sum(1 for s in samples if s.status == 599)
        print(
            f"  longpoll {size}: waiting {waiting}/{size}; wake p50 "
            f"{statistics.median(wakes) if wakes else math.nan:.1f} ms p95 {percentile(wakes, 95):.1f} ms; "
            f"not subscribed {unsubscribed}, not woken {unchanged}, failed {failed} {errors or ''}; "
            f"worker threads before {threads_before} while waiting {threads_waiting}; "
            f"db connections while waiting {connections_total} ({connections_busy} not idle); "
            f"{len(patched)} of {size} PATCHed in {patch_seconds:.1f} s",
            flush=True,
        )
        return samples

    return run


SCENARIOS = [
    Scenario(name=f"jobs.longpoll.{size}_waiting_wakeup", method="GET", budget=None, custom=waiting_polls(size))
    for size in SIZES
]
