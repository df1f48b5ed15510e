"""Project-tracker scenarios.

- task create with 0 and with 200 WebSockets on the project's board: the broadcast is
  scheduled after commit and sent off the request path, so the two should match;
- task list (50 a page) in a project of N tasks and one of 10N (N = 1000 x scale), so
  the ratio shows how the page cost grows with the project;
- stats cold (the cached counts invalidated before every request) and warm;
- the projects list (a page of 50 projects with their counts);
- comment create with 50 sockets on the task's detail (issue 14): each comment reaches them
  as `comment.added` plus the partial `task.updated`.

The listed boards' tasks carry comment and checklist figures (the counter columns, issue 14).
"""

from __future__ import annotations

import asyncio
import functools
import time

from bench.harness import Request, Sample, Scenario, declared, send

SOCKETS = 200
COMMENT_VIEWERS = 50
PROJECTS_IN_LIST = 60
CONCURRENCY = 4
TIME_LIMIT_SECONDS = 25


def seed(scale: int) -> dict:
    from django.db import connection

    from apps.accounts.models import User
    from apps.accounts.services import token_for_user
    from apps.projects import selectors, services
    from tests.projects.factories import bulk_tasks

    owner = User.objects.create_user(username="bench-projects", password="bench-projects-password")  # noqa: S106
    n = 1_000 * scale

    def project(key: str, tasks: int):
        created = services.project_create(user=owner, key=key, name=f"Bench {key}")
        if tasks:
            # the tests' bulk helper (tests/projects/factories.py): all assigned, over the five columns
            bulk_tasks(created, tasks, assignee=owner, description="A description of a bench task.")
            services.project_recount(project_id=created.pk)
        return created

    quiet = project("BQUIET", 100)  # creates with no socket on the board
    loud = project("BLOUD", 100)  # creates with SOCKETS sockets on the board
    small = project("BLISTN", n)
    large = project("BLISTTENN", 10 * n)
    for i in range(PROJECTS_IN_LIST - 4):
        project("BP" + "".join(chr(65 + int(d)) for d in f"{i:03d}"), 10)
    with connection.cursor() as cursor:
        # comment and checklist figures on the listed boards, as a team's tasks carry them
        cursor.execute(
            "UPDATE projects_task SET comment_count = id %% 7, checklist_total = id %% 5, "
            "checklist_done = (id %% 5) / 2 WHERE project_id IN (%s, %s)",
            [small.pk, large.pk],
        )
        cursor.execute("VACUUM ANALYZE projects_task")  # as autovacuum would have: index-only counts
    for board in (small, large):
        # the boards have been looked at: their counts are in the cache, as /stats/ leaves them
        selectors.project_stats_for_id(project_id=board.pk)
    return {
        "token": token_for_user(user=owner),
        "user_id": owner.pk,
        "quiet": quiet.pk,
        "loud": loud.pk,
        "list_n": small.pk,
        "list_10n": large.pk,
        "tasks_n": n,
        "comment_task": loud.tasks.order_by("pk").values_list("pk", flat=True).first(),
    }


def _create(project_key: str):
    def request(state: dict, i: int) -> Request:
        body = {"title": f"Bench create {i}", "assignee_id": state["user_id"], "priority": "high"}
        return Request("POST", f"/api/projects/{state[project_key]}/tasks/", token=state["token"], json=body)

    return request


async def _run_concurrently(
    client, make_request, n: int, deadline: float, concurrency: int = CONCURRENCY
) -> list[Sample]:
    samples: list[Sample] = []
    counter = iter(range(n))

    async def worker() -> None:
        for i in counter:
            if time.monotonic() > deadline:
                return
            samples.append(await send(client, make_request(i)))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return samples


async def _hold_sockets(url: str, count: int, ready, stop, received, compression: str | None) -> None:
    from urllib.parse import urlsplit

    from websockets.asyncio.client import connect

    # a browser's Origin: the page's scheme, host and port (the server compares the port too)
    origin = "http://" + urlsplit(url).netloc

    async def open_socket():
        socket = await connect(url, origin=origin, open_timeout=10, max_size=2**16, compression=compression)
        await asyncio.wait_for(socket.recv(), 10)  # "subscribed": the socket is in the group
        return socket

    counted = [0]

    async def drain(socket) -> None:
        try:
            async for _ in socket:
                counted[0] += 1
        except Exception:  # noqa: S110 - closed at the end of the scenario
            pass

    sockets = []
    try:
        for start in range(0, count, 25):  # in batches: a connection storm is not what is measured
            sockets += await asyncio.gather(*(open_socket() for _ in range(min(25, count - start))))
        drainers = [asyncio.create_task(drain(socket)) for socket in sockets]
        ready.set()
        await asyncio.to_thread(stop.wait, TIME_LIMIT_SECONDS + 10)
        received.value = counted[0]
    finally:
        await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
    for drainer in drainers:
        drainer.cancel()


