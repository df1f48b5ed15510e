"""Job-queue scenarios: room task list, submit (also against a 20-property schema), claim+complete
on /api/jobs/ and on the zndraw-joblib surface /v1/joblib/, and long-poll wake-up latency."""

from __future__ import annotations

import asyncio
import time

from bench.harness import Request, Sample, Scenario, declared, headers_for, queries_from

ROOM = "bench"
LONGPOLL_OPS = 30
# a schema like the ones pydantic writes for a real job: 20 typed, bounded properties
TWENTY_PROPERTIES = {
    "type": "object",
    "title": "Twenty",
    "properties": {
        **{f"n{i}": {"type": "number", "minimum": 0, "maximum": 1000} for i in range(10)},
        **{f"s{i}": {"type": "string", "maxLength": 64} for i in range(5)},
        **{f"b{i}": {"type": "boolean"} for i in range(3)},
        "axis": {"enum": ["x", "y", "z"], "type": "string"},
        "items": {"type": "array", "items": {"type": "integer"}, "maxItems": 16},
    },
    "required": ["n0", "axis"],
    "additionalProperties": False,
}


def twenty_payload(i: int) -> dict:
    return {
        **{f"n{k}": (i + k) % 1000 for k in range(10)},
        **{f"s{k}": f"value {i}" for k in range(5)},
        **{f"b{k}": bool((i + k) % 2) for k in range(3)},
        "axis": "xyz"[i % 3],
        "items": list(range(i % 16)),
    }


def seed(scale: int) -> dict:
    from apps.accounts.services import token_for_user
    from apps.jobs.models import JobCategory, Task, TaskStatus
    from tests.accounts.factories import UserFactory
    from tests.jobs.factories import (
        JobFactory,
        RoomFactory,
        RoomMemberFactory,
        WorkerFactory,
        WorkerJobFactory,
        bulk_tasks,
    )

    # the tests' factories: the bench's rows are built the way the tests build theirs
    member = UserFactory(username="bench-jobs-member", password="bench-jobs-password")  # noqa: S106
    owner = UserFactory(username="bench-jobs-worker", password="bench-jobs-password")  # noqa: S106
    room = RoomFactory(name=ROOM, created_by=member)
    for user in (member, owner):
        RoomMemberFactory(room=room, user=user)
    rotate = JobFactory(room=ROOM, category=JobCategory.MODIFIERS, name="rotate")
    work = JobFactory(room=ROOM, category=JobCategory.ANALYSIS, name="work")
    others = [JobFactory(room=f"room{i}", category=JobCategory.MODIFIERS, name="rotate", schema={}) for i in range(20)]
    compat_work = JobFactory(room=ROOM, category=JobCategory.ANALYSIS, name="work-v1")
    twenty = JobFactory(room=ROOM, category=JobCategory.MODIFIERS, name="twenty", schema=TWENTY_PROPERTIES)
    runner = WorkerFactory(user=owner)  # claims `work` tasks
    rotator = WorkerFactory(user=owner)  # serves `rotate` (hears task.available)
    compat_runner = WorkerFactory(user=owner)  # claims `work-v1` tasks through /v1/joblib/
    WorkerJobFactory(worker=runner, job=work)
    WorkerJobFactory(worker=rotator, job=rotate)
    WorkerJobFactory(worker=compat_runner, job=compat_work)
    WorkerJobFactory(worker=rotator, job=twenty)

    history = 10_000 * scale
    queue = 2_000 * scale
    # history: one task in five in the bench room, one in ten pending, over 20 other rooms
    slots = [(rotate, ROOM) if k % 5 == 0 else (others[k], f"room{k}") for k in range(20)]
    bulk_tasks(slots=slots, n=history, created_by=member, pending_every=10, older_by_seconds=queue)
    # the queue the claim scenarios drain, oldest first
    bulk_tasks(slots=[(work, ROOM)], n=queue, created_by=member)
    bulk_tasks(slots=[(compat_work, ROOM)], n=queue, created_by=member)
    sample = Task.objects.filter(job=rotate, status=TaskStatus.PENDING).order_by("-id").values_list("id", flat=True)
    return {
        "member_token": token_for_user(user=member),
        "owner_token": token_for_user(user=owner),
        "worker_id": str(runner.pk),
        "compat_worker_id": str(compat_runner.pk),
        "twenty": twenty.full_name,
        "task_id": str(sample.first()),
        "rotate": rotate.full_name,
    }


