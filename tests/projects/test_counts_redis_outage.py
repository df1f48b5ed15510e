"""A lost invalidation: Redis goes down, projects are written, Redis comes back with its old data.

The counts' version lives on the project row (bumped in the write's transaction), so the
figures cached before the outage are never served for a project written during it.
Runs against a private redis-server started for this test (the shared one is never stopped).
"""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
import redis

from apps.projects.models import Task
from tests.liveserver import free_port
from tests.projects.factories import make_team, status_of

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db]


class PrivateRedis:
    def __init__(self, directory):
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - a fixed redis-server command line
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.directory), "--dbfilename", "dump.rdb"],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop_keeping_data(self) -> None:
        """Snapshot what Redis holds, then stop it: it restarts from that snapshot."""
        redis.Redis(port=self.port).save()
        self.process.terminate()
        self.process.wait(10)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def private_redis(tmp_path, settings):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(tmp_path)
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "brisk-outage-test",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    yield server
    server.kill()


def _figures(client, project):
    stats = client.get(f"/api/projects/{project.pk}/stats/").json()
    detail = client.get(f"/api/projects/{project.pk}/").json()
    listed = next(item for item in client.get("/api/projects/").json()["items"] if item["id"] == project.pk)
    tasks_total = client.get(f"/api/projects/{project.pk}/tasks/").json()["total"]
    return stats["total"], stats["todo"], detail["counts"]["total"], listed["counts"]["total"], tasks_total


def test_counts_written_during_a_redis_outage_are_fresh_when_it_returns(private_redis, client_for):
    team = make_team()
    project = team.project
    client = client_for(team.admin)
    todo = status_of(project, "todo")
    for _ in range(2):
        assert client.post(f"/api/projects/{project.pk}/tasks/", {"title": "before"}, format="json").status_code == 201
    assert _figures(client, project) == (2, 2, 2, 2, 2)  # and now cached in the private Redis

    private_redis.stop_keeping_data()
    # written while the cache is away: every request still succeeds
    for _ in range(3):
        response = client.post(
            f"/api/projects/{project.pk}/tasks/", {"title": "during", "status_id": todo.pk}, format="json"
        )
        assert response.status_code == 201
    assert _figures(client, project) == (5, 5, 5, 5, 5)

    private_redis.start()  # back, with the figures it held before the outage
    assert redis.Redis(port=private_redis.port).dbsize() > 0
    assert Task.objects.filter(project=project).count() == 5
    first = _figures(client, project)  # (the first command may meet a dead pooled connection)
    assert first == (5, 5, 5, 5, 5)
    assert _figures(client, project) == (5, 5, 5, 5, 5)
