"""Fuzz every operation of the OpenAPI schema: nothing a client sends may produce a 500,
and no operation that declares authentication may answer without it."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import ignored_auth

from apps.accounts.services import token_for_user
from tests.accounts.factories import UserFactory

MAX_EXAMPLES_PER_OPERATION = 12


def _load_schema():
    from django.test import override_settings

    from config.wsgi import application

    with override_settings(SILK_SAMPLE_PERCENT=0):  # silk would write to the database
        return schemathesis.openapi.from_wsgi("/api/schema/", application)


# Generating the schema touches no database, so it can load at collection time.
schema = _load_schema()


@pytest.fixture
def auth_headers(transactional_db):
    user = UserFactory(is_superuser=True, is_staff=True)
    return {"Authorization": f"Token {token_for_user(user=user)}"}


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_operation_fails_or_ignores_auth(case, auth_headers):
    if case.headers and "Prefer" in case.headers:
        case.headers["Prefer"] = "wait=0"  # a fuzzed long-poll must not hold the suite for a minute
    case.call_and_validate(headers=auth_headers, checks=[not_a_server_error, ignored_auth])
