"""Many waiting long-polls: N polls wait (`Prefer: wait=60`), then their tasks change; how fast do they wake?

For each size in BENCH_LONGPOLL_SIZES (default "500,2000"; `make bench-check` uses a
small one): N concurrent `GET /api/jobs/tasks/{id}/` with `Prefer: wait=60`, each on its
own claimed task, from N/50 users (under the per-user limit). Once every poll is
waiting (past its first look: it holds its long-poll lease, `apps.core.concurrency`),
the bench reads the server workers' thread counts and the bench database's
connections, then, while all N wait, PATCHes the tasks of 200 of them to `running` one
at a time and measures each woken poll's wake-up: from the PATCH's response to the
poll's response (0 when the poll answered first). A poll that ends without the new
status, or without `Preference-Applied` (it could not subscribe), counts as an error.
The line also gives the server's and this client's CPU per PATCH and wake-up. Run it
alone with `make bench BENCH_ONLY=longpoll`; profile it with
`make bench-profile SCENARIO=jobs.longpoll.2000_waiting_wakeup`.

How the client is built, so that it measures the server and not itself:
- One httpx client per poller user (50 connections each), not one for all N: httpcore's
  pool walks every connection of the pool each time a response is closed, so with one
  pool of 2,000 connections each woken poll cost the client about 25 ms of CPU before
  its wake-up was timed (`BENCH_LONGPOLL_SHARED_CLIENT=1` adds each size again with
  one shared pool, to compare: 3 ms against 9 ms of client CPU per wake-up at 500).
- The changes start once every poll holds its lease, not when the database looks
  idle: looks run in short bursts, so an idle instant came long before the last of
  2,000 first looks, and the wake-ups were measured queued behind first looks.
- The client's garbage collector is off during the changes: its heap grows with N,
  and a full collection paused it while wake-ups were being timed.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
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
# BENCH_LONGPOLL_SHARED_CLIENT=1 adds each size again with the old client (see the docstring)
SHARED_CLIENT = bool(os.environ.get("BENCH_LONGPOLL_SHARED_CLIENT"))
SIZES = [int(size) for size in os.environ.get("BENCH_LONGPOLL_SIZES", "500,2000").split(",") if size]
# BENCH_LONGPOLL_SPY=1: a py-spy profile of every worker during the changes alone (see _spy)
SPY = bool(os.environ.get("BENCH_LONGPOLL_SPY"))


def seed(scale: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from apps.accounts.models import User
    from apps.accounts.services import token_for_user
    from apps.jobs.ids import uuid7_sql
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
            INSERT INTO jobs_task (id, job_id, room, created_by_id, payload, status, worker_id, created_at, error)
            SELECT {uuid7}, %(job)s, %(room)s, %(owner)s, '{}'::jsonb, 'claimed', %(worker)s, now(), ''
            FROM generate_series(1, %(count)s)
            RETURNING id
            """.replace("{uuid7}", uuid7_sql("now()")),
            {
                "job": job.pk,
                "room": ROOM,
                "owner": owner.pk,
                "worker": worker.pk,
                "count": sum(SIZES) * (2 if SHARED_CLIENT else 1),
            },
        )
        task_ids = sorted(str(row[0]) for row in cursor.fetchall())
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


def _cpu(pids: list[int]) -> float:
    """Seconds of user + system CPU the processes have used so far."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


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


def _leases_held() -> int:
    """Long-poll leases held (`apps.core.concurrency`): polls past their first look, waiting."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(client.scan_iter(match=f"{settings.CHANNEL_LAYER_PREFIX}:conc:longpoll:*", count=1000))
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.zcount(key, time.time(), "+inf")
    return sum(pipe.execute())


@contextlib.contextmanager
def _spy(pids: list[int], name: str):
    """`py-spy record --gil` of each worker while the changes run (BENCH_LONGPOLL_SPY=1).

    `make bench-profile` profiles the whole scenario, where the N first looks dominate;
    this profiles only what a PATCH and its wake-up cost. Collapsed stacks and a summary
    per worker go to bench/results/.
    """
    if not SPY:
        yield
        return
    import signal
    import subprocess
    import sys

    from bench.__main__ import summarize_collapsed

    results = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "results")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    spy = os.path.join(os.path.dirname(sys.executable), "py-spy")
    runs = []
    for pid in pids:
        path = os.path.join(results, f"{stamp}-spy-{name}-{pid}.collapsed.txt")
        argv = [spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "200", "--gil", "--output", path]
        runs.append((path, subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))  # noqa: S603
    time.sleep(1.0)  # py-spy attaches before the changes start
    try:
        yield
    finally:
        for path, process in runs:
            process.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
            try:
                process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
            if os.path.exists(path):
                with open(path.replace(".collapsed.txt", ".summary.txt"), "w") as fh:
                    fh.write(summarize_collapsed(path, top=60))
                print(f"  profile: {path}", flush=True)


