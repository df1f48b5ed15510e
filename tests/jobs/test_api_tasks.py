import pytest

from apps.jobs.ids import uuid7
from apps.jobs.models import GLOBAL_ROOM, INTERNAL_ROOM, INTERNAL_USERNAME, Task, TaskStatus
from apps.jobs.services import workers_sweep_stale
from tests.jobs.factories import JobFactory, TaskFactory, WorkerFactory, WorkerJobFactory

pytestmark = pytest.mark.django_db


def submit(client, url, payload=None):
    return client.post(url + "tasks/", {"payload": payload or {"angle": 90}}, format="json")


def task_url(task_id) -> str:
    return f"/api/jobs/tasks/{task_id}/"


# --- submit -------------------------------------------------------------------


def test_submit_is_202_with_location(cast, client_for):
    response = submit(client_for(cast.member), cast.job_url)
    assert response.status_code == 202, response.json()
    body = response.json()
    assert response["Location"] == f"/api/jobs/tasks/{body['id']}/"
    assert body["status"] == "pending"
    assert body["queue_position"] == 1
    assert body["job_name"] == "lab:modifiers:rotate"
    assert body["room"] == "lab"
    assert body["payload"] == {"angle": 90}
    assert set(body) == {
        "id",
        "job_name",
        "room",
        "status",
        "created_at",
        "started_at",
        "completed_at",
        "worker_id",
        "error",
        "payload",
        "result",
        "queue_position",
    }
    assert Task.objects.get(pk=body["id"]).created_by == cast.member


def test_an_internal_task_is_claimed_at_once(cast, client_for, internal_convert):
    job = JobFactory(room=INTERNAL_ROOM, name="convert")
    response = submit(client_for(cast.member), f"/api/jobs/rooms/lab/jobs/{job.full_name}/")
    assert response.status_code == 202
    task = Task.objects.select_related("worker__user").get(pk=response.json()["id"])
    assert task.status == TaskStatus.CLAIMED
    assert task.worker.user.username == INTERNAL_USERNAME
    assert response.json()["queue_position"] is None


@pytest.mark.parametrize("payload", [[1, 2], "text", 3])
def test_a_payload_must_be_an_object(cast, client_for, payload):
    response = client_for(cast.member).post(cast.job_url + "tasks/", {"payload": payload}, format="json")
    assert response.status_code == 400
    assert "payload" in response.json()


