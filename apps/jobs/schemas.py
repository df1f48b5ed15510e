"""A job's `schema` is a JSON Schema: checked when the job is registered, applied to every payload.

`jsonschema` does the work. A schema names its dialect with `$schema` (default: the latest,
2020-12, which pydantic's `model_json_schema()` writes). Only references inside the schema
resolve (`#/$defs/...`): nothing is fetched, a remote `$ref` is an invalid schema. The
document's size and depth are already bounded by the parser (JSON_MAX_DEPTH) and the
payload cap (JOBS_MAX_PAYLOAD_BYTES); a schema that refers to itself without end is
stopped by Python's recursion limit and answered as a 400, never a 500.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from jsonschema import exceptions as jsonschema_exceptions  # type: ignore[import-untyped]
from jsonschema import validators
from referencing import Registry
from referencing.exceptions import Unresolvable

from apps.jobs.exceptions import InvalidJobSchema, PayloadRejected

MAX_ERRORS_SHOWN = 5


def _no_retrieval(uri: str):
    raise Unresolvable(uri)  # never fetch: only the schema's own definitions resolve


_REGISTRY: Registry = Registry(retrieve=_no_retrieval)  # type: ignore[call-arg]


def _path(parts) -> str:
    return "/" + "/".join(str(part) for part in parts) if parts else "/"


def schema_check(schema: dict[str, Any]) -> None:
    """400 `invalid_job_schema` unless `schema` is a valid JSON Schema of its dialect."""
    if not schema:
        return
    try:
        cls = validators.validator_for(schema)
        cls.check_schema(schema)
        # a trial run: a reference that does not resolve, or one that loops, shows at once
        for _ in cls(schema, registry=_REGISTRY).iter_errors({}):
            pass
    except jsonschema_exceptions.SchemaError as exc:
        raise InvalidJobSchema(
            f"Not a valid JSON Schema: {exc.message} (at {_path(exc.absolute_path)}).", field="schema"
        ) from None
    except Unresolvable as exc:
        raise InvalidJobSchema(f"The schema has a reference that does not resolve: {exc}", field="schema") from None
    except RecursionError:
        raise InvalidJobSchema("The schema refers to itself without end.", field="schema") from None


def payload_validate(*, schema: dict[str, Any], payload: dict[str, Any]) -> None:
    """400 `invalid_payload` naming each failing path (at most MAX_ERRORS_SHOWN) unless
    `payload` satisfies the job's `schema`. A schema that constrains nothing costs nothing."""
    if not schema:
        return
    try:
        validator = validators.validator_for(schema)(schema, registry=_REGISTRY)
        # the first few, not all: a payload of 100 000 bad items is not 100 000 messages
        errors = list(islice(validator.iter_errors(payload), MAX_ERRORS_SHOWN))
    except Unresolvable as exc:
        raise InvalidJobSchema(
            f"The job's schema has a reference that does not resolve: {exc}", field="schema"
        ) from None
    except RecursionError:
        raise InvalidJobSchema("The job's schema refers to itself without end.", field="schema") from None
    if errors:
        problems = [{"path": _path(error.absolute_path), "message": error.message} for error in errors]
        first = problems[0]
        raise PayloadRejected(
            f"The payload does not match the job's schema at {first['path']}: {first['message']}",
            field="payload",
            extra={"errors": problems},
        )
