"""Every /api/ route refuses the anonymous caller and the stranger, and a new route cannot skip this.

`test_every_api_route_has_its_refusal_cases` walks the URL resolver: a route whose name is
in neither STRANGER (a URL into the owner's objects, with what the stranger gets for each
method) nor OWN_ONLY (a route whose rows are always the caller's own) fails it, and so does
a public route not listed in PUBLIC. The two other tests then run every case.
"""

import json
from dataclasses import dataclass

import pytest

from apps.core.api import iter_routes
from apps.jobs.models import TaskStatus
from tests.accounts.factories import UserFactory
from tests.jobs.factories import (
    JobFactory,
    RoomFactory,
    RoomMemberFactory,
    TaskFactory,
    WorkerFactory,
    WorkerJobFactory,
)
from tests.projects.factories import make_task, make_team

pytestmark = pytest.mark.django_db

PUBLIC = {"auth-token", "schema", "swagger-ui"}  # no credentials needed (the token endpoint throttles)


@dataclass
class World:
    """The owner's objects in both apps, and a stranger with nothing."""

    project: int
    task: int
    member: int
    worker: int
    job_task: int
    stranger: object


@pytest.fixture
def world() -> World:
    team = make_team()
    task = make_task(team.project)
    owner = UserFactory()
    room = RoomFactory(name="lab", created_by=owner)
    RoomMemberFactory(room=room, user=owner)
    job = JobFactory(room="lab", name="rotate")
    worker = WorkerFactory(user=owner)
    WorkerJobFactory(worker=worker, job=job)
    job_task = TaskFactory(job=job, room="lab", worker=worker, status=TaskStatus.CLAIMED)
    return World(team.project.pk, task.pk, team.editor.pk, worker.pk, job_task.pk, UserFactory())


JOB = "lab:modifiers:rotate"
# url name → (the owner's URL, {method: the stranger's status, with a body that would otherwise be valid})
STRANGER = {
    "jobs:room-members": (lambda w: "/api/jobs/rooms/lab/members/", {"POST": 404}),
    "jobs:room-jobs": (lambda w: "/api/jobs/rooms/lab/jobs/", {"GET": 404, "PUT": 404}),
    "jobs:room-job": (lambda w: f"/api/jobs/rooms/lab/jobs/{JOB}/", {"GET": 404}),
    "jobs:room-job-tasks": (lambda w: f"/api/jobs/rooms/lab/jobs/{JOB}/tasks/", {"GET": 404, "POST": 404}),
    "jobs:room-tasks": (lambda w: "/api/jobs/rooms/lab/tasks/", {"GET": 404}),
    "jobs:room-workers": (lambda w: "/api/jobs/rooms/lab/workers/", {"GET": 404}),
    "jobs:worker": (lambda w: f"/api/jobs/workers/{w.worker}/", {"PATCH": 404, "DELETE": 404}),
    "jobs:task": (lambda w: f"/api/jobs/tasks/{w.job_task}/", {"GET": 404, "PATCH": 404}),
    # the body names the owner's worker: refused (403 or 404, never a claim)
    "jobs:task-claim": (lambda w: "/api/jobs/tasks/claim/", {"POST": (403, 404)}),
    # the room exists: the stranger cannot join it by creating it
    "jobs:room": (lambda w: "/api/jobs/rooms/lab/", {"PUT": (404, 409)}),
    "projects:project-detail": (lambda w: f"/api/projects/{w.project}/", {"GET": 404, "PATCH": 404, "DELETE": 404}),
    "projects:project-stats": (lambda w: f"/api/projects/{w.project}/stats/", {"GET": 404}),
    "projects:status-list": (lambda w: f"/api/projects/{w.project}/statuses/", {"GET": 404}),
    "projects:member-list": (lambda w: f"/api/projects/{w.project}/members/", {"GET": 404, "POST": 404}),
    "projects:member-detail": (
        lambda w: f"/api/projects/{w.project}/members/{w.member}/",
        {"PATCH": 404, "DELETE": 404},
    ),
    "projects:task-list": (lambda w: f"/api/projects/{w.project}/tasks/", {"GET": 404, "POST": 404}),
    "projects:task-detail": (
        lambda w: f"/api/projects/{w.project}/tasks/{w.task}/",
        {"GET": 404, "PATCH": 404, "DELETE": 404},
    ),
    "projects:task-move": (lambda w: f"/api/projects/{w.project}/tasks/{w.task}/move/", {"POST": 404}),
}
# routes whose rows are the caller's own: the stranger's answer shows none of the owner's
OWN_ONLY = {
    "auth-me": "/api/auth/me/",
    "auth-logout": "/api/auth/logout/",
    "jobs:workers": "/api/jobs/workers/",
    "projects:project-list": "/api/projects/",
    "projects:my-tasks": "/api/projects/my-tasks/",
}
BODIES = {
    "jobs:task-claim": lambda w: {"worker_id": w.worker},
    "jobs:room-members": {"user_id": 1},
    "jobs:room-jobs": {"category": "analysis", "name": "x", "schema": {}},
    "jobs:room-job-tasks": {"payload": {}},
    "jobs:task": {"status": "cancelled"},
    "projects:project-detail": {"name": "taken over"},
    "projects:member-list": {"user_id": 1},
    "projects:member-detail": {"role": "admin"},
    "projects:task-list": {"title": "t"},
    "projects:task-detail": {"title": "t", "row_version": 1},
    "projects:task-move": {},
}


