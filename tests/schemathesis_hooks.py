"""Schemathesis hooks for tests/test_schema_fuzz.py (loaded with SCHEMATHESIS_HOOKS).

One refinement of `positive_data_acceptance`: a schema-valid request may still be refused by
a domain rule the schema cannot express (a status id of another project, the shared rooms,
an Idempotency-Key reused with another body). Those refusals are 400/422 with a stable
`code` and are accepted here; anything else, in particular a serializer's field error for
input the schema allows, still fails the check.
"""

from __future__ import annotations

import json

import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

DOMAIN_REFUSAL_STATUSES = {400, 422}
NOT_DOMAIN_CODES = {"parse_error", "malformed_request", "invalid_idempotency_key"}


def _domain_refusal(response) -> bool:
    if response.status_code not in DOMAIN_REFUSAL_STATUSES:
        return False
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    return isinstance(body, dict) and "detail" in body and body.get("code") not in (None, *NOT_DOMAIN_CODES)


# The token endpoint refuses wrong credentials in DRF's own shape (tests/accounts pins it): no
# schema can say which password is right, so for a real username the fuzz learned from a
# response (the livechat analytics list agents' usernames) that refusal is a domain rule too.
WRONG_CREDENTIALS = {"non_field_errors": ["Unable to log in with the provided credentials."]}


def _wrong_credentials(response, case) -> bool:
    if getattr(case.operation, "path", None) != "/api/auth/token/" or response.status_code != 400:
        return False
    try:
        return json.loads(response.content) == WRONG_CREDENTIALS
    except ValueError:
        return False


@schemathesis.check
def positive_data_acceptance_except_domain_rules(ctx, response, case):
    if _domain_refusal(response) or _wrong_credentials(response, case):
        return None
    return positive_data_acceptance(ctx, response, case)