async def _claim(client, state, *, compat: bool = False) -> tuple[dict | None, Sample]:
    if compat:
        path, worker_id = "/v1/joblib/tasks/claim", state["compat_worker_id"]
    else:
        path, worker_id = "/api/jobs/tasks/claim/", state["worker_id"]
    request = Request("POST", path, token=state["owner_token"], json={"worker_id": worker_id})
    started = time.perf_counter()
    response = await client.post(request.path, json=request.json, headers=headers_for(request))
    sample = Sample(
        ms=(time.perf_counter() - started) * 1000, status=response.status_code, queries=queries_from(response)
    )
    task = response.json().get("task") if response.status_code == 200 else None
    return task, sample


async def _patch(client, state, task_id: str, status: str, *, compat: bool = False):
    path = f"/v1/joblib/tasks/{task_id}" if compat else f"/api/jobs/tasks/{task_id}/"
    request = Request("PATCH", path, token=state["owner_token"], json={"status": status})
    return await client.patch(request.path, json=request.json, headers=headers_for(request))


async def claim_and_complete(state: dict, client, base_url: str, n: int, *, compat: bool = False) -> list[Sample]:
    """One operation = claim + PATCH running + PATCH completed, by 4 concurrent workers' loops.

    Each sample is the whole operation; its queries are the most any of its three requests ran.
    `compat`: the same through /v1/joblib/ (the zndraw-joblib client's requests).
    """
    samples: list[Sample] = []
    counter = iter(range(n))
    deadline = time.monotonic() + 25

    async def loop() -> None:
        for _ in counter:
            if time.monotonic() > deadline:
                return
            started = time.perf_counter()
            task, claim = await _claim(client, state, compat=compat)
            statuses, queries = [claim.status], [claim.queries or 0]
            if task is None:
                statuses.append(599)  # the queue ran dry: the seed is too small for n
            else:
                for status in ("running", "completed"):
                    response = await _patch(client, state, task["id"], status, compat=compat)
                    statuses.append(response.status_code)
                    queries.append(queries_from(response) or 0)
            samples.append(
                Sample(ms=(time.perf_counter() - started) * 1000, status=max(statuses), queries=max(queries))
            )

    await asyncio.gather(*(loop() for _ in range(4)))
    return samples


async def compat_claim_and_complete(state: dict, client, base_url: str, n: int) -> list[Sample]:
    return await claim_and_complete(state, client, base_url, n, compat=True)


async def longpoll_wakeup(state: dict, client, base_url: str, n: int) -> list[Sample]:
    """From the PATCH that moves a task to the waiting poller's response (`Prefer: wait=30`)."""
    samples: list[Sample] = []
    deadline = time.monotonic() + 25
    for _ in range(min(n, LONGPOLL_OPS)):
        if time.monotonic() > deadline:
            break
        task, _ = await _claim(client, state)
        if task is None:
            samples.append(Sample(ms=0.0, status=599))
            break
        poll_request = Request(
            "GET", f"/api/jobs/tasks/{task['id']}/", token=state["member_token"], headers={"Prefer": "wait=30"}
        )
        answered: dict[str, float] = {}

        async def poll(request=poll_request, answered=answered):
            response = await client.get(request.path, headers=headers_for(request))
            answered["at"] = time.perf_counter()
            return response

        poller = asyncio.create_task(poll())
        await asyncio.sleep(0.15)  # let the poller subscribe (not measured)
        patched_at = time.perf_counter()
        patch = await _patch(client, state, task["id"], "running")
        response = await asyncio.wait_for(poller, 35)
        woken = response.status_code == 200 and response.json().get("status") == "running"
        status = response.status_code if woken and patch.status_code == 200 else 598
        samples.append(Sample(ms=(answered["at"] - patched_at) * 1000, status=status, queries=queries_from(response)))
        await _patch(client, state, task["id"], "completed")
    return samples