# --- the scenario ---------------------------------------------------------------------------


def waiting_polls(size: int, shared_client: bool = False):
    async def run(state: dict, client, base_url: str, n: int) -> list[Sample]:
        from asgiref.sync import sync_to_async

        task_ids = state["task_ids"][state["next"] : state["next"] + size]
        state["next"] += size
        port = int(base_url.rsplit(":", 1)[1])
        workers = _server_workers(port)
        threads_before = _threads(workers)
        answered: dict[int, tuple[float, httpx.Response | None]] = {}
        errors: dict[str, int] = {}
        users = math.ceil(size / POLLS_PER_USER)
        # the polls left waiting by the previous size are let go: wait until the server released them
        leases_deadline = time.monotonic() + 30
        while await sync_to_async(_leases_held)() and time.monotonic() < leases_deadline:
            await asyncio.sleep(0.25)
        async with contextlib.AsyncExitStack() as stack:
            if shared_client:
                limits = httpx.Limits(max_connections=size + 10, max_keepalive_connections=size + 10)
                shared = await stack.enter_async_context(
                    httpx.AsyncClient(base_url=base_url, timeout=90.0, limits=limits)
                )
                clients = [shared] * users
            else:
                limits = httpx.Limits(max_connections=POLLS_PER_USER + 2, max_keepalive_connections=POLLS_PER_USER + 2)
                clients = [
                    await stack.enter_async_context(httpx.AsyncClient(base_url=base_url, timeout=90.0, limits=limits))
                    for _ in range(users)
                ]
            patcher = await stack.enter_async_context(httpx.AsyncClient(base_url=base_url, timeout=30.0))

            async def poll(index: int, task_id: int) -> None:
                token = state["poller_tokens"][index // POLLS_PER_USER]
                try:
                    response = await clients[index // POLLS_PER_USER].get(
                        f"/api/jobs/tasks/{task_id}/", headers={"Authorization": f"Token {token}", "Prefer": "wait=60"}
                    )
                except httpx.HTTPError as exc:
                    errors[exc.__class__.__name__] = errors.get(exc.__class__.__name__, 0) + 1
                    response = None
                answered[task_id] = (time.perf_counter(), response)

            polls = [asyncio.create_task(poll(i, task_id)) for i, task_id in enumerate(task_ids)]
            polls_started = time.perf_counter()
            # Every poll waiting: past its first look, it holds its lease (taken after the look).
            # Then the PATCHes measure wake-ups alone, not wake-ups queued behind first looks.
            deadline = time.monotonic() + 90
            waiting = 0
            while time.monotonic() < deadline:
                waiting = await sync_to_async(_leases_held)()
                if waiting >= size or len(answered) >= size:
                    break
                await asyncio.sleep(0.25)
            all_waiting_seconds = time.perf_counter() - polls_started
            await asyncio.sleep(0.5)
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

            gc.disable()  # the client's own collections (its heap grows with N) paused it mid-measurement
            with _spy(workers, f"longpoll-{size}"):
                client_cpu = time.process_time()
                server_cpu = _cpu(workers)
                started = time.perf_counter()
                await asyncio.gather(*(patch_loop() for _ in range(PATCHERS)))
                patch_seconds = time.perf_counter() - started
                client_cpu = time.process_time() - client_cpu
                server_cpu = _cpu(workers) - server_cpu
            gc.enable()
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
        changes = max(1, len(patched))
        print(
            f"  longpoll {size}{' (one shared client)' if shared_client else ''}: waiting {waiting}/{size} "
            f"after {all_waiting_seconds:.1f} s; wake p50 "
            f"{statistics.median(wakes) if wakes else math.nan:.1f} ms p95 {percentile(wakes, 95):.1f} ms; "
            f"not subscribed {unsubscribed}, not woken {unchanged}, failed {failed} {errors or ''}; "
            f"worker threads before {threads_before} while waiting {threads_waiting}; "
            f"db connections while waiting {connections_total} ({connections_busy} not idle); "
            f"{len(patched)} of {size} PATCHed in {patch_seconds:.1f} s; CPU per PATCH and wake: "
            f"server {server_cpu * 1000 / changes:.1f} ms, bench client {client_cpu * 1000 / changes:.1f} ms",
            flush=True,
        )
        return samples

    return run


SCENARIOS = [
    Scenario(name=f"jobs.longpoll.{size}_waiting_wakeup", method="GET", budget=None, custom=waiting_polls(size))
    for size in SIZES
]
if SHARED_CLIENT:
    SCENARIOS += [
        Scenario(
            name=f"jobs.longpoll.{size}_waiting_wakeup.shared_client",
            method="GET",
            budget=None,
            custom=waiting_polls(size, shared_client=True),
        )
        for size in SIZES
    ]
