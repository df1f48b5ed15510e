"""A lone surrogate in the projects choice fields (role, priority, task type) is a 400, never a 500."""

import pytest

from tests.core.test_lone_surrogates import send
from tests.projects.factories import make_task, make_team

pytestmark = pytest.mark.django_db


def test_projects_choice_fields(client_for):
    team = make_team()
    admin = client_for(team.admin)
    base = f"/api/projects/{team.project.pk}"
    send(admin, "post", f"{base}/members/", "role", f', "username": "{team.stranger.username}"')
    send(admin, "patch", f"{base}/members/{team.editor.pk}/", "role")
    send(admin, "post", f"{base}/tasks/", "priority", ', "title": "t"')
    send(admin, "post", f"{base}/tasks/", "task_type", ', "title": "t"')
    task = make_task(team.project)
    send(admin, "patch", f"{base}/tasks/{task.pk}/", "priority", f', "row_version": {task.row_version}')
