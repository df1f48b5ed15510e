"""Every /api/ and /v1/joblib/ route refuses the anonymous caller and the stranger, and a new route cannot skip this.

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
from apps.projects import services
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
from tests.workshops.factories import make_team as make_workshop_team

pytestmark = pytest.mark.django_db

# no credentials needed (the token endpoint throttles; joblib:not-found is the problem 404 of any other URL)
PUBLIC = {"auth-token", "schema", "swagger-ui", "joblib:not-found"}


@dataclass
class World:
    """The owner's objects in both apps, and a stranger with nothing."""

    project: int
    task: int
    member: int
    worker: int
    job_task: int
    stranger: object
    iv: dict  # the owner's interview objects: posting, session, operation
    workshop: int = 0
    comment: int = 0
    item: int = 0
    application: int = 0  # the project's workspace


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
    comment = services.comment_create(project=team.project, author=team.editor, task_id=task.pk, body="hi")
    item = services.checklist_item_create(project=team.project, actor=team.editor, task_id=task.pk, text="x")
    return World(
        team.project.pk,
        task.pk,
        team.editor.pk,
        worker.pk,
        job_task.pk,
        UserFactory(),
        interview_world(),
        make_workshop_team().workshop.pk,
        comment.pk,
        item.pk,
        application=team.project.application_id,
    )