def test_malformed_json_is_400(cast, client_for):
    response = client_for(cast.member).post(
        cast.job_url + "tasks/", data='{"payload": {', content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_a_nul_inside_the_payload_is_400_not_500(cast, client_for):
    response = client_for(cast.member).post(
        cast.job_url + "tasks/", data='{"payload": {"a": "\\u0000"}}', content_type="application/json"
    )
    assert response.status_code == 400


def test_unknown_job_is_404(cast, client_for):
    response = submit(client_for(cast.member), "/api/jobs/rooms/lab/jobs/lab:modifiers:nope/")
    assert response.status_code == 404
    assert response.json()["code"] == "job_not_found"


def test_a_stranger_cannot_submit(cast, client_for):
    assert submit(client_for(cast.stranger), cast.job_url).status_code == 404
    assert not Task.objects.exists()


def test_tasks_are_not_submitted_from_a_shared_room(cast, client_for, superuser):
    job = JobFactory(room=GLOBAL_ROOM, name="energy")
    response = submit(client_for(superuser), f"/api/jobs/rooms/@global/jobs/{job.full_name}/")
    assert response.status_code == 400
    assert response.json()["code"] == "shared_room"


# --- claim --------------------------------------------------------------------


def claim(client, worker_id):
    return client.post("/api/jobs/tasks/claim/", {"worker_id": worker_id}, format="json")


def test_claim_takes_the_oldest_pending_task_of_the_workers_jobs(cast, client_for):
    other_job = JobFactory(room="lab")
    TaskFactory(job=other_job, room="lab")  # not this worker's job
    oldest = TaskFactory(job=cast.job, room="lab")
    newer = TaskFactory(job=cast.job, room="lab")
    client = client_for(cast.owner)

    first = claim(client, cast.worker.pk)
    assert first.status_code == 200
    assert first.json()["task"]["id"] == str(oldest.pk)
    assert first.json()["task"]["status"] == "claimed"
    assert first.json()["task"]["worker_id"] == str(cast.worker.pk)
    assert claim(client, cast.worker.pk).json()["task"]["id"] == str(newer.pk)
    assert claim(client, cast.worker.pk).json() == {"task": None}


def test_claiming_for_someone_elses_worker_is_404_as_for_an_unknown_one(cast, client_for):
    TaskFactory(job=cast.job, room="lab")
    for user in (cast.member, cast.stranger):
        response = claim(client_for(user), cast.worker.pk)
        assert response.status_code == 404
        assert response.json()["code"] == "worker_not_found"
    assert Task.objects.get().status == TaskStatus.PENDING


def test_claiming_for_an_unknown_worker_is_404(client_for, user):
    assert claim(client_for(user), uuid7()).status_code == 404


@pytest.mark.parametrize(
    "body", [{}, {"worker_id": "x"}, {"worker_id": 0}, {"worker_id": 2**64}, {"worker_id": "0" * 33}]
)
def test_bad_claims_are_400(client_for, user, body):
    assert client_for(user).post("/api/jobs/tasks/claim/", body, format="json").status_code == 400


# --- status changes -------------------------------------------------------------

ALLOWED = [
    ("pending", "cancelled"),
    ("claimed", "running"),
    ("claimed", "failed"),
    ("claimed", "cancelled"),
    ("running", "completed"),
    ("running", "failed"),
    ("running", "cancelled"),
]
ALL = ["claimed", "running", "completed", "failed", "cancelled"]
REFUSED = [
    (current, new)
    for current in ["pending", "claimed", "running", "completed", "failed", "cancelled"]
    for new in ALL
    if (current, new) not in ALLOWED and (current, new) != ("pending", "claimed") and current != new
]


def held_task(cast, status):
    worker = None if status == "pending" else cast.worker
    return TaskFactory(job=cast.job, room="lab", worker=worker, status=status, created_by=cast.member)


@pytest.mark.parametrize("current, new", ALLOWED)
def test_allowed_transitions(cast, client_for, current, new):
    task = held_task(cast, current)
    response = client_for(cast.owner if current != "pending" else cast.member).patch(
        task_url(task.pk), {"status": new}, format="json"
    )
    assert response.status_code == 200, response.json()
    task.refresh_from_db()
    assert task.status == new
    assert (task.started_at is not None) == (new == "running")
    assert (task.completed_at is not None) == (new in {"completed", "failed", "cancelled"})


@pytest.mark.parametrize("status", ALL)
def test_a_repeated_transition_by_the_holder_is_200_and_changes_nothing(
    cast, client_for, status, django_capture_on_commit_callbacks
):
    task = held_task(cast, status)
    before = Task.objects.values().get(pk=task.pk)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(cast.owner).patch(task_url(task.pk), {"status": status}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == status
    assert Task.objects.values().get(pk=task.pk) == before
    assert callbacks == []  # no event: nothing happened


@pytest.mark.parametrize("status", ["claimed", "running", "completed"])
def test_a_repeated_transition_by_anyone_else_is_still_refused(cast, client_for, status):
    task = held_task(cast, status)
    response = client_for(cast.member).patch(task_url(task.pk), {"status": status}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


@pytest.mark.parametrize("current, new", REFUSED)
def test_refused_transitions_are_409(cast, client_for, superuser, current, new):
    task = held_task(cast, current)
    response = client_for(superuser).patch(task_url(task.pk), {"status": new}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    task.refresh_from_db()
    assert task.status == current


def test_claim_a_pending_task_by_patch(cast, client_for):
    task = held_task(cast, "pending")
    client = client_for(cast.owner)
    assert client.patch(task_url(task.pk), {"status": "claimed"}, format="json").status_code == 400
    response = client.patch(task_url(task.pk), {"status": "claimed", "worker_id": cast.worker.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["worker_id"] == str(cast.worker.pk)


def test_claim_by_patch_needs_a_worker_serving_the_job(cast, client_for):
    task = held_task(cast, "pending")
    idle = WorkerFactory(user=cast.owner)
    response = client_for(cast.owner).patch(
        task_url(task.pk), {"status": "claimed", "worker_id": idle.pk}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "worker_not_serving_job"


def test_failed_keeps_the_error(cast, client_for):
    task = held_task(cast, "running")
    response = client_for(cast.owner).patch(task_url(task.pk), {"status": "failed", "error": "boom"}, format="json")
    assert response.json()["error"] == "boom"


def test_an_error_on_a_completed_task_is_400(cast, client_for):
    task = held_task(cast, "running")
    response = client_for(cast.owner).patch(task_url(task.pk), {"status": "completed", "error": "x"}, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize("body", [{"status": "bogus"}, {"status": "pending"}, {}, {"status": "failed", "error": 3.5}])
def test_bad_status_bodies_are_400(cast, client_for, body):
    task = held_task(cast, "running")
    response = client_for(cast.owner).patch(task_url(task.pk), body, format="json")
    assert response.status_code == 400  # a number is not a string (apps.core.strict)


def test_only_the_workers_owner_moves_a_held_task(cast, client_for):
    task = held_task(cast, "claimed")
    # a member of the room sees the task but may not run it
    assert client_for(cast.member).patch(task_url(task.pk), {"status": "running"}, format="json").status_code == 403
    # a stranger does not even see it
    assert client_for(cast.stranger).patch(task_url(task.pk), {"status": "running"}, format="json").status_code == 404
    task.refresh_from_db()
    assert task.status == TaskStatus.CLAIMED


def test_the_submitter_may_cancel_but_not_complete(cast, client_for):
    task = held_task(cast, "running")
    submitter = client_for(cast.member)
    assert submitter.patch(task_url(task.pk), {"status": "completed"}, format="json").status_code == 403
    assert submitter.patch(task_url(task.pk), {"status": "cancelled"}, format="json").status_code == 200


def test_a_stranger_cannot_cancel(cast, client_for):
    task = held_task(cast, "pending")
    assert client_for(cast.stranger).patch(task_url(task.pk), {"status": "cancelled"}, format="json").status_code == 404


def test_a_worker_that_lost_its_task_to_the_sweeper_gets_409(cast, client_for, settings):
    from datetime import timedelta

    from django.utils import timezone

    task = held_task(cast, "running")
    workers_sweep_stale(now=timezone.now() + timedelta(seconds=settings.JOBS_WORKER_TIMEOUT + 1))
    response = client_for(cast.owner).patch(task_url(task.pk), {"status": "completed"}, format="json")
    assert response.status_code == 409
    task.refresh_from_db()
    assert task.status == TaskStatus.FAILED
    assert task.error == "Worker disconnected"


def test_the_status_write_is_conditional_on_the_worker_still_holding_the_task(cast):
    """The read-check-write race: the task moved to another worker between the read and the UPDATE."""
    from unittest import mock

    from apps.core.exceptions import ConflictError
    from apps.jobs import selectors, services

    task = held_task(cast, "claimed")
    real_get = selectors.task_get

    def read_then_lose(**kwargs):
        seen = real_get(**kwargs)
        Task.objects.filter(pk=task.pk).update(worker=WorkerFactory())  # someone else holds it now
        return seen

    with mock.patch.object(services, "task_get", side_effect=read_then_lose), pytest.raises(ConflictError) as error:
        services.task_status_change(user=cast.owner, task_id=task.pk, status="running")
    assert error.value.code == "task_changed"
    assert Task.objects.get(pk=task.pk).status == TaskStatus.CLAIMED


# --- reads --------------------------------------------------------------------


def test_get_a_task(cast, client_for):
    task = held_task(cast, "pending")
    response = client_for(cast.owner).get(task_url(task.pk))
    assert response.status_code == 200
    assert response.json()["queue_position"] == 1
    assert response.json()["payload"] == {"n": 1}


def test_get_a_task_is_refused_to_strangers(cast, client_for):
    task = held_task(cast, "pending")
    assert client_for(cast.stranger).get(task_url(task.pk)).status_code == 404
    assert client_for(cast.stranger).get(task_url(10**17)).status_code == 404


def test_queue_positions_per_job_newest_first(cast, client_for):
    first, second, third = (TaskFactory(job=cast.job, room="lab") for _ in range(3))
    other = TaskFactory(job=JobFactory(room="lab"), room="lab")
    claimed = TaskFactory(job=cast.job, room="lab", status=TaskStatus.CLAIMED, worker=cast.worker)
    items = client_for(cast.member).get("/api/jobs/rooms/lab/tasks/").json()["items"]
    positions = {item["id"]: item["queue_position"] for item in items}
    assert [item["id"] for item in items] == [
        str(claimed.pk),
        str(other.pk),
        str(third.pk),
        str(second.pk),
        str(first.pk),
    ]
    assert positions == {str(t.pk): n for t, n in [(claimed, None), (other, 1), (third, 3), (second, 2), (first, 1)]}


def test_queue_position_counts_pending_tasks_from_every_room(cast, client_for):
    shared = JobFactory(room=GLOBAL_ROOM, name="energy")
    TaskFactory(job=shared, room="elsewhere")
    mine = TaskFactory(job=shared, room="lab")
    items = client_for(cast.member).get(f"/api/jobs/rooms/lab/jobs/{shared.full_name}/tasks/").json()["items"]
    # a global job listed from a room shows only that room's tasks, but its place in the whole queue
    assert [(item["id"], item["queue_position"]) for item in items] == [(str(mine.pk), 2)]


def test_status_filter(cast, client_for):
    TaskFactory(job=cast.job, room="lab")
    done = TaskFactory(job=cast.job, room="lab", status=TaskStatus.COMPLETED)
    client = client_for(cast.member)
    assert [t["id"] for t in client.get("/api/jobs/rooms/lab/tasks/?status=completed").json()["items"]] == [
        str(done.pk)
    ]
    job_tasks = client.get(cast.job_url + "tasks/?status=completed").json()["items"]
    assert [t["id"] for t in job_tasks] == [str(done.pk)]
    assert client.get("/api/jobs/rooms/lab/tasks/?status=bogus").status_code == 400


def test_a_stranger_cannot_list_tasks(cast, client_for):
    TaskFactory(job=cast.job, room="lab")
    client = client_for(cast.stranger)
    assert client.get("/api/jobs/rooms/lab/tasks/").status_code == 404
    assert client.get(cast.job_url + "tasks/").status_code == 404


def test_prefer_wait_must_be_a_number(cast, client_for):
    task = held_task(cast, "pending")
    response = client_for(cast.member).get(task_url(task.pk), HTTP_PREFER="wait=abc")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_prefer_wait"


def test_a_wait_over_the_cap_is_clamped(cast, client_for):
    task = held_task(cast, "completed")  # a finished task answers at once
    response = client_for(cast.member).get(task_url(task.pk), HTTP_PREFER="wait=600")
    assert response.status_code == 200
    assert response["Preference-Applied"] == "wait=60"


def test_the_global_job_owner_sees_the_task_their_worker_holds(cast, client_for):
    shared = JobFactory(room=GLOBAL_ROOM, name="energy")
    outsider_worker = WorkerFactory()
    WorkerJobFactory(worker=outsider_worker, job=shared)
    task = TaskFactory(job=shared, room="lab")
    client = client_for(outsider_worker.user)
    assert client.get(task_url(task.pk)).status_code == 404  # not a member, not holding it
    assert claim(client, outsider_worker.pk).json()["task"]["id"] == str(task.pk)
    assert client.get(task_url(task.pk)).status_code == 200
    assert client.patch(task_url(task.pk), {"status": "running"}, format="json").status_code == 200