def _api_routes():
    return [route for route in iter_routes() if route.path.startswith("api/")]


def _methods(route) -> list[str]:
    return sorted(getattr(route.view_class, "query_budget", {}))


def test_every_api_route_has_its_refusal_cases():
    unlisted = []
    for route in _api_routes():
        if route.name in PUBLIC or route.name in OWN_ONLY:
            continue
        cases = STRANGER.get(route.name, (None, {}))[1]
        if not _methods(route) or set(cases) != set(_methods(route)):
            unlisted.append((route.name, route.path, _methods(route), sorted(cases)))
    assert unlisted == [], "add each method's stranger case to STRANGER (or the route to OWN_ONLY)"


def _anonymous_cases():
    # resolved without the database: the routes and their declared methods
    cases = []
    for route in _api_routes():
        if route.name in PUBLIC:
            continue
        url = OWN_ONLY.get(route.name)
        for method in _methods(route):
            cases.append(pytest.param(route.name, url, method, id=f"{route.name}-{method}"))
    return cases


@pytest.mark.parametrize(("name", "own_url", "method"), _anonymous_cases())
def test_the_anonymous_caller_is_refused(world, api_client, name, own_url, method):
    url = own_url or STRANGER[name][0](world)
    response = api_client.generic(method, url, "{}", content_type="application/json")
    assert response.status_code == 401, (method, url, response.content)


@pytest.mark.parametrize(
    ("name", "method"),
    [pytest.param(name, method, id=f"{name}-{method}") for name, (_, cases) in STRANGER.items() for method in cases],
)
def test_the_stranger_is_refused(world, client_for, name, method):
    build, cases = STRANGER[name]
    expected = cases[method]
    response = client_for(world.stranger).generic(
        method,
        build(world),
        json.dumps(body(world) if callable(body := BODIES.get(name, {})) else body),
        content_type="application/json",
    )
    assert response.status_code in (expected if isinstance(expected, tuple) else (expected,)), response.content


@pytest.mark.parametrize("name", sorted(OWN_ONLY))
def test_own_only_routes_show_the_stranger_nothing_of_the_owners(world, client_for, name):
    if name == "auth-logout":
        pytest.skip("logout revokes the caller's own token; nothing of the owner's is reachable")
    body = client_for(world.stranger).get(OWN_ONLY[name]).json()
    if name == "auth-me":
        assert body["id"] == world.stranger.pk
    else:
        assert body["items"] == []
