"""/v1/joblib/: the zndraw-joblib paths, shapes, problem details and limits, over the same services."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.accounts.services import token_for_user
from apps.jobs.ids import uuid7
from apps.jobs.models import GLOBAL_ROOM, Job, Room, RoomMember, TaskStatus, Worker, WorkerJob
from tests.jobs.factories import JobFactory, TaskFactory, WorkerFactory, WorkerJobFactory

pytestmark = pytest.mark.django_db

V1 = "/v1/joblib"
SCHEMA = {"type": "object", "properties": {"angle": {"type": "number"}}, "required": ["angle"]}


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/v1/problems/" + code.replace("_", "-")
    assert body["status"] == status
    assert body["title"] and body["detail"]
    assert body["code"] == code
    return body


def test_create_a_worker_heartbeat_and_delete(cast, client_for):
    client = client_for(cast.owner)
    created = client.post(f"{V1}/workers")
    assert created.status_code == 201
    assert set(created.json()) == {"id", "last_heartbeat"}
    worker_id = created.json()["id"]
    beat = client.patch(f"{V1}/workers/{worker_id}")
    assert beat.status_code == 200 and beat.json()["id"] == worker_id
    listed = client.get(f"{V1}/workers").json()
    assert {item["id"] for item in listed["items"]} == {worker_id, str(cast.worker.pk)}
    assert set(listed["items"][0]) == {"id", "last_heartbeat", "job_count"}
    assert client.delete(f"{V1}/workers/{worker_id}").status_code == 204
    assert_problem(client.patch(f"{V1}/workers/{worker_id}"), 404, "worker_not_found")


def test_register_without_a_worker_creates_one_and_takes_schema_(cast, client_for):
    client = client_for(cast.owner)
    body = {"category": "modifiers", "name": "Scale", "schema_": SCHEMA}
    response = client.put(f"{V1}/rooms/lab/jobs", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    worker = Worker.objects.get(pk=data["worker_id"])
    assert worker.user == cast.owner
    assert data == {
        "id": str(Job.objects.get(name="Scale").pk),
        "room_id": "lab",
        "category": "modifiers",
        "name": "Scale",
        "full_name": "lab:modifiers:Scale",
        "schema": SCHEMA,
        "workers": [str(worker.pk)],
        "worker_id": str(worker.pk),
    }
    again = client.put(f"{V1}/rooms/lab/jobs", {**body, "worker_id": data["worker_id"]}, format="json")
    assert again.status_code == 200 and again.json()["worker_id"] == data["worker_id"]
    conflict = client.put(f"{V1}/rooms/lab/jobs", {**body, "schema_": {"type": "object"}}, format="json")
    assert_problem(conflict, 409, "job_schema_conflict")


def test_job_list_detail_and_room_workers(cast, client_for):
    JobFactory(room=GLOBAL_ROOM, name="energy")
    client = client_for(cast.member)
    jobs = client.get(f"{V1}/rooms/lab/jobs").json()
    assert jobs["total"] == 2 and jobs["limit"] == 50
    rotate = next(item for item in jobs["items"] if item["name"] == "rotate")
    assert rotate == {
        "full_name": "lab:modifiers:rotate",
        "category": "modifiers",
        "name": "rotate",
        "workers": [str(cast.worker.pk)],
    }
    detail = client.get(f"{V1}/rooms/lab/jobs/lab:modifiers:rotate").json()
    assert detail["id"] == str(cast.job.pk) and detail["workers"] == [str(cast.worker.pk)]
    assert detail["worker_id"] is None
    workers = client.get(f"{V1}/rooms/lab/workers").json()
    assert [item["id"] for item in workers["items"]] == [str(cast.worker.pk)]
    assert workers["items"][0]["job_count"] == 1
    assert_problem(client.get(f"{V1}/rooms/lab/jobs/lab:modifiers:nothing"), 404, "job_not_found")


def test_submit_claim_run_complete(cast, client_for):
    member, owner = client_for(cast.member), client_for(cast.owner)
    submitted = member.post(f"{V1}/rooms/lab/tasks/lab:modifiers:rotate", {"payload": {"angle": 9}}, format="json")
    assert submitted.status_code == 202, submitted.json()
    task_id = submitted.json()["id"]
    assert submitted["Location"] == f"/v1/joblib/tasks/{task_id}"
    assert submitted["Retry-After"] == "1"
    assert submitted.json()["room_id"] == "lab" and submitted.json()["queue_position"] == 1
    assert submitted.json()["error"] is None and submitted.json()["payload"] == {"angle": 9}

    claimed = owner.post(f"{V1}/tasks/claim", {"worker_id": str(cast.worker.pk)}, format="json").json()["task"]
    assert claimed["id"] == task_id and claimed["status"] == "claimed"
    assert claimed["worker_id"] == str(cast.worker.pk) and claimed["job_name"] == "lab:modifiers:rotate"
    assert owner.post(f"{V1}/tasks/claim", {"worker_id": str(cast.worker.pk)}, format="json").json() == {"task": None}

    for status in ("running", "running", "completed", "completed"):  # a repeat by the holder is a 200
        response = owner.patch(f"{V1}/tasks/{task_id}", {"status": status}, format="json")
        assert response.status_code == 200 and response.json()["status"] == status
    assert_problem(
        owner.patch(f"{V1}/tasks/{task_id}", {"status": "failed", "error": "late"}, format="json"),
        409,
        "invalid_transition",
    )
    detail = member.get(f"{V1}/tasks/{task_id}").json()
    assert detail["status"] == "completed" and detail["completed_at"] and detail["started_at"]
    tasks = member.get(f"{V1}/rooms/lab/tasks").json()
    assert [item["id"] for item in tasks["items"]] == [task_id] and "payload" not in tasks["items"][0]
    assert member.get(f"{V1}/rooms/lab/jobs/lab:modifiers:rotate/tasks?status=completed").json()["total"] == 1


def test_a_failure_report_keeps_its_error_and_a_long_one_is_cut(cast, client_for):
    task = TaskFactory(job=cast.job, room="lab", worker=cast.worker, status=TaskStatus.RUNNING)
    response = client_for(cast.owner).patch(f"{V1}/tasks/{task.pk}", {"status": "failed", "error": "x" * 5000})
    assert response.status_code == 200
    assert response.json()["error"] == "x" * 4000


def test_bearer_is_accepted_like_token(cast, api_client):
    token = token_for_user(user=cast.owner)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_client.get(f"{V1}/workers").status_code == 200
    assert api_client.get("/api/jobs/workers/").status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert_problem(api_client.get(f"{V1}/workers"), 401, "authentication_failed")


def test_problem_details_for_every_error(cast, client_for, api_client):
    client = client_for(cast.member)
    assert_problem(api_client.get(f"{V1}/workers"), 401, "not_authenticated")
    assert_problem(client.get(f"{V1}/tasks/{uuid7()}"), 404, "task_not_found")
    assert_problem(client.get(f"{V1}/tasks/not-a-uuid"), 404, "not_found")
    assert_problem(client.get(f"{V1}/workers/"), 404, "not_found")  # no trailing slash anywhere
    assert_problem(client.put(f"{V1}/rooms/lab/jobs/"), 404, "not_found")
    assert_problem(client.get(f"{V1}/rooms/@global/jobs"), 403, "shared_room_superuser_only")
    body = assert_problem(client.post(f"{V1}/tasks/claim", {"worker_id": 7}, format="json"), 400, "invalid")
    assert "worker_id" in body["errors"]
    body = assert_problem(
        client.put(f"{V1}/rooms/lab/jobs", {"category": "painting", "name": "x"}, format="json"), 400, "invalid"
    )
    assert "category" in body["errors"]
    assert_problem(client.delete(f"{V1}/tasks/claim"), 405, "method_not_allowed")


@pytest.mark.parametrize(
    ("query", "ok"),
    [("limit=0", True), ("limit=500", True), ("limit=501", False), ("limit=-1", False), ("limit=x", False)],
)
def test_limits_0_to_500_and_0_counts_only(cast, client_for, query, ok):
    TaskFactory(job=cast.job, room="lab")
    client = client_for(cast.member)
    for url in (f"{V1}/rooms/lab/tasks", f"{V1}/rooms/lab/jobs", f"{V1}/workers", f"{V1}/rooms/lab/workers"):
        response = client.get(f"{url}?{query}")
        if ok:
            assert response.status_code == 200, (url, response.content)
            body = response.json()
            assert body["total"] >= 1 if "workers" not in url or url.endswith("rooms/lab/workers") else True
            if query == "limit=0":
                assert body["items"] == [] and body["limit"] == 0
        else:
            body = assert_problem(response, 400, "invalid")
            assert "limit" in body["errors"]


# --- rooms are created on first use -------------------------------------------------------


def test_registering_in_a_new_room_creates_it_with_the_caller_as_member(user, client_for):
    response = client_for(user).put(f"{V1}/rooms/fresh/jobs", {"category": "analysis", "name": "A"}, format="json")
    assert response.status_code == 201, response.json()
    room = Room.objects.get(name="fresh")
    assert room.created_by == user
    assert RoomMember.objects.filter(room=room, user=user).exists()


def test_submitting_to_a_new_room_creates_it(user, client_for):
    JobFactory(room=GLOBAL_ROOM, category="analysis", name="energy", schema={})
    response = client_for(user).post(f"{V1}/rooms/newroom/tasks/@global:analysis:energy", {"payload": {}})
    assert response.status_code == 202, response.json()
    assert RoomMember.objects.filter(room__name="newroom", user=user).exists()
    # on /api/jobs/ as well: one rule behind both surfaces
    other = client_for(user).post("/api/jobs/rooms/another/jobs/@global:analysis:energy/tasks/", {"payload": {}})
    assert other.status_code == 202
    assert RoomMember.objects.filter(room__name="another", user=user).exists()


def test_a_room_others_have_stays_a_404(cast, client_for):
    body = {"category": "analysis", "name": "Grab"}
    assert_problem(client_for(cast.stranger).put(f"{V1}/rooms/lab/jobs", body, format="json"), 404, "room_not_found")
    assert_problem(
        client_for(cast.stranger).post(f"{V1}/rooms/lab/tasks/lab:modifiers:rotate", {"payload": {}}, format="json"),
        404,
        "room_not_found",
    )
    assert not Job.objects.filter(name="Grab").exists()
    assert not RoomMember.objects.filter(user=cast.stranger).exists()


# --- budgets at 1 and 50 rows ------------------------------------------------------------


def _add_tasks(cast, n):
    for _ in range(n):
        TaskFactory(job=cast.job, room="lab")


def _add_workers(cast, n):
    for _ in range(n):
        WorkerJobFactory(worker=WorkerFactory(user=cast.owner), job=cast.job)


def _add_jobs(cast, n):
    for _ in range(n):
        WorkerJobFactory(worker=cast.worker, job=JobFactory(room="lab"))


@pytest.mark.parametrize(
    ("url", "add", "already"),
    [
        (f"{V1}/rooms/lab/tasks", _add_tasks, 0),
        (f"{V1}/rooms/lab/jobs/lab:modifiers:rotate/tasks", _add_tasks, 0),
        (f"{V1}/rooms/lab/jobs", _add_jobs, 1),
        (f"{V1}/rooms/lab/workers", _add_workers, 1),
        (f"{V1}/workers", _add_workers, 1),
    ],
)
def test_list_budgets(cast, client_for, query_budget, url, add, already):
    client = client_for(cast.owner)
    query_budget.assert_query_budget(
        request=lambda: client.get(url),
        add_rows=lambda n: add(cast, n - already if n == 1 else n),
        budget=query_budget.declared("GET", url),
        expect_items=query_budget.page_size,
        small=1,
        large=50,
    )


def test_count_only_saves_the_page_queries(cast, client_for, query_budget):
    _add_tasks(cast, 3)
    url = f"{V1}/rooms/lab/tasks?limit=0"
    budget = query_budget.declared("GET", url)
    client = client_for(cast.member)
    response = query_budget.assert_queries(lambda: client.get(url), budget.fewest)
    assert response.json()["total"] == 3


def test_detail_and_write_budgets(cast, client_for, query_budget):
    owner, member = client_for(cast.owner), client_for(cast.member)
    for _ in range(50):
        TaskFactory(job=cast.job, room="lab")
    submit_url = f"{V1}/rooms/lab/tasks/lab:modifiers:rotate"
    response = query_budget.assert_queries(
        lambda: member.post(submit_url, {"payload": {}}, format="json"),
        query_budget.declared("POST", submit_url).fewest,
    )
    task_id = response.json()["id"]
    assert (
        query_budget.assert_queries(
            lambda: member.get(f"{V1}/tasks/{task_id}"), query_budget.declared("GET", f"{V1}/tasks/{task_id}").queries
        ).json()["queue_position"]
        == 51
    )
    query_budget.assert_queries(
        lambda: member.get(f"{V1}/rooms/lab/jobs/lab:modifiers:rotate"),
        query_budget.declared("GET", f"{V1}/rooms/lab/jobs/x").queries,
    )
    claim = query_budget.assert_queries(
        lambda: owner.post(f"{V1}/tasks/claim", {"worker_id": str(cast.worker.pk)}, format="json"),
        query_budget.declared("POST", f"{V1}/tasks/claim").queries,
    )
    claimed_id = claim.json()["task"]["id"]
    query_budget.assert_queries(
        lambda: owner.patch(f"{V1}/tasks/{claimed_id}", {"status": "running"}, format="json"),
        query_budget.declared("PATCH", f"{V1}/tasks/{claimed_id}").queries,
    )
    query_budget.assert_queries(
        lambda: owner.patch(f"{V1}/workers/{cast.worker.pk}"),
        query_budget.declared("PATCH", f"{V1}/workers/{cast.worker.pk}").queries,
    )
    query_budget.assert_queries(
        lambda: owner.post(f"{V1}/workers"), query_budget.declared("POST", f"{V1}/workers").queries
    )


def test_first_use_budgets(user, client_for, query_budget):
    client = client_for(user)
    url = f"{V1}/rooms/firstuse/jobs"
    budget = query_budget.declared("PUT", url)
    # the costliest path: a new room, a new worker, a new job
    response = query_budget.assert_queries(
        lambda: client.put(url, {"category": "analysis", "name": "A", "schema": {}}, format="json"), budget.queries
    )
    worker_id = response.json()["worker_id"]
    # the cheapest: a member registering the same job again with its worker
    query_budget.assert_queries(
        lambda: client.put(
            url, {"category": "analysis", "name": "A", "schema": {}, "worker_id": worker_id}, format="json"
        ),
        budget.fewest,
    )
    JobFactory(room=GLOBAL_ROOM, category="analysis", name="energy", schema={})
    submit = f"{V1}/rooms/firstsubmit/tasks/@global:analysis:energy"
    # a new room (+3) for a room's job; an @internal job's submission is the costliest (+1)
    query_budget.assert_queries(
        lambda: client.post(submit, {"payload": {}}, format="json"), query_budget.declared("POST", submit).fewest + 3
    )


def test_a_worker_deleted_by_the_client_fails_its_tasks(cast, client_for):
    task = TaskFactory(job=cast.job, room="lab", worker=cast.worker, status=TaskStatus.CLAIMED)
    assert client_for(cast.owner).delete(f"{V1}/workers/{cast.worker.pk}").status_code == 204
    task.refresh_from_db()
    assert (task.status, task.error) == (TaskStatus.FAILED, "Worker disconnected")
    assert not WorkerJob.objects.filter(worker_id=cast.worker.pk).exists()
    assert task.completed_at <= timezone.now()


def test_errors_from_outside_the_views_are_problems_too(cast, client_for, api_client):
    # the shared middleware's refusal (a NUL in the query string)
    assert_problem(client_for(cast.member).get(f"{V1}/workers?limit=%00"), 400, "malformed_request")
    # Django's CSRF page for a session caller without a token
    api_client.force_login(cast.member)
    csrf = api_client.delete(f"{V1}/workers/null")
    assert csrf.status_code in (403, 404) and csrf["Content-Type"] == "application/problem+json"
