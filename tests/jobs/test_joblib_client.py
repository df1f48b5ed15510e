"""The original zndraw-joblib worker client, unchanged, against a live Brisk (uvicorn, PostgreSQL,
Redis): register, submit from a second client, the manager's claim loop completes and fails
tasks, and a worker that dies (its heartbeat stops) has its task failed by the sweep."""

from __future__ import annotations

import threading
import time
from typing import Any, ClassVar

import httpx
import pytest

zndraw_joblib = pytest.importorskip("zndraw_joblib.client")  # a test-only dependency (requirements/dev.txt)

from zndraw_joblib.client import Category, Extension, JobManager  # noqa: E402

from apps.accounts.services import token_for_user  # noqa: E402
from apps.jobs import services  # noqa: E402
from apps.jobs.models import Task, TaskStatus, Worker  # noqa: E402
from tests.accounts.factories import UserFactory  # noqa: E402
from tests.liveserver import uvicorn_server  # noqa: E402

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]

WORKER_TIMEOUT_S = 2


class Api:
    """The `ApiManager` protocol the client takes (zndraw's own maps statuses the same way)."""

    def __init__(self, base_url: str, token: str) -> None:
        self.http = httpx.Client(timeout=10)
        self._base_url = base_url
        self._token = token

    def get_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    @property
    def base_url(self) -> str:
        return self._base_url

    def raise_for_status(self, response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        assert response.headers["content-type"] == "application/problem+json", response.text
        detail = response.json().get("detail", "")
        if response.status_code == 404:
            raise KeyError(detail)
        if response.status_code in (401, 403):
            raise PermissionError(detail)
        if response.status_code in (409, 422):
            raise ValueError(detail)
        response.raise_for_status()


class Rotate(Extension):
    category: ClassVar[Category] = Category.MODIFIER
    angle: float = 0.0

    def run(self, vis: Any, **kwargs: Any) -> Any:
        if self.angle < 0:
            raise ValueError("angles are positive")
        return self.angle


class Hang(Extension):
    category: ClassVar[Category] = Category.ANALYSIS
    seconds: float = 30.0

    def run(self, vis: Any, **kwargs: Any) -> Any:
        return None


def wait_for(task_id: str, api: Api, statuses: set[str], timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = api.http.get(
            f"{api.base_url}/v1/joblib/tasks/{task_id}", headers={**api.get_headers(), "Prefer": "wait=5"}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        if body["status"] in statuses:
            return body
    raise AssertionError(f"task {task_id} never reached {statuses}: {body}")


@pytest.fixture
def server():
    with uvicorn_server(JOBS_WORKER_TIMEOUT=str(WORKER_TIMEOUT_S), SERVER_TIMING="0") as port:
        yield f"http://127.0.0.1:{port}"


def test_the_zndraw_joblib_client_runs_unchanged_against_brisk(server, settings):
    settings.JOBS_WORKER_TIMEOUT = WORKER_TIMEOUT_S  # the sweep, run here, reads the same timeout
    owner, submitter = UserFactory(), UserFactory()
    worker_api = Api(server, token_for_user(user=owner))
    client_api = Api(server, token_for_user(user=submitter))
    ran: list[float] = []

    def execute(claimed) -> None:
        ran.append(claimed.extension.run(None))

    manager = JobManager(worker_api, execute=execute, heartbeat_interval=0.5, polling_interval=0.2)
    try:
        manager.register(Rotate, room="lab")  # the room is created on first use, the worker too
        assert manager.worker_id is not None
        assert Worker.objects.get(pk=manager.worker_id).user == owner
        services.room_member_add(room="lab", username=submitter.username)

        submitting = JobManager(client_api)
        ok = submitting.submit(Rotate(angle=90), room="lab", job_room="lab")
        bad = submitting.submit(Rotate(angle=-1), room="lab", job_room="lab")

        done = wait_for(ok, client_api, {"completed", "failed"})
        assert done["status"] == "completed" and done["worker_id"] == str(manager.worker_id)
        failed = wait_for(bad, client_api, {"completed", "failed"})
        assert failed["status"] == "failed" and failed["error"] == "angles are positive"
        assert ran == [90.0]

        # a payload the job's schema (pydantic's, registered by the client) refuses: 400, nothing stored
        response = client_api.http.post(
            f"{server}/v1/joblib/rooms/lab/tasks/lab:modifiers:Rotate",
            json={"payload": {"angle": "ninety"}},
            headers=client_api.get_headers(),
        )
        assert response.status_code == 400 and "/angle" in response.json()["detail"]
        assert Task.objects.count() == 2
    finally:
        manager.disconnect()
    # a clean disconnect deletes the worker
    assert not Worker.objects.filter(pk=manager.worker_id or owner.pk).exists() or manager.worker_id is None


def test_a_worker_that_dies_has_its_task_failed_by_the_sweep(server, settings):
    settings.JOBS_WORKER_TIMEOUT = WORKER_TIMEOUT_S
    owner, submitter = UserFactory(), UserFactory()
    worker_api = Api(server, token_for_user(user=owner))
    client_api = Api(server, token_for_user(user=submitter))
    started, release = threading.Event(), threading.Event()

    def execute(claimed) -> None:
        started.set()
        release.wait(30)  # the process "hangs": no more claims, and no heartbeat

    # heartbeats far apart: once the claim loop hangs in execute, nothing keeps the worker alive
    dying = JobManager(worker_api, execute=execute, heartbeat_interval=3600, polling_interval=0.2)
    try:
        dying.register(Hang, room="lab")
        worker_id = dying.worker_id
        services.room_member_add(room="lab", username=submitter.username)
        task_id = JobManager(client_api).submit(Hang(), room="lab", job_room="lab")
        assert started.wait(15)
        assert wait_for(task_id, client_api, {"running"})["status"] == "running"

        time.sleep(WORKER_TIMEOUT_S + 1)
        assert services.workers_sweep_stale() == 1

        final = wait_for(task_id, client_api, {"failed"})
        assert final["error"] == "Worker disconnected"
        assert not Worker.objects.filter(pk=worker_id).exists()
    finally:
        release.set()
        dying.disconnect()
    task = Task.objects.get(pk=task_id)
    assert task.status == TaskStatus.FAILED  # the late "completed" of the revived worker changed nothing
