"""The view template (`apps.core.api`), the id converter and `model_update`."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.response import Response

from apps.core.api import MEMBER, BriskView, Budget, budget_for
from apps.core.converters import MAX_ID
from apps.core.services import model_update
from apps.projects.models import Task
from tests.projects.factories import make_task, make_team

pytestmark = pytest.mark.django_db


def test_a_handler_without_an_access_rule_cannot_be_defined():
    with pytest.raises(ImproperlyConfigured, match="declares no access"):

        class Forgetful(BriskView):
            query_budget = {"GET": 1}

            def get(self, request):
                return Response({})


def test_a_handler_without_a_query_budget_cannot_be_defined():
    with pytest.raises(ImproperlyConfigured, match="declares no query_budget"):

        class Unbudgeted(BriskView):
            access = {"GET": MEMBER, "DELETE": MEMBER}
            query_budget = {"GET": 1}

            def get(self, request):
                return Response({})

            def delete(self, request):
                return Response({})


def test_a_method_with_no_declared_rule_is_refused_with_405(client_for):
    team = make_team()
    # the stats view declares GET only: a POST never reaches a handler
    response = client_for(team.admin).post(f"/api/projects/{team.project.pk}/stats/", {})
    assert response.status_code == 405


@pytest.mark.parametrize(
    "url",
    [
        f"/api/projects/{MAX_ID + 1}/",
        "/api/projects/99999999999999999999999/",
        "/api/projects/0/",
        f"/api/projects/1/tasks/{MAX_ID + 1}/",
        f"/api/jobs/workers/{MAX_ID + 1}/",
        f"/api/jobs/tasks/{MAX_ID + 1}/",
    ],
)
def test_ids_no_bigint_can_hold_are_404_before_any_query(client_for, user, url):
    client = client_for(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 404
    assert len(queries) == 0  # the URL does not match: not even the token is looked up


def test_the_largest_id_reaches_the_view_and_is_a_plain_404(client_for, user):
    assert client_for(user).get(f"/api/projects/{MAX_ID}/").json()["code"] == "project_not_found"


def test_budget_for_reads_the_views_declaration():
    assert budget_for("projects:task-list", "GET") == Budget(3)
    assert str(budget_for("projects:project-stats", "GET")) == "2-3"
    with pytest.raises(LookupError):
        budget_for("projects:task-move", "GET")


def test_the_schema_states_each_operations_budget(client):
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/projects/{project_id}/stats/"]["get"]
    assert operation["description"].endswith("Queries: 2-3 (SQL statements per request, token lookup included).")


def test_model_update_writes_only_what_differs():
    team = make_team()
    task = make_task(team.project, title="Old")
    with CaptureQueriesContext(connection) as queries:
        _, changed = model_update(instance=task, fields=("title", "priority"), data={"title": "Old"})
    assert changed == [] and len(queries) == 0
    before = task.updated_at
    with CaptureQueriesContext(connection) as queries:
        task, changed = model_update(
            instance=task, fields=("title", "priority"), data={"title": "New", "description": "ignored"}
        )
    assert changed == ["title"]
    [update] = [q["sql"] for q in queries.captured_queries]
    assert update.startswith("UPDATE") and '"title"' in update and '"updated_at"' in update
    assert '"priority"' not in update and '"description"' not in update
    stored = Task.objects.get(pk=task.pk)
    assert stored.title == "New" and stored.description == "" and stored.updated_at > before
