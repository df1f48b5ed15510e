"""apps.core.compiled: the compiled SQL returns exactly what the queryset returns, for every shape."""

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Value
from django.db.models.functions import Concat
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import ApiToken, User
from apps.core.compiled import compiled_query, concrete_columns, instance_from_row
from apps.projects import selectors
from apps.projects.models import Project, Task
from tests.accounts.factories import UserFactory
from tests.projects.factories import make_project, make_task

pytestmark = pytest.mark.django_db


@compiled_query(params={"min_id": int, "username": str, "joined_before": datetime.datetime})
def _users(*, min_id, username, joined_before, active_only):
    queryset = User.objects.filter(id__gte=min_id, date_joined__lt=joined_before).order_by("id")
    if username is not None:
        queryset = queryset.filter(username=username)
    if active_only:
        queryset = queryset.filter(is_active=True)
    return queryset.values("id", "username", "date_joined", "is_active")


def test_rows_equal_the_querysets_rows_in_every_shape():
    users = [UserFactory(username=f"u{i}") for i in range(5)]
    User.objects.filter(pk=users[1].pk).update(is_active=False)
    later = timezone.now() + datetime.timedelta(days=1)
    for username in (None, "u1", "nobody"):
        for active_only in (False, True):
            kwargs = {
                "min_id": users[1].pk,
                "username": username,
                "joined_before": later,
                "active_only": active_only,
            }
            assert _users.rows(**kwargs) == list(_users.queryset(**kwargs))
            assert _users.rows(compiled=False, **kwargs) == list(_users.queryset(**kwargs))
    # each shape compiled once, reused with other values
    before = len(_users._cache)
    _users.rows(min_id=users[3].pk, username=None, joined_before=later, active_only=False)
    assert len(_users._cache) == before


def test_a_page_binds_limit_and_offset_as_values():
    users = [UserFactory() for _ in range(6)]
    later = timezone.now() + datetime.timedelta(days=1)
    bound = _users.bind(min_id=users[0].pk, username=None, joined_before=later, active_only=False)
    assert [row["id"] for row in bound[2:4]] == [u.pk for u in users[2:4]]
    assert [row["id"] for row in bound[5:55]] == [users[5].pk]
    assert [row["id"] for row in bound] == [u.pk for u in users]
    assert bound.count() == 6
    assert _users.count(min_id=users[4].pk, username=None, joined_before=later, active_only=False) == 2
    assert _users.count(compiled=False, min_id=users[4].pk, username=None, joined_before=later, active_only=False) == 2
    assert list(bound.queryset()) == list(bound)
    with pytest.raises(TypeError):
        bound[3]  # noqa: B018 - pages only


def test_one_query_through_djangos_cursor():
    user = UserFactory()
    later = timezone.now() + datetime.timedelta(days=1)
    with CaptureQueriesContext(connection) as queries:
        _users.rows(min_id=user.pk, username=None, joined_before=later, active_only=True)
    assert len(queries) == 1  # seen by the query budgets and Server-Timing, as any ORM query


def test_a_transformed_parameter_is_refused_at_compile_time():
    @compiled_query(params={"fragment": str})
    def search(*, fragment):
        return User.objects.filter(username__icontains=fragment).values("id")

    with pytest.raises(ImproperlyConfigured, match="transformed"):
        search.rows(fragment="x")
    assert search.rows(fragment="x", compiled=False) == []  # the ORM path still serves it


def test_a_parameter_that_never_reaches_the_sql_is_refused():
    @compiled_query(params={"unused": int})
    def everything(*, unused):
        return User.objects.values("id")

    with pytest.raises(ImproperlyConfigured, match="do not reach"):
        everything.rows(unused=1)


def test_a_sliced_builder_or_a_non_values_queryset_is_refused():
    @compiled_query(params={"min_id": int})
    def sliced(*, min_id):
        return User.objects.filter(id__gte=min_id).values("id")[:5]

    with pytest.raises(ImproperlyConfigured, match="slice"):
        sliced.rows(min_id=1)


def test_unsupported_parameter_type_is_refused():
    @compiled_query(params={"ratio": float})
    def by_ratio(*, ratio):
        return User.objects.filter(id__gte=ratio).values("id")

    with pytest.raises(ImproperlyConfigured, match="unsupported type"):
        by_ratio.rows(ratio=1.5)


def test_converters_run_as_the_orm_runs_them():
    @compiled_query(params={"min_id": int})
    def labelled(*, min_id):
        return User.objects.filter(id__gte=min_id).annotate(label=Concat("username", Value("!"))).values("id", "label")

    user = UserFactory(username="conv")
    assert labelled.rows(min_id=user.pk) == [{"id": user.pk, "label": "conv!"}]


def test_instance_from_row_builds_a_loaded_instance():
    user = UserFactory()
    row = User.objects.filter(pk=user.pk).values(*concrete_columns(User)).get()
    built = instance_from_row(User, row)
    assert built == user and built.username == user.username and built.password == user.password
    assert not built._state.adding
    built.first_name = "Renamed"
    built.save(update_fields=["first_name"])  # an UPDATE, as for any loaded instance
    assert User.objects.get(pk=user.pk).first_name == "Renamed"
    assert ApiToken.objects.count() == 0


def test_project_scope_equals_the_orm_for_every_filter_shape():
    admin = UserFactory()
    project = make_project(admin=admin, key="CMP")
    make_task(project, title="one")
    make_task(project, title="two", assignee=admin)
    shapes = [
        {"archived": False},
        {"archived": None},
        {"archived": True},
        {"archived": False, "unassigned": True},
        {"archived": False, "assignee": admin.pk, "priority": "medium"},
        {"archived": False, "q": "one"},
    ]
    for filters in shapes:
        scope = selectors.project_for_member(user=admin, project_id=project.pk, task_filters=filters)
        expected = Task.objects.filter(project=project)
        expected = selectors.filter_tasks(expected, filters)
        assert scope.task_total == expected.count(), filters
        page = selectors.task_list_page(project_id=project.pk, filters=filters)
        assert page[0:50] == list(selectors.task_list_rows(project_id=project.pk, filters=filters)), filters
    scope = selectors.project_for_member(user=admin, project_id=project.pk)
    assert scope.my_role == "admin" and scope.derived_status is not None
    assert Project.objects.get(pk=project.pk).derived_status == scope.derived_status


def test_jobs_and_projects_pages_equal_their_querysets():
    from apps.jobs import selectors as jobs_selectors
    from tests.jobs.factories import JobFactory, RoomFactory, TaskFactory

    room = RoomFactory(name="cmp")
    job = JobFactory(room="cmp")
    for _ in range(3):
        TaskFactory(job=job, room="cmp")
    page = jobs_selectors.task_page_for_room(room="cmp")
    assert page[0:50] == list(jobs_selectors.task_rows_for_room(room="cmp")) and page.count() == 3
    page = jobs_selectors.task_page_for_job(job=job, room="cmp", status="pending")
    expected = jobs_selectors.task_rows_for_job(job=job, room="cmp", status="pending")
    assert page[0:50] == list(expected) and page.count() == expected.count()
    assert jobs_selectors.job_page(room=room.name)[0:50] == list(jobs_selectors.job_rows(room=room.name))

    admin = UserFactory()
    make_project(admin=admin, key="PGA")
    make_project(admin=admin, key="PGB")
    page = selectors.project_list_page(user=admin)
    assert page[0:50] == list(selectors.project_list_rows(user=admin)) and page.count() == 2