def interview_world() -> dict:
    from tests.interviews.factories import OperationFactory

    op = OperationFactory()
    return {"posting": op.session.job_posting_id, "session": op.session_id, "operation": op.pk}


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
    # the zndraw-joblib surface: the same refusals, as problem details
    "joblib:worker": (lambda w: f"/v1/joblib/workers/{w.worker}", {"PATCH": 404, "DELETE": 404}),
    "joblib:room-jobs": (lambda w: "/v1/joblib/rooms/lab/jobs", {"GET": 404, "PUT": 404}),
    "joblib:room-job": (lambda w: f"/v1/joblib/rooms/lab/jobs/{JOB}", {"GET": 404}),
    "joblib:room-job-tasks": (lambda w: f"/v1/joblib/rooms/lab/jobs/{JOB}/tasks", {"GET": 404}),
    "joblib:room-workers": (lambda w: "/v1/joblib/rooms/lab/workers", {"GET": 404}),
    "joblib:room-tasks": (lambda w: "/v1/joblib/rooms/lab/tasks", {"GET": 404}),
    "joblib:task-submit": (lambda w: f"/v1/joblib/rooms/lab/tasks/{JOB}", {"POST": 404}),
    "joblib:task-claim": (lambda w: "/v1/joblib/tasks/claim", {"POST": (403, 404)}),
    "joblib:task": (lambda w: f"/v1/joblib/tasks/{w.job_task}", {"GET": 404, "PATCH": 404}),
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
    **{
        name: (lambda w, tail=tail: f"/api/interviews/{tail.format(**w.iv)}", cases)
        for name, tail, cases in (
            ("interviews:posting-detail", "job-postings/{posting}/", {"GET": 404, "PATCH": 404, "DELETE": 404}),
            ("interviews:session-detail", "sessions/{session}/", {"GET": 404, "DELETE": 404}),
            ("interviews:session-pause", "sessions/{session}/pause/", {"POST": 404}),
            ("interviews:session-resume", "sessions/{session}/resume/", {"POST": 404}),
            ("interviews:session-complete", "sessions/{session}/complete/", {"POST": 404}),
            ("interviews:session-retake", "sessions/{session}/retake/", {"POST": 404}),
            ("interviews:session-retakes", "sessions/{session}/retakes/", {"GET": 404}),
            ("interviews:message-list", "sessions/{session}/messages/", {"GET": 404}),
            ("interviews:questions", "sessions/{session}/questions/", {"POST": 404}),
            ("interviews:answers", "sessions/{session}/answers/", {"POST": 404}),
            ("interviews:feedback", "sessions/{session}/feedback/", {"GET": 404, "POST": 404}),
            ("interviews:operation-detail", "operations/{operation}/", {"GET": 404}),
            ("interviews:operation-retry", "operations/{operation}/retry/", {"POST": 404}),
        )
    },
    # workshops: everything under a workshop is 404 to anyone without a seat in it
    **{
        f"workshops:{name}": (lambda w, path=path: f"/api/workshops/{w.workshop}/{path}", methods)
        for name, path, methods in (
            ("workshop-detail", "", {"GET": 404, "PATCH": 404}),
            ("participant-list", "participants/", {"GET": 404, "POST": 404}),
            ("participant-detail", "participants/1/", {"PATCH": 404, "DELETE": 404}),
            ("trace-list", "traces/", {"GET": 404, "POST": 404}),
            ("trace-detail", "traces/1/", {"GET": 404}),
            ("trace-upload", "traces/upload/", {"POST": 404}),
            ("phase", "phase/", {"POST": 404}),
            ("finding-list", "findings/", {"GET": 404, "POST": 404}),
            ("discovery-complete", "discovery/complete/", {"POST": 404}),
            ("discovery-progress", "discovery/progress/", {"GET": 404}),
            ("question-list", "rubric/questions/", {"GET": 404, "POST": 404}),
            ("question-detail", "rubric/questions/1/", {"PATCH": 404, "DELETE": 404}),
            ("annotation-list", "annotations/", {"GET": 404, "POST": 404}),
            ("irr", "irr/", {"GET": 404}),
            ("export", "export/", {"GET": 404}),
            ("status", "status/", {"GET": 404}),
            ("prompt-list", "judge-prompts/", {"GET": 404, "POST": 404}),
            ("evaluation-list", "judge-prompts/1/evaluations/", {"GET": 404, "POST": 404}),
            ("judge-metrics", "judge-prompts/1/metrics/", {"GET": 404}),
            ("note-list", "notes/", {"GET": 404, "POST": 404}),
            ("note-detail", "notes/1/", {"DELETE": 404}),
        )
    },
    "projects:comment-list": (
        lambda w: f"/api/projects/{w.project}/tasks/{w.task}/comments/",
        {"GET": 404, "POST": 404},
    ),
    "projects:comment-detail": (
        lambda w: f"/api/projects/{w.project}/tasks/{w.task}/comments/{w.comment}/",
        {"PATCH": 404, "DELETE": 404},
    ),
    "projects:override-status": (lambda w: f"/api/projects/{w.project}/override-status/", {"PUT": 404, "DELETE": 404}),
    "projects:project-unarchive": (lambda w: f"/api/projects/{w.project}/unarchive/", {"POST": 404}),
    "projects:archived-task-list": (lambda w: f"/api/projects/{w.project}/tasks/archived/", {"GET": 404}),
    "projects:task-unarchive": (lambda w: f"/api/projects/{w.project}/tasks/{w.task}/unarchive/", {"POST": 404}),
    "projects:checklist": (lambda w: f"/api/projects/{w.project}/tasks/{w.task}/checklist/", {"GET": 404, "POST": 404}),
    "projects:checklist-item": (
        lambda w: f"/api/projects/{w.project}/tasks/{w.task}/checklist/{w.item}/",
        {"PATCH": 404, "DELETE": 404},
    ),
    "projects:checklist-move": (
        lambda w: f"/api/projects/{w.project}/tasks/{w.task}/checklist/{w.item}/move/",
        {"POST": 404},
    ),
    # workspaces: everything under a workspace is 404 to anyone who is not its member
    **{
        f"applications:{name}": (lambda w, path=path: f"/api/applications/{w.application}/{path}", methods)
        for name, path, methods in (
            ("application-detail", "", {"GET": 404, "PATCH": 404, "DELETE": 404}),
            ("member-list", "members/", {"GET": 404, "POST": 404}),
            ("member-detail", "members/1/", {"PATCH": 404, "DELETE": 404}),
            ("project-list", "projects/", {"GET": 404, "POST": 404}),
            ("archived-project-list", "projects/archived/", {"GET": 404}),
        )
    },
    "projects:presence": (lambda w: f"/api/projects/{w.project}/presence/", {"GET": 404}),
    # live chat: a non-agent is refused before any contact is looked up; LINE's webhook wants its signature
    "livechat:webhook": (lambda w: "/api/livechat/webhook/", {"POST": 401}),
    **{
        f"livechat:{name}": (lambda w, url=url: f"/api/livechat/{url}", dict.fromkeys(methods, 403))
        for name, url, methods in [
            ("conversations", "conversations/", ["GET", "POST"]),
            ("messages", "conversations/1/messages/", ["GET", "POST"]),
            ("read", "conversations/1/read/", ["POST"]),
            ("media", "conversations/1/media/", ["POST"]),
            ("export", "conversations/1/export/", ["GET"]),
            ("claim", "conversations/1/claim/", ["POST"]),
            ("close", "conversations/1/close/", ["POST"]),
            ("transfer", "conversations/1/transfer/", ["POST"]),
            ("mode", "conversations/1/mode/", ["POST"]),
            ("queue", "queue/1/", ["GET"]),
            ("search", "messages/search/?q=x", ["GET"]),
            ("kpis", "kpis/", ["GET"]),
            ("tags", "tags/", ["GET", "POST"]),
            ("contact-tag", "tags/1/contacts/1/", ["POST", "DELETE"]),
            ("canned-responses", "canned-responses/", ["GET", "POST"]),
            # supervisors' settings and analytics (a plain agent's 403: tests/livechat/test_supervisor_api.py)
            ("intent-categories", "intents/categories/", ["GET", "POST"]),
            ("intent-category", "intents/categories/1/", ["GET", "PATCH", "DELETE"]),
            ("intent-keywords", "intents/categories/1/keywords/", ["GET", "POST"]),
            ("intent-keyword", "intents/categories/1/keywords/1/", ["PATCH", "DELETE"]),
            ("intent-responses", "intents/categories/1/responses/", ["GET", "POST"]),
            ("intent-response", "intents/categories/1/responses/1/", ["PATCH", "DELETE"]),
            ("handoff-keywords", "handoff-keywords/", ["GET", "POST"]),
            ("handoff-keyword", "handoff-keywords/1/", ["PATCH", "DELETE"]),
            ("canned-response", "canned-responses/1/", ["GET", "PATCH", "DELETE"]),
            ("business-hours", "business-hours/", ["GET", "POST"]),
            ("business-hours-detail", "business-hours/1/", ["PATCH", "DELETE"]),
            ("operator-analytics", "analytics/operators/", ["GET"]),
        ]
    },
}
# routes whose rows are the caller's own: the stranger's answer shows none of the owner's
OWN_ONLY = {
    "auth-me": "/api/auth/me/",
    "auth-logout": "/api/auth/logout/",
    "jobs:workers": "/api/jobs/workers/",
    "joblib:workers": "/v1/joblib/workers",
    "projects:project-list": "/api/projects/",
    "projects:my-tasks": "/api/projects/my-tasks/",
    "interviews:resume": "/api/interviews/resume/",
    "interviews:posting-list": "/api/interviews/job-postings/",
    "interviews:api-key": "/api/interviews/api-key/",
    "interviews:api-key-validate": "/api/interviews/api-key/validate/",
    "interviews:session-list": "/api/interviews/sessions/",
    "interviews:sessions-with-feedback": "/api/interviews/sessions/with-feedback/",
    "interviews:dashboard": "/api/interviews/dashboard/",
    "workshops:workshop-list": "/api/workshops/",
    "me:mentions": "/api/me/mentions/",
    "me:projects": "/api/me/projects/",
    "applications:application-list": "/api/applications/",
}
BODIES = {
    "jobs:task-claim": lambda w: {"worker_id": str(w.worker)},
    "jobs:room-members": {"user_id": 1},
    "jobs:room-jobs": {"category": "analysis", "name": "x", "schema": {}},
    "jobs:room-job-tasks": {"payload": {}},
    "jobs:task": {"status": "cancelled"},
    "joblib:task-claim": lambda w: {"worker_id": str(w.worker)},
    "joblib:room-jobs": {"category": "analysis", "name": "x", "schema": {}},
    "joblib:task-submit": {"payload": {}},
    "joblib:task": {"status": "cancelled"},
    "projects:project-detail": {"name": "taken over"},
    "projects:member-list": {"user_id": 1},
    "projects:member-detail": {"role": "admin"},
    "projects:task-list": {"title": "t"},
    "projects:task-detail": {"title": "t", "row_version": 1},
    "projects:task-move": {},
    "interviews:posting-detail": {"title": "taken over"},
    "interviews:answers": {"content": "mine now"},
    "workshops:phase": {"action": "advance"},
    "workshops:trace-list": {"traces": [{"external_id": "x", "input": "i", "output": "o"}]},
    "workshops:finding-list": {"trace_id": 1, "insight": "x"},
    "workshops:annotation-list": {"trace_id": 1, "ratings": {}},
    "workshops:question-list": {"title": "q"},
    "workshops:participant-list": {"user_id": 1},
    "workshops:note-list": {"content": "n"},
    "workshops:prompt-list": {"prompt_text": "p"},
    "workshops:evaluation-list": {"evaluations": []},
    "projects:comment-list": {"body": "hello"},
    "projects:comment-detail": {"body": "taken over"},
    "projects:checklist": {"text": "x"},
    "projects:override-status": {"status_id": 1, "reason": "mine"},
    "projects:checklist-item": {"done": True},
    "projects:checklist-move": lambda w: {"before_id": w.item},
    "applications:application-detail": {"name": "taken over"},
    "applications:member-list": {"username": "stranger", "role": "owner"},
    "applications:member-detail": {"role": "owner"},
    "applications:project-list": {"key": "MINE", "name": "x"},
}


def _api_routes():
    return [route for route in iter_routes() if route.path.startswith(("api/", "v1/joblib/"))]


def _assert_error_shape(url: str, response) -> None:
    if url.startswith("/v1/joblib/"):
        assert response["Content-Type"] == "application/problem+json", response.content
        body = response.json()
        assert body["type"].startswith("/v1/problems/") and body["status"] == response.status_code


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
    _assert_error_shape(url, response)


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
    _assert_error_shape(build(world), response)


@pytest.mark.parametrize("name", sorted(OWN_ONLY))
def test_own_only_routes_show_the_stranger_nothing_of_the_owners(world, client_for, name):
    if name == "auth-logout":
        pytest.skip("logout revokes the caller's own token; nothing of the owner's is reachable")
    body = client_for(world.stranger).get(OWN_ONLY[name]).json()
    if name == "auth-me":
        assert body["id"] == world.stranger.pk
    elif name.startswith("interviews:") and "items" not in body:
        # one-object routes: the stranger's own resume (none), dashboard (empty); the key has no GET
        assert body.get("code") in ("resume_not_found", "method_not_allowed") or body.get("top_roles") == [], body
    else:
        assert body["items"] == []
