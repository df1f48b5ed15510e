"""Whatever a member sends to the task endpoints, the answer is never a 500 and a refusal writes nothing."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.projects.models import Task
from tests.projects.factories import make_task, make_team

pytestmark = pytest.mark.django_db

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=1),
    st.sampled_from(["2030-01-01", "none", "done", "high", "bug", "2030-13-45"]),
)
FIELDS = [
    "title",
    "description",
    "status_id",
    "task_type",
    "priority",
    "story_points",
    "due_date",
    "assignee_id",
    "parent_id",
    "row_version",
    "archived",
    "before_id",
    "after_id",
]
BODIES = st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=5)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(create=BODIES, patch=BODIES, move=BODIES)
def test_fuzzed_task_writes_never_fail(client_for, create, patch, move):
    team = make_team()
    task = make_task(team.project)
    client = client_for(team.editor)
    base = f"/api/projects/{team.project.pk}/tasks/"
    before = Task.objects.filter(project=team.project).count()
    created = client.post(base, create, format="json")
    assert created.status_code < 500, (create, created.content)
    if created.status_code >= 400:
        assert Task.objects.filter(project=team.project).count() == before
    assert client.patch(f"{base}{task.pk}/", patch, format="json").status_code < 500, patch
    assert client.post(f"{base}{task.pk}/move/", move, format="json").status_code < 500, move
