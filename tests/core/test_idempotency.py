"""`Idempotency-Key` on every create: a retry answers the first result and writes nothing."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from apps.core.models import IdempotencyKey
from apps.jobs.models import Task as JobTask
from apps.jobs.models import Worker
from apps.projects.models import Project, Task
from tests.accounts.factories import UserFactory
from tests.jobs.factories import JobFactory, RoomFactory, RoomMemberFactory
from tests.projects.factories import make_project

pytestmark = pytest.mark.postgres


class Create:
    """One create endpoint: how to call it and how many rows it has written."""

    def __init__(self, user):
        self.user = user

    @property
    def fresh_body(self):
        """A body that makes a second, distinct object."""
        return self.body

    def post(self, client, body=None, key=None):
        headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
        return client.post(self.url, self.body if body is None else body, format="json", **headers)


class ProjectCreate(Create):
    url = "/api/projects/"
    body = {"key": "IDEM", "name": "Idempotent"}
    other_body = {"key": "IDEM", "name": "Another name"}
    fresh_body = {"key": "IDEMB", "name": "Idempotent"}

    def written(self):
        return Project.objects.count()


class TaskCreate(Create):
    body = {"title": "once"}
    other_body = {"title": "twice"}

    def __init__(self, user):
        super().__init__(user)
        self.project = make_project(admin=user)
        self.url = f"/api/projects/{self.project.pk}/tasks/"

    def written(self):
        return Task.objects.count()


class TaskSubmit(Create):
    body = {"payload": {"n": 1}}
    other_body = {"payload": {"n": 2}}

    def __init__(self, user):
        super().__init__(user)
        room = RoomFactory(name="idem")
        RoomMemberFactory(room=room, user=user)
        job = JobFactory(room="idem", name="echo")
        self.url = f"/api/jobs/rooms/idem/jobs/{job.full_name}/tasks/"

    def written(self):
        return JobTask.objects.count()


class WorkerRegister(Create):
    url = "/api/jobs/workers/"
    body = {}
    other_body = {"unexpected": True}

    def written(self):
        return Worker.objects.count()


CREATES = [ProjectCreate, TaskCreate, TaskSubmit, WorkerRegister]


@pytest.mark.django_db
@pytest.mark.parametrize("create_class", CREATES, ids=lambda c: c.__name__)
def test_a_retry_answers_the_first_result_and_writes_nothing(create_class, client_for):
    user = UserFactory()
    create = create_class(user)
    client = client_for(user)
    before = create.written()
    first = create.post(client, key="retry-1")
    assert 200 <= first.status_code < 300, first.json()
    assert create.written() == before + 1
    again = create.post(client, key="retry-1")
    assert again.status_code == first.status_code
    assert again.json() == first.json()
    assert again.get("Location") == first.get("Location")
    assert again["Idempotent-Replayed"] == "true"
    assert create.written() == before + 1
    # without a key, or with another one, it is a new create
    assert create.post(client, body=create.fresh_body, key="retry-2").status_code == first.status_code
    assert create.written() == before + 2


@pytest.mark.django_db
@pytest.mark.parametrize("create_class", CREATES, ids=lambda c: c.__name__)
def test_the_same_key_with_another_body_is_422(create_class, client_for):
    user = UserFactory()
    create = create_class(user)
    client = client_for(user)
    assert create.post(client, key="k").status_code < 300
    written = create.written()
    refused = create.post(client, body=create.other_body, key="k")
    assert refused.status_code == 422
    assert refused.json()["code"] == "idempotency_key_reused"
    assert create.written() == written


@pytest.mark.django_db
def test_keys_belong_to_their_user(client_for):
    alice, bob = UserFactory(), UserFactory()
    first = client_for(alice).post("/api/jobs/workers/", HTTP_IDEMPOTENCY_KEY="shared")
    second = client_for(bob).post("/api/jobs/workers/", HTTP_IDEMPOTENCY_KEY="shared")
    assert first.json()["id"] != second.json()["id"]
    assert "Idempotent-Replayed" not in second


@pytest.mark.django_db
def test_a_refused_create_keeps_the_key_free(client_for):
    user = UserFactory()
    client = client_for(user)
    bad = client.post("/api/projects/", {"key": "lower", "name": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="fix-me")
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()
    good = client.post("/api/projects/", {"key": "FIXED", "name": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="fix-me")
    assert good.status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "tab\there"])
def test_a_malformed_key_is_400(client_for, key):
    response = client_for(UserFactory()).post("/api/jobs/workers/", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert not Worker.objects.exists()


@pytest.mark.django_db
def test_after_24_hours_the_key_is_free_and_the_sweep_deletes_it(client_for):
    user = UserFactory()
    client = client_for(user)
    first = client.post("/api/jobs/workers/", HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyKey.objects.update(created_at=first_time_minus(hours=25))
    later = client.post("/api/jobs/workers/", HTTP_IDEMPOTENCY_KEY="old")
    assert later.status_code == 201
    assert later.json()["id"] != first.json()["id"]
    assert "Idempotent-Replayed" not in later
    IdempotencyKey.objects.update(created_at=first_time_minus(hours=25))
    call_command("idempotency_sweep")
    assert not IdempotencyKey.objects.exists()


def first_time_minus(**delta):
    from django.utils import timezone

    return timezone.now() - timedelta(**delta)


def _waiting_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_write_once_and_answer_alike(client_for):
    """Two requests with one key, held in flight together: one writes, the other replays it."""
    user = UserFactory()
    project = make_project(admin=user)
    url = f"/api/projects/{project.pk}/tasks/"
    responses = []
    errors = []

    def send() -> None:
        try:
            client = client_for(user)
            responses.append(client.post(url, {"title": "once"}, format="json", HTTP_IDEMPOTENCY_KEY="race"))
        except BaseException as exc:  # asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    locker = threading.Event()
    release = threading.Event()

    def hold_project_lock() -> None:
        # the first request inserts its key, then waits on the project row (task numbers);
        # the second waits on the first's uncommitted key
        try:
            with transaction.atomic():
                Project.objects.select_for_update().get(pk=project.pk)
                locker.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_project_lock)
    holder.start()
    locker.wait(10)
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while _waiting_backends() < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    both_waiting = _waiting_backends()
    release.set()
    holder.join(30)
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert both_waiting == 2
    assert Task.objects.filter(project=project).count() == 1
    assert sorted(r.status_code for r in responses) == [201, 201]
    assert responses[0].json() == responses[1].json()
    assert sorted(r.has_header("Idempotent-Replayed") for r in responses) == [False, True]


@pytest.mark.django_db(transaction=True)
def test_many_concurrent_retries_write_once(client_for):
    user = UserFactory()
    room = RoomFactory(name="burst")
    RoomMemberFactory(room=room, user=user)
    job = JobFactory(room="burst", name="echo")
    url = f"/api/jobs/rooms/burst/jobs/{job.full_name}/tasks/"
    start = threading.Barrier(6)
    responses = []

    def send() -> None:
        try:
            client = client_for(user)
            start.wait()
            responses.append(client.post(url, {"payload": {"a": 1}}, format="json", HTTP_IDEMPOTENCY_KEY="burst"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert JobTask.objects.count() == 1
    assert [r.status_code for r in responses] == [202] * 6
    assert len({r["Location"] for r in responses}) == 1
