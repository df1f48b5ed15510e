import io

import pytest

from apps.accounts.services import demo_users_ensure
from apps.jobs import demo
from apps.jobs.models import Job, Room, RoomMember, Task, Worker, WorkerJob
from tests.jobs.factories import TaskFactory

pytestmark = pytest.mark.django_db

MODELS = (Room, RoomMember, Job, Worker, WorkerJob, Task)


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_demo_is_idempotent():
    users = demo_users_ensure(password="demo-password-1")
    demo.seed_demo(users=users, stdout=io.StringIO())
    first = counts()
    assert all(first.values()), first
    demo.seed_demo(users=users, stdout=io.StringIO())
    assert counts() == first


@pytest.mark.parametrize("model", ["room", "job", "worker", "task"])
def test_admin_changelists_render(cast, superuser, client, model):
    TaskFactory(job=cast.job, room="lab", worker=cast.worker)
    client.force_login(superuser)
    assert client.get(f"/admin/jobs/{model}/").status_code == 200
    if model in {"job", "task"}:
        filtered = client.get(f"/admin/jobs/{model}/?room=lab")
        assert filtered.status_code == 200
        assert 'name="room"' in filtered.content.decode()  # a text box, not a dropdown of every room


def test_admin_task_change_page_is_read_only(cast, superuser, client):
    """No dropdown of every user or worker, and no status select that skips the transitions."""
    task = TaskFactory(job=cast.job, room="lab", worker=cast.worker)
    client.force_login(superuser)
    page = client.get(f"/admin/jobs/task/{task.pk}/change/").content.decode()
    assert "<select" not in page.split('id="task_form"')[1].split("</form>")[0]
    assert 'name="status"' not in page
