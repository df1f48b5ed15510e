"""Checklists: the rules, the order, the counters (equal to a fresh count after any writes), the budgets."""

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.core.exceptions import ApplicationError
from apps.projects import services
from apps.projects.models import MAX_CHECKLIST_TEXT, RANK_GAP, ChecklistItem, Task
from tests.accounts.factories import UserFactory
from tests.projects.factories import make_project, make_task, make_team
from tests.querybudget import assert_queries, assert_query_budget, declared, page_size

pytestmark = pytest.mark.django_db


def checklist_url(project, task, rest: str = "") -> str:
    return f"/api/projects/{project.pk}/tasks/{task.pk}/checklist/{rest}"


def add_items(team, task, n: int) -> list[ChecklistItem]:
    return [
        services.checklist_item_create(project=team.project, actor=team.editor, task_id=task.pk, text=f"item {i}")
        for i in range(n)
    ]


def counters(task_id: int) -> tuple[int, int]:
    return Task.objects.values_list("checklist_total", "checklist_done").get(pk=task_id)


def fresh(task_id: int) -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE done) FROM projects_checklistitem WHERE task_id = %s", [task_id]
        )
        return tuple(cursor.fetchone())


def test_create_tick_untick_delete_and_the_lists_show_the_figures(client_for):
    team = make_team()
    task = make_task(team.project)
    client = client_for(team.editor)
    first = client.post(checklist_url(team.project, task), {"text": "write it"})
    assert first.status_code == 201, first.json()
    second = client.post(checklist_url(team.project, task), {"text": "ship it", "done": True}).json()
    assert second["done"] is True and second["done_by_id"] == team.editor.pk and second["done_at"]
    assert second["rank"] == first.json()["rank"] + RANK_GAP
    ticked = client.patch(checklist_url(team.project, task, f"{first.json()['id']}/"), {"done": True}).json()
    assert ticked["done"] is True and ticked["done_by_id"] == team.editor.pk
    unticked = client.patch(checklist_url(team.project, task, f"{second['id']}/"), {"done": False}).json()
    assert unticked["done"] is False and unticked["done_by_id"] is None and unticked["done_at"] is None
    assert counters(task.pk) == (2, 1)
    items = client.get(f"/api/projects/{team.project.pk}/tasks/").json()["items"]
    assert [(i["checklist_total"], i["checklist_done"]) for i in items if i["id"] == task.pk] == [(2, 1)]
    detail = client.get(f"/api/projects/{team.project.pk}/tasks/{task.pk}/").json()
    assert (detail["checklist_total"], detail["checklist_done"]) == (2, 1)
    assert client.delete(checklist_url(team.project, task, f"{first.json()['id']}/")).status_code == 204
    assert counters(task.pk) == (1, 0) == fresh(task.pk)
    listed = client_for(team.viewer).get(checklist_url(team.project, task)).json()
    assert listed["total"] == 1 and listed["items"][0]["text"] == "ship it"


def test_move_before_and_after_and_renumber_when_the_gap_runs_out(client_for):
    team = make_team()
    task = make_task(team.project)
    a, b, c = add_items(team, task, 3)
    client = client_for(team.editor)
    moved = client.post(checklist_url(team.project, task, f"{c.pk}/move/"), {"before_id": a.pk})
    assert moved.status_code == 200, moved.json()
    order = [i["id"] for i in client.get(checklist_url(team.project, task)).json()["items"]]
    assert order == [c.pk, a.pk, b.pk]
    client.post(checklist_url(team.project, task, f"{c.pk}/move/"), {"after_id": b.pk})
    assert [i["id"] for i in client.get(checklist_url(team.project, task)).json()["items"]] == [a.pk, b.pk, c.pk]
    ChecklistItem.objects.filter(pk=a.pk).update(rank=10)
    ChecklistItem.objects.filter(pk=b.pk).update(rank=11)  # no room between a and b
    assert client.post(checklist_url(team.project, task, f"{c.pk}/move/"), {"after_id": a.pk}).status_code == 200
    assert [i["id"] for i in client.get(checklist_url(team.project, task)).json()["items"]] == [a.pk, c.pk, b.pk]


def test_bad_input_is_a_400_with_the_field_and_writes_nothing(client_for):
    team = make_team()
    task, other = make_task(team.project), make_task(team.project)
    [item] = add_items(team, task, 1)
    [elsewhere] = add_items(team, other, 1)
    client = client_for(team.editor)
    url = checklist_url(team.project, task)
    for body, field in (({"text": ""}, "text"), ({"text": "x" * (MAX_CHECKLIST_TEXT + 1)}, "text"), ({}, "text")):
        response = client.post(url, body, format="json")
        assert response.status_code == 400 and field in response.json(), response.json()
    move = checklist_url(team.project, task, f"{item.pk}/move/")
    across = client.post(move, {"before_id": elsewhere.pk})  # an item of another task
    assert across.status_code == 400 and across.json()["code"] == "checklist_anchor_not_found"
    assert "before_id" in across.json()
    assert client.post(move, {}).status_code == 400
    assert client.post(move, {"before_id": item.pk, "after_id": item.pk}).status_code == 400
    assert client.post(move, {"after_id": item.pk}).json()["code"] == "invalid_anchor"
    wrong_task = checklist_url(team.project, other, f"{item.pk}/")
    assert client.patch(wrong_task, {"done": True}).status_code == 404
    assert counters(task.pk) == (1, 0) and counters(other.pk) == (1, 0)
    assert ChecklistItem.objects.get(pk=item.pk).rank == RANK_GAP


