"""Real threads, real transactions: keys are taken once each and the counts end where a fresh COUNT says."""

import threading

import pytest
from django.db import connection

from apps.projects import selectors, services
from apps.projects.models import Project, Task, TaskStatus
from tests.projects.factories import make_team

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 6
PER_THREAD = 8


def stored_derived_status(project) -> str:
    return Project.objects.select_related("derived_status").get(pk=project.pk).derived_status.name


def run_in_threads(work) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def body(n: int) -> None:
        try:
            start.wait()
            work(n)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def test_concurrent_creates_take_every_key_once_and_keep_counts_exact():
    team = make_team()
    project = team.project
    statuses = list(TaskStatus.objects.filter(project=project).order_by("rank"))

    def create(n: int) -> None:
        for i in range(PER_THREAD):
            status = statuses[(n + i) % len(statuses)]
            services.task_create(
                project=project, reporter=team.editor, title=f"{n}-{i}", status_id=status.pk, assignee_id=team.editor.pk
            )

    assert run_in_threads(create) == []
    keys = sorted(int(key.split("-")[1]) for key in Task.objects.filter(project=project).values_list("key", flat=True))
    assert keys == list(range(1, THREADS * PER_THREAD + 1))  # no gap, no duplicate
    assert Project.objects.get(pk=project.pk).next_task_number == THREADS * PER_THREAD + 1
    fresh = selectors.compute_counts_many([project.pk])[project.pk]
    assert selectors.project_counts_for_id(project_id=project.pk) == fresh
    assert stored_derived_status(project) == selectors.stats_from_counts(fresh)["derived_status"]


def test_concurrent_moves_and_creates_leave_a_consistent_derived_status():
    team = make_team()
    project = team.project
    statuses = list(TaskStatus.objects.filter(project=project).order_by("rank"))
    seeded = [
        services.task_create(project=project, reporter=team.editor, title="s", assignee_id=team.editor.pk)
        for _ in range(THREADS)
    ]

    def churn(n: int) -> None:
        for i in range(PER_THREAD):
            status = statuses[(n * 3 + i) % len(statuses)]
            if i % 2:
                services.task_move(project=project, actor=team.editor, task_id=seeded[n].pk, status_id=status.pk)
            else:
                services.task_create(
                    project=project, reporter=team.editor, title="c", status_id=status.pk, assignee_id=team.editor.pk
                )

    assert run_in_threads(churn) == []
    fresh = selectors.compute_counts_many([project.pk])[project.pk]
    assert fresh["total"] == THREADS + THREADS * PER_THREAD // 2
    assert selectors.project_counts_for_id(project_id=project.pk) == fresh
    assert stored_derived_status(project) == selectors.stats_from_counts(fresh)["derived_status"]