def _socket_process(url: str, count: int, ready, stop, received, compression: str | None) -> None:
    asyncio.run(_hold_sockets(url, count, ready, stop, received, compression))


def _comment(state: dict, i: int) -> Request:
    url = f"/api/projects/{state['loud']}/tasks/{state['comment_task']}/comments/"
    return Request("POST", url, token=state["token"], json={"body": f"Bench comment {i}, see the **logs**."})


async def comment_with_viewers(state: dict, client, base_url: str, n: int) -> list[Sample]:
    """Comment POSTs while COMMENT_VIEWERS sockets have the task open (a child process holds them)."""
    import multiprocessing

    deadline = time.monotonic() + TIME_LIMIT_SECONDS
    path = f"/ws/projects/{state['loud']}/tasks/{state['comment_task']}/?token={state['token']}"
    url = base_url.replace("http://", "ws://", 1) + path
    context = multiprocessing.get_context("spawn")
    ready, stop, received = context.Event(), context.Event(), context.Value("i", 0)
    holder = context.Process(
        target=_socket_process, args=(url, COMMENT_VIEWERS, ready, stop, received, "deflate"), daemon=True
    )
    holder.start()
    try:
        if not await asyncio.to_thread(ready.wait, 20):
            raise RuntimeError(f"{COMMENT_VIEWERS} sockets did not connect in time")
        for i in range(5):
            await send(client, _comment(state, n + i))
        samples = await _run_concurrently(client, lambda i: _comment(state, i), n, deadline)
        await asyncio.sleep(1.0)
    finally:
        stop.set()
        await asyncio.to_thread(holder.join, 15)
        if holder.is_alive():
            holder.terminate()
    expected = COMMENT_VIEWERS * 2 * (len(samples) + 5)  # comment.added and the partial task.updated
    print(f"  projects: {COMMENT_VIEWERS} task viewers received {received.value} of {expected} events", flush=True)
    return samples


async def create_with_sockets(
    state: dict,
    client,
    base_url: str,
    n: int,
    *,
    compression: str | None = "deflate",
    concurrency: int = CONCURRENCY,
) -> list[Sample]:
    """Task POSTs while SOCKETS clients watch the board (same load shape as the 0-socket scenario).

    The sockets live in a child process, so reading 200 copies of every event does not
    delay this process's timing of the POSTs. By default they negotiate permessage-deflate
    as browsers do (the server, run without per-message deflate, declines). The
    `.sequential` variants send one POST at a time: the latency of a create without the
    machine's two cores saturated by four concurrent writers plus 200 copies of each event.
    """
    import multiprocessing

    deadline = time.monotonic() + TIME_LIMIT_SECONDS
    url = base_url.replace("http://", "ws://", 1) + f"/ws/projects/{state['loud']}/?token={state['token']}"
    context = multiprocessing.get_context("spawn")
    ready, stop, received = context.Event(), context.Event(), context.Value("i", 0)
    args = (url, SOCKETS, ready, stop, received, compression)
    holder = context.Process(target=_socket_process, args=args, daemon=True)
    holder.start()
    try:
        if not await asyncio.to_thread(ready.wait, 20):
            raise RuntimeError(f"{SOCKETS} sockets did not connect in time")
        make_request = _create("loud")
        for i in range(5):  # warm up like the plain scenarios
            await send(client, make_request(state, n + i))
        samples = await _run_concurrently(client, lambda i: make_request(state, i), n, deadline, concurrency)
        await asyncio.sleep(1.0)  # let the last events arrive before counting
    finally:
        stop.set()
        await asyncio.to_thread(holder.join, 15)
        if holder.is_alive():
            holder.terminate()
    expected = SOCKETS * (len(samples) + 5)
    print(f"  projects: {SOCKETS} sockets received {received.value} of {expected} task.created events", flush=True)
    return samples