def test_archived_tasks_checklist_is_frozen_and_viewers_cannot_write(client_for):
    team = make_team()
    task = make_task(team.project)
    [item] = add_items(team, task, 1)
    assert client_for(team.viewer).post(checklist_url(team.project, task), {"text": "x"}).status_code == 403
    assert client_for(team.viewer).patch(checklist_url(team.project, task, f"{item.pk}/"), {}).status_code == 403
    Task.objects.filter(pk=task.pk).update(archived_at="2026-01-01T00:00:00Z")
    client = client_for(team.editor)
    response = client.post(checklist_url(team.project, task), {"text": "late"})
    assert response.status_code == 409 and response.json()["code"] == "task_archived"
    assert client.patch(checklist_url(team.project, task, f"{item.pk}/"), {"done": True}).status_code == 409
    assert counters(task.pk) == (1, 0) == fresh(task.pk)


# --- budgets ------------------------------------------------------------------------------------


def test_checklist_list_budget(client_for):
    team = make_team()
    task = make_task(team.project)
    client = client_for(team.viewer)
    url = checklist_url(team.project, task)
    # auth token; project with role; the task's existence; count; page
    assert_query_budget(
        request=lambda: client.get(url),
        add_rows=lambda n: add_items(team, task, n),
        budget=declared("GET", url),
        expect_items=page_size,
    )


@pytest.mark.parametrize("existing", [1, 50])
def test_checklist_write_budgets(client_for, existing):
    team = make_team()
    task = make_task(team.project)
    items = add_items(team, task, existing)
    client = client_for(team.editor)
    url = checklist_url(team.project, task)
    # token, project, counters UPDATE ... RETURNING, last rank, INSERT
    new = assert_queries(lambda: client.post(url, {"text": "new"}), declared("POST", url).queries).json()
    item_url = url + f"{new['id']}/"
    patch = declared("PATCH", item_url)
    # token, project, item locked, UPDATE, counters
    assert assert_queries(lambda: client.patch(item_url, {"done": True}), patch.queries).status_code == 200
    # nothing differs: token, project, item locked
    assert assert_queries(lambda: client.patch(item_url, {"done": True}), patch.fewest).status_code == 200
    move_url = item_url + "move/"
    move = declared("POST", move_url)
    # token, project, item locked, anchor, neighbour, UPDATE
    body = {"before_id": items[0].pk}
    assert assert_queries(lambda: client.post(move_url, body), move.fewest).status_code == 200
    blocker = add_items(team, task, 1)[0]
    ChecklistItem.objects.filter(pk=items[0].pk).update(rank=-(2**40))
    ChecklistItem.objects.filter(pk=blocker.pk).update(rank=-(2**40) + 1)  # no room after items[0]
    # + the renumbering UPDATE, the anchor's new rank, the neighbour again
    body = {"after_id": items[0].pk}
    assert assert_queries(lambda: client.post(move_url, body), move.queries).status_code == 200
    # token, project, item locked, DELETE, counters
    assert assert_queries(lambda: client.delete(item_url), declared("DELETE", item_url).queries).status_code == 204


# --- counters equal a fresh count ------------------------------------------------------------------

OPS = ["create", "create", "create_done", "tick", "untick", "text", "delete", "move"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 10_000)), min_size=1, max_size=15))
def test_checklist_counters_equal_fresh_counts_after_random_writes(steps):
    user = UserFactory()
    project = make_project(admin=user)
    project.my_role = "admin"
    tasks = [make_task(project), make_task(project)]
    for op, pick in steps:
        task = tasks[pick % 2]
        items = list(ChecklistItem.objects.filter(task=task).order_by("pk").values_list("pk", flat=True))
        try:
            if op in ("create", "create_done") or not items:
                services.checklist_item_create(
                    project=project, actor=user, task_id=task.pk, text="x", done=op == "create_done"
                )
            else:
                item_id = items[pick % len(items)]
                kwargs = {"project": project, "actor": user, "task_id": task.pk, "item_id": item_id}
                if op in ("tick", "untick"):
                    services.checklist_item_update(**kwargs, data={"done": op == "tick"})
                elif op == "text":
                    services.checklist_item_update(**kwargs, data={"text": "y", "done": bool(pick % 3)})
                elif op == "delete":
                    services.checklist_item_delete(**kwargs)
                else:
                    anchor = items[(pick // 7) % len(items)]
                    other = ChecklistItem.objects.filter(task=tasks[(pick + 1) % 2]).values_list("pk", flat=True)
                    if pick % 5 == 0 and other:  # across tasks: refused, nothing written
                        anchor = other[0]
                    services.checklist_item_move(**kwargs, before_id=anchor)
        except ApplicationError:
            pass
        for t in tasks:
            assert counters(t.pk) == fresh(t.pk), (op, counters(t.pk), fresh(t.pk))
