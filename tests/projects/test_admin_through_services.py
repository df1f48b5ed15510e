"""A task edited in the admin goes through `task_update`: row_version bumps, the board hears it,
and a PATCH with the version read before the admin edit is refused (409), not silently applied."""

import pytest

from apps.projects.models import Task
from tests.projects.factories import make_task, make_team

pytestmark = pytest.mark.django_db


def admin_form(task: Task, **changes) -> dict:
    data = {
        "title": task.title,
        "description": task.description,
        "task_type": task.task_type,
        "priority": task.priority,
        "story_points": "" if task.story_points is None else task.story_points,
        "due_date": "",
        "assignee": task.assignee_id or "",
        "parent": task.parent_id or "",
        "row_version_read": task.row_version,
        "_save": "Save",
    }
    data.update(changes)
    return data


def test_admin_title_change_goes_through_the_service(client, superuser, client_for, django_capture_on_commit_callbacks):
    team = make_team()
    task = make_task(team.project, title="Before")
    read_version = task.row_version
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(f"/admin/projects/task/{task.pk}/change/", admin_form(task, title="After"))
    assert response.status_code == 302, response.content[:2000]
    task.refresh_from_db()
    assert task.title == "After"
    assert task.row_version == read_version + 1
    assert callbacks, "task.updated is broadcast on commit"

    stale = client_for(team.admin).patch(
        f"/api/projects/{team.project.pk}/tasks/{task.pk}/", {"title": "Overwrite", "row_version": read_version}
    )
    assert stale.status_code == 409
    assert Task.objects.get(pk=task.pk).title == "After"


def test_admin_edit_of_a_task_changed_meanwhile_is_refused(client, superuser, client_for):
    team = make_team()
    task = make_task(team.project, title="Before")
    read_version = task.row_version
    # the API changes the task after the operator opened the form
    client_for(team.admin).patch(
        f"/api/projects/{team.project.pk}/tasks/{task.pk}/", {"title": "By the API", "row_version": read_version}
    )
    client.force_login(superuser)
    response = client.post(
        f"/admin/projects/task/{task.pk}/change/", admin_form(task, title="By the admin", row_version_read=read_version)
    )
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).title == "By the API"
    page = client.get(response["Location"]).content.decode()
    assert "Not saved" in page


def test_admin_cannot_add_a_task(client, superuser):
    client.force_login(superuser)
    assert client.get("/admin/projects/task/add/").status_code == 403