async def stats_cold(state: dict, client, base_url: str, n: int) -> list[Sample]:
    """GET stats with the project's cached counts dropped before each request."""
    from apps.core.caching import forget
    from apps.projects.selectors import STATS_CACHE_NAME

    deadline = time.monotonic() + TIME_LIMIT_SECONDS
    samples = []
    request = Request("GET", f"/api/projects/{state['list_10n']}/stats/", token=state["token"])
    for _ in range(n):
        if time.monotonic() > deadline:
            break
        await asyncio.to_thread(forget, STATS_CACHE_NAME, [state["list_10n"]])
        samples.append(await send(client, request))
    return samples


def _list(project_key: str, query: str = ""):
    return lambda s, i: Request("GET", f"/api/projects/{s[project_key]}/tasks/?limit=50{query}", token=s["token"])


# the budgets the views declare (apps/core/api.py), as the tests and the README read them
CREATE_BUDGET = declared("projects:task-list", "POST")
LIST_BUDGET = declared("projects:task-list", "GET")
STATS = "projects:project-stats"

SCENARIOS = [
    # auth token, project with role, UPDATE next_task_number RETURNING, board (counts, last ranks,
    # the assignee's membership), INSERT, and the derived status only when it changes.
    # CPU: about 5.5-6.5 ms/req quiet (issue 9; 8.5-10 before); bench-check read up to 13.5 on a
    # loaded machine (60 requests), so the ceilings are about 2.5x the quiet figure
    Scenario(
        name="projects.task.create.0_sockets",
        cpu_ceiling_ms=16,
        method="POST",
        budget=CREATE_BUDGET,
        request=_create("quiet"),
    ),
    Scenario(
        name=f"projects.task.create.{SOCKETS}_sockets",
        cpu_ceiling_ms=80,
        method="POST",
        budget=CREATE_BUDGET,
        custom=create_with_sockets,
    ),
    Scenario(
        name="projects.task.create.0_sockets.sequential",
        cpu_ceiling_ms=16,
        method="POST",
        budget=CREATE_BUDGET,
        request=_create("quiet"),
        concurrency=1,
    ),
    Scenario(
        name=f"projects.task.create.{SOCKETS}_sockets.sequential",
        cpu_ceiling_ms=80,
        method="POST",
        budget=CREATE_BUDGET,
        custom=functools.partial(create_with_sockets, concurrency=1),
    ),
    # auth token, project with role (total from the cached counts), page (joins, subtask counts)
    Scenario(
        name="projects.task.list.n_tasks", cpu_ceiling_ms=10, method="GET", budget=LIST_BUDGET, request=_list("list_n")
    ),
    Scenario(
        name="projects.task.list.10n_tasks",
        cpu_ceiling_ms=10,
        method="GET",
        budget=LIST_BUDGET,
        request=_list("list_10n"),
    ),
    # a filtered list cannot use the cached total: the project lookup COUNTs the matching tasks
    Scenario(
        name="projects.task.list.10n_tasks_filtered",
        cpu_ceiling_ms=11,
        method="GET",
        budget=LIST_BUDGET,
        request=_list("list_10n", "&priority=medium"),
    ),
    # auth token, project with role, conditional-aggregate counts (every request misses the cache)
    Scenario(
        name="projects.stats.cold", cpu_ceiling_ms=20, method="GET", budget=declared(STATS, "GET"), custom=stats_cold
    ),
    # auth token, project with role (counts from the cache)
    Scenario(
        name="projects.stats.warm",
        cpu_ceiling_ms=7,
        method="GET",
        budget=declared(STATS, "GET", fewest=True),
        request=lambda s, i: Request("GET", f"/api/projects/{s['list_10n']}/stats/", token=s["token"]),
    ),
    # auth token, count, page (role, derived status), one grouped count for the cache misses
    Scenario(
        name="projects.list",
        cpu_ceiling_ms=10,
        method="GET",
        budget=declared("projects:project-list", "GET"),
        request=lambda s, i: Request("GET", "/api/projects/", token=s["token"]),
    ),
    # auth token, project with role, the task's comment_count (UPDATE ... RETURNING), INSERT;
    # the events to the task's viewers and the board are sent after commit, off the request
    Scenario(
        name=f"projects.comment.create.{COMMENT_VIEWERS}_viewers",
        cpu_ceiling_ms=30,
        method="POST",
        budget=declared("projects:comment-list", "POST", fewest=True),
        custom=comment_with_viewers,
    ),
    # the same create in the 10N-task project: a write's cost does not grow with the project
    # (last; it invalidates that project's cached counts, which the list scenarios read)
    Scenario(
        name="projects.task.create.10n_tasks",
        cpu_ceiling_ms=16,
        method="POST",
        budget=CREATE_BUDGET,
        request=_create("list_10n"),
    ),
]