SCENARIOS = [
    # auth token, room access, count, page (job joined), queue positions (one ROW_NUMBER query)
    Scenario(
        name="jobs.room_tasks.list",
        cpu_ceiling_ms=10,
        method="GET",
        budget=declared("jobs:room-tasks", "GET"),
        request=lambda s, i: Request("GET", f"/api/jobs/rooms/{ROOM}/tasks/?limit=50", token=s["member_token"]),
    ),
    # auth token, room access, job, count, page, queue positions
    Scenario(
        name="jobs.job_tasks.pending",
        cpu_ceiling_ms=12,
        method="GET",
        budget=declared("jobs:room-job-tasks", "GET"),
        request=lambda s, i: Request(
            "GET", f"/api/jobs/rooms/{ROOM}/jobs/{s['rotate']}/tasks/?status=pending&limit=50", token=s["member_token"]
        ),
    ),
    # auth token, room access, count, page, worker links
    Scenario(
        name="jobs.room_jobs.list",
        cpu_ceiling_ms=9,
        method="GET",
        budget=declared("jobs:room-jobs", "GET"),
        request=lambda s, i: Request("GET", f"/api/jobs/rooms/{ROOM}/jobs/", token=s["member_token"]),
    ),
    # auth token, task (visibility, job, worker, queue position in one query)
    Scenario(
        name="jobs.task.get",
        cpu_ceiling_ms=20,
        method="GET",
        budget=declared("jobs:task", "GET"),
        request=lambda s, i: Request("GET", f"/api/jobs/tasks/{s['task_id']}/", token=s["member_token"]),
    ),
    # auth token, room access, job, insert, queue position with the owners of the job's workers.
    # CPU: about 5-5.5 ms/req quiet (issue 9; 9.5-10.5 before)
    Scenario(
        name="jobs.task.submit",
        cpu_ceiling_ms=12,
        method="POST",
        budget=declared("jobs:room-job-tasks", "POST", fewest=True),
        request=lambda s, i: Request(
            "POST",
            f"/api/jobs/rooms/{ROOM}/jobs/{s['rotate']}/tasks/",
            token=s["member_token"],
            json={"payload": {"i": i}},
        ),
    ),
    # the same, the payload checked against a 20-property JSON Schema (jsonschema's cost per request)
    Scenario(
        name="jobs.task.submit_schema20",
        cpu_ceiling_ms=24,
        method="POST",
        budget=declared("jobs:room-job-tasks", "POST", fewest=True),
        request=lambda s, i: Request(
            "POST",
            f"/api/jobs/rooms/{ROOM}/jobs/{s['twenty']}/tasks/",
            token=s["member_token"],
            json={"payload": twenty_payload(i)},
        ),
    ),
    # claim: auth, heartbeat, job ids, FOR UPDATE SKIP LOCKED, UPDATE; each PATCH: auth, task, UPDATE
    Scenario(
        name="jobs.task.claim_complete",
        cpu_ceiling_ms=80,
        method="POST",
        budget=declared("jobs:task-claim", "POST"),
        custom=claim_and_complete,
    ),
    # the same loop through /v1/joblib/ (the zndraw-joblib client's claim, running, completed)
    Scenario(
        name="jobs.compat.claim_complete",
        cpu_ceiling_ms=80,
        method="POST",
        budget=declared("joblib:task-claim", "POST"),
        custom=compat_claim_and_complete,
    ),
    # auth + task, then one task read per event received (no database access while waiting)
    Scenario(name="jobs.task.longpoll_wakeup", method="GET", budget=None, custom=longpoll_wakeup),
]
