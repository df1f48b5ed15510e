import pytest

from apps.projects import services
from apps.projects.models import RANK_GAP, Task
from tests.projects.factories import make_project, make_task, make_team, status_of

pytestmark = pytest.mark.django_db


def column(project, category):
    status = status_of(project, category)
    return list(Task.objects.filter(project=project, status=status, archived_at__isnull=True).order_by("rank"))


def move_url(task):
    return f"/api/projects/{task.project_id}/tasks/{task.pk}/move/"


def test_move_within_a_column_before_and_after(client_for):
    team = make_team()
    a, b, c = (make_task(team.project, title=t) for t in "abc")
    client = client_for(team.editor)
    response = client.post(move_url(c), {"before_id": a.pk})
    assert response.status_code == 200, response.json()
    assert [t.title for t in column(team.project, "todo")] == ["c", "a", "b"]
    assert client.post(move_url(c), {"after_id": b.pk}).status_code == 200
    assert [t.title for t in column(team.project, "todo")] == ["a", "b", "c"]
    assert client.post(move_url(a), {"after_id": b.pk, "before_id": c.pk}).status_code == 200
    assert [t.title for t in column(team.project, "todo")] == ["b", "a", "c"]
    assert client.post(move_url(b), {}).status_code == 200  # no anchor: to the bottom
    assert [t.title for t in column(team.project, "todo")] == ["a", "c", "b"]


def test_move_writes_one_row_in_the_common_case(client_for, django_assert_max_num_queries):
    team = make_team()
    a, b, c = (make_task(team.project, title=t) for t in "abc")
    before = {t.pk: t.rank for t in column(team.project, "todo")}
    client_for(team.editor).post(move_url(c), {"after_id": a.pk})
    after = {t.pk: t.rank for t in column(team.project, "todo")}
    assert [pk for pk in before if before[pk] != after[pk]] == [c.pk]


def test_move_across_columns_sets_and_clears_completed_at(client_for):
    team = make_team()
    task = make_task(team.project, assignee=team.editor)
    done_task = make_task(team.project, category="done", assignee=team.editor)
    client = client_for(team.editor)
    done = status_of(team.project, "done")
    moved = client.post(move_url(task), {"status_id": done.pk, "before_id": done_task.pk}).json()
    assert moved["status"]["id"] == done.pk and moved["completed_at"] is not None
    assert [t.pk for t in column(team.project, "done")] == [task.pk, done_task.pk]
    back = client.post(move_url(task), {"status_id": status_of(team.project, "active").pk}).json()
    assert back["completed_at"] is None and back["row_version"] == 3


@pytest.mark.parametrize(
    "case,code,status",
    [
        ("anchor_other_column", "anchor_not_in_column", 400),
        ("anchor_other_project", "unknown_anchor", 400),
        ("status_other_project", "unknown_status", 400),
        ("anchor_self", "invalid_anchor", 400),
        ("out_of_order", "anchors_out_of_order", 409),
        ("unassigned_to_active", "unassigned_task_not_todo", 400),
    ],
)
def test_bad_moves_are_refused_and_change_nothing(client_for, case, code, status):
    team = make_team()
    a = make_task(team.project, title="a")
    b = make_task(team.project, title="b")
    c = make_task(team.project, title="c")
    active_task = make_task(team.project, category="active", assignee=team.editor)
    other = make_project()
    foreign = make_task(other)
    body = {
        "anchor_other_column": {"before_id": active_task.pk},
        "anchor_other_project": {"before_id": foreign.pk},
        "status_other_project": {"status_id": status_of(other, "todo").pk},
        "anchor_self": {"before_id": a.pk},
        "out_of_order": {"after_id": c.pk, "before_id": b.pk},
        "unassigned_to_active": {"status_id": status_of(team.project, "active").pk},
    }[case]
    snapshot = list(Task.objects.order_by("pk").values_list("pk", "rank", "status_id", "row_version"))
    response = client_for(team.editor).post(move_url(a), body)
    assert response.status_code == status, response.json()
    assert response.json()["code"] == code
    assert list(Task.objects.order_by("pk").values_list("pk", "rank", "status_id", "row_version")) == snapshot


def test_a_column_is_renumbered_when_a_gap_runs_out():
    team = make_team()
    project = team.project
    a = make_task(project, title="a")
    b = make_task(project, title="b")
    movers = [make_task(project, title=f"m{i}") for i in range(20)]
    # each move lands right after a: the gap between a and its follower halves every time
    for mover in movers:
        services.task_move(project=project, actor=team.editor, task_id=mover.pk, after_id=a.pk)
    ranks = [t.rank for t in column(project, "todo")]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)
    titles = [t.title for t in column(project, "todo")]
    assert titles == ["a", *[f"m{i}" for i in reversed(range(20))], "b"]
    # only a renumbering moves b, which was never moved itself; after it the ranks are gapped again
    assert Task.objects.get(pk=b.pk).rank != b.rank
    assert Task.objects.get(pk=a.pk).rank % RANK_GAP == 0
