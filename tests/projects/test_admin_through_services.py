"""A task edited in the admin goes through `task_update`: row_version bumps, the board hears it,
and a PATCH with the version read before the admin edit is refused (409), not silently applied."""

import pytest

from apps.projects.models import ProjectMember, Task
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


def test_admin_role_change_goes_through_member_update(client, superuser, django_capture_on_commit_callbacks):
    team = make_team()
    member = ProjectMember.objects.get(project=team.project, user=team.editor)
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(f"/admin/projects/projectmember/{member.pk}/change/", {"role": "viewer", "_save": "1"})
    assert response.status_code == 302
    assert ProjectMember.objects.get(pk=member.pk).role == "viewer"
    assert callbacks, "member.updated is broadcast"


def test_admin_cannot_demote_or_remove_the_last_admin(client, superuser):
    team = make_team()
    last_admin = ProjectMember.objects.get(project=team.project, user=team.admin)
    client.force_login(superuser)
    response = client.post(f"/admin/projects/projectmember/{last_admin.pk}/change/", {"role": "editor", "_save": "1"})
    assert response.status_code == 302
    assert ProjectMember.objects.get(pk=last_admin.pk).role == "admin"
    assert "Not saved" in client.get(response["Location"]).content.decode()

    response = client.post(f"/admin/projects/projectmember/{last_admin.pk}/delete/", {"post": "yes"})
    assert ProjectMember.objects.filter(pk=last_admin.pk).exists()
    response = client.post(
        "/admin/projects/projectmember/",
        {"action": "delete_selected", "_selected_action": [last_admin.pk], "post": "yes"},
    )
    assert ProjectMember.objects.filter(pk=last_admin.pk).exists()


def test_admin_removes_a_member_through_the_service(client, superuser, django_capture_on_commit_callbacks):
    team = make_team()
    member = ProjectMember.objects.get(project=team.project, user=team.viewer)
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(f"/admin/projects/projectmember/{member.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not ProjectMember.objects.filter(pk=member.pk).exists()
    assert callbacks, "member.removed is broadcast"


def test_project_page_shows_members_read_only(client, superuser):
    team = make_team()
    client.force_login(superuser)
    page = client.get(f"/admin/projects/project/{team.project.pk}/change/").content.decode()
    assert team.editor.username in page
    assert 'name="members-0-role"' not in page


def test_admin_comment_delete_is_a_moderated_tombstone(client, superuser):
    from apps.projects import services

    team = make_team()
    task = make_task(team.project)
    comment = services.comment_create(project=team.project, author=team.editor, task_id=task.pk, body="spam")
    client.force_login(superuser)
    assert client.get("/admin/projects/comment/").status_code == 200
    response = client.post(f"/admin/projects/comment/{comment.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.deleted_at is not None and comment.body == ""
    assert Task.objects.get(pk=task.pk).comment_count == 0


def test_admin_checklist_item_delete_goes_through_the_service(client, superuser):
    from apps.projects import services

    team = make_team()
    task = make_task(team.project)
    item = services.checklist_item_create(project=team.project, actor=team.editor, task_id=task.pk, text="x", done=True)
    client.force_login(superuser)
    assert client.get("/admin/projects/checklistitem/").status_code == 200
    response = client.post(f"/admin/projects/checklistitem/{item.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert Task.objects.values_list("checklist_total", "checklist_done").get(pk=task.pk) == (0, 0)
