"""The job queue on the embedded default (SQLite, no Redis: Celery eager), in a subprocess:
migrate, the internal jobs' sync, the demo data twice, then the zndraw-joblib surface submitting
an @internal job (run at once), listing with queue positions, and a claim."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.liveserver import ROOT

pytestmark = pytest.mark.django_db  # no query runs here; the session fixtures expect the test database

SCRIPT = r"""
import django, os
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from io import StringIO
settings.ALLOWED_HOSTS = ["*"]
for command in ("migrate", "jobs_sync_internal", "seed_demo", "seed_demo"):
    call_command(command, stdout=StringIO(), verbosity=0)
from apps.accounts.models import User
from apps.accounts.services import token_for_user
alice = Client(HTTP_AUTHORIZATION="Bearer " + token_for_user(user=User.objects.get(username="alice")))
bob = Client(HTTP_AUTHORIZATION="Token " + token_for_user(user=User.objects.get(username="bob")))
submitted = alice.post(
    "/v1/joblib/rooms/demo/tasks/@internal:analysis:describe_numbers",
    {"payload": {"values": [1, 5, 9]}},
    content_type="application/json",
)
assert submitted.status_code == 202, submitted.content
task = alice.get("/v1/joblib/tasks/" + submitted.json()["id"]).json()
assert task["status"] == "completed" and task["result"]["median"] == 5.0, task
pending = alice.get("/v1/joblib/rooms/demo/tasks?status=pending").json()["items"]
assert sorted(item["queue_position"] for item in pending if item["job_name"] == "demo:modifiers:rotate") == [1, 2]
worker = bob.get("/v1/joblib/workers").json()["items"][0]["id"]
claimed = bob.post("/v1/joblib/tasks/claim", {"worker_id": worker}, content_type="application/json").json()["task"]
assert claimed["job_name"] == "demo:modifiers:rotate" and claimed["payload"] == {"angle": 90}, claimed
print("embedded ok")
"""


@pytest.mark.parametrize("silk", ["0", "1"])
def test_the_job_queue_works_on_the_embedded_default(tmp_path, silk):
    # silk off: every query runs compiled (apps.core.compiled), SQLite's bound datetimes included
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'brisk.sqlite3'}",
        DJANGO_SETTINGS_MODULE="config.settings",
        SILK_ENABLED=silk,
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "embedded ok" in result.stdout
