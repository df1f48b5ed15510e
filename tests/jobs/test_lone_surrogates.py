"""A lone surrogate in the jobs choice fields (category, status) is a 400, never a 500."""

import pytest

from apps.jobs.models import TaskStatus as JobTaskStatus
from tests.core.test_lone_surrogates import send
from tests.jobs.factories import TaskFactory

pytestmark = pytest.mark.django_db


def test_jobs_choice_fields(cast, client_for):
    owner = client_for(cast.owner)
    send(owner, "put", "/api/jobs/rooms/lab/jobs/", "category", ', "name": "x", "schema": {}')
    task = TaskFactory(job=cast.job, room="lab", created_by=cast.member, status=JobTaskStatus.PENDING)
    send(client_for(cast.member), "patch", f"/api/jobs/tasks/{task.pk}/", "status")
