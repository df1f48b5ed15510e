"""The admin cannot move a jobs task past the allowed transitions: status is read-only there,
and the cancel action goes through `task_status_change` (event included)."""

import pytest

from apps.jobs.models import Task, TaskStatus
from tests.jobs.factories import TaskFactory

pytestmark = pytest.mark.django_db


def test_admin_cannot_set_a_status(cast, superuser, client):
    task = TaskFactory(job=cast.job, room="lab", status=TaskStatus.COMPLETED)
    client.force_login(superuser)
    response = client.post(f"/admin/jobs/task/{task.pk}/change/", {"status": TaskStatus.PENDING, "_save": "1"})
    assert response.status_code in (200, 302)
    assert Task.objects.get(pk=task.pk).status == TaskStatus.COMPLETED


def test_admin_cannot_add_a_task(superuser, client):
    client.force_login(superuser)
    assert client.get("/admin/jobs/task/add/").status_code == 403


def test_admin_cancel_action_follows_the_transitions(cast, superuser, client, django_capture_on_commit_callbacks):
    pending = TaskFactory(job=cast.job, room="lab", status=TaskStatus.PENDING)
    done = TaskFactory(job=cast.job, room="lab", status=TaskStatus.COMPLETED)
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            "/admin/jobs/task/", {"action": "cancel_tasks", "_selected_action": [pending.pk, done.pk]}
        )
    assert response.status_code == 302
    assert Task.objects.get(pk=pending.pk).status == TaskStatus.CANCELLED
    assert Task.objects.get(pk=done.pk).status == TaskStatus.COMPLETED  # a finished task stays finished
    assert callbacks, "the cancellation is broadcast like any other status change"
