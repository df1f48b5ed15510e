"""Stable error codes: one class per code in each app's exceptions.py, one meaning per code."""

import importlib
import inspect
from collections import defaultdict

import pytest
from django.apps import apps as django_apps

from apps.core.exceptions import ApplicationError
from tests.jobs.factories import RoomFactory, RoomMemberFactory
from tests.projects.factories import make_team


def _app_errors() -> list[type[ApplicationError]]:
    errors = []
    for config in django_apps.get_app_configs():
        if not config.name.startswith("apps."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.exceptions")
        except ModuleNotFoundError:
            continue
        errors += [
            value
            for value in vars(module).values()
            if inspect.isclass(value) and issubclass(value, ApplicationError) and value.__module__ == module.__name__
        ]
    return errors


def test_every_domain_app_declares_its_errors():
    modules = {error.__module__ for error in _app_errors()}
    assert {"apps.jobs.exceptions", "apps.projects.exceptions"} <= modules


def test_a_code_means_the_same_status_and_field_in_every_app():
    meanings = defaultdict(set)
    for error in _app_errors():
        meanings[error.code].add((error.status_code, error.field))
    assert {code: m for code, m in meanings.items() if len(m) > 1} == {}


def test_one_class_per_code_within_an_app():
    seen = defaultdict(list)
    for error in _app_errors():
        seen[(error.__module__, error.code)].append(error.__name__)
    assert {key: names for key, names in seen.items() if len(names) > 1} == {}


@pytest.mark.django_db
def test_an_unknown_user_is_the_same_field_error_in_jobs_and_projects(client_for):
    team = make_team()
    room = RoomFactory(name="errs")
    RoomMemberFactory(room=room, user=team.admin)
    client = client_for(team.admin)
    missing = "no-such-user"
    answers = [
        client.post("/api/jobs/rooms/errs/members/", {"username": missing}),
        client.post(f"/api/projects/{team.project.pk}/members/", {"username": missing}),
    ]
    for response in answers:
        body = response.json()
        assert response.status_code == 400
        assert body["code"] == "user_not_found"
        # the API's one field-error shape, the same as a serializer's: {"<field>": ["message"]}
        assert body["field"] == "username" and body["username"] == [body["detail"]]


@pytest.mark.django_db
def test_serializer_and_domain_field_errors_share_the_shape(client_for):
    team = make_team()
    client = client_for(team.admin)
    by_serializer = client.post(f"/api/projects/{team.project.pk}/members/", {"email": "x"}).json()
    by_rule = client.post(f"/api/projects/{team.project.pk}/tasks/", {"title": "t", "status_id": 10**12}).json()
    assert isinstance(by_serializer["email"], list) and isinstance(by_serializer["email"][0], str)
    assert by_rule["status_id"] == ["No such status in this project."] and by_rule["code"] == "unknown_status"
