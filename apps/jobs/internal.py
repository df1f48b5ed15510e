"""`@internal` jobs: Python functions of this server that run tasks on Celery.

A function is registered with the decorator, under `@internal:<category>:<name>` with the
JSON Schema its payload must satisfy:

    @internal_job(category="analysis", name="payload_stats", schema={"type": "object"})
    def payload_stats(payload: dict) -> dict: ...

The registry is filled when the app loads (`JobsConfig.ready()` imports
`apps.jobs.internal_jobs`), and `services.internal_jobs_sync()` makes the database's
`@internal` jobs match it after every `migrate`. Submitting a task for one claims it for
the internal worker and enqueues `apps.jobs.tasks.run_internal_task` on commit; the Celery
task moves it to running, calls the function with the payload and completes the task
with the function's return value (`result`) or fails it with the exception's message,
within `JOBS_INTERNAL_TIME_LIMIT_S`. The embedded default (no REDIS_URL) runs it eagerly.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction

from apps.jobs.models import INTERNAL_ROOM, JOB_NAME_PATTERN, JobCategory

InternalFunction = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class InternalJob:
    """One registered function: what the job is called and what its payload must be."""

    category: str
    name: str
    schema: dict[str, Any]
    function: InternalFunction

    @property
    def full_name(self) -> str:
        return f"{INTERNAL_ROOM}:{self.category}:{self.name}"


_registry: dict[str, InternalJob] = {}


def internal_job(*, category: str, name: str, schema: dict[str, Any]) -> Callable[[InternalFunction], InternalFunction]:
    """Register the decorated function as `@internal:<category>:<name>`; its schema is checked now."""
    from apps.jobs.schemas import schema_check

    if category not in JobCategory.values:
        raise ValueError(f"internal job category must be one of {JobCategory.values}, not {category!r}")
    if not JOB_NAME_PATTERN.match(name):
        raise ValueError(f"invalid internal job name {name!r}")
    schema_check(schema)

    def register(function: InternalFunction) -> InternalFunction:
        spec = InternalJob(category=category, name=name, schema=schema, function=function)
        existing = _registry.get(spec.full_name)
        if existing is not None and existing.function is not function:
            raise ValueError(f"{spec.full_name} is registered twice")
        _registry[spec.full_name] = spec
        return function

    return register


def unregister(full_name: str) -> None:
    _registry.pop(full_name, None)


def registered() -> list[InternalJob]:
    return sorted(_registry.values(), key=lambda spec: spec.full_name)


def get(full_name: str) -> InternalJob | None:
    return _registry.get(full_name)


def enqueue(task_id: UUID) -> None:
    """Send the task to Celery once the submitting transaction has committed."""
    from apps.jobs.tasks import run_internal_task

    transaction.on_commit(lambda: run_internal_task.delay(str(task_id)))


@dataclass(frozen=True)
class Outcome:
    result: Any = None
    error: str | None = None


def call(spec: InternalJob, payload: dict[str, Any], *, time_limit: float) -> Outcome:
    """Run the function in a daemon thread and wait at most `time_limit` seconds for it.

    A function past its limit is abandoned (Python cannot stop a thread; it finishes in the
    background and its result is dropped) and the task fails; on a Celery worker the task's
    hard `time_limit` (the same setting plus a margin) kills the child process as well. The
    result must be JSON of at most JOBS_MAX_PAYLOAD_BYTES, like a payload."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = spec.function(payload)
        except Exception as exc:  # the function's failure is the task's error, whatever it is
            box["error"] = f"{type(exc).__name__}: {exc}"

    thread = threading.Thread(target=run, name=f"internal-job {spec.full_name}", daemon=True)
    thread.start()
    thread.join(time_limit)
    if thread.is_alive():
        return Outcome(error=f"Time limit exceeded: {spec.full_name} ran longer than {time_limit:g} s.")
    if "error" in box:
        return Outcome(error=box["error"][:4000])
    result = box.get("result")
    try:
        size = len(json.dumps(result, ensure_ascii=False, allow_nan=False).encode("utf-8", "surrogatepass"))
    except (TypeError, ValueError) as exc:
        return Outcome(error=f"The result is not JSON: {exc}")
    if size > settings.JOBS_MAX_PAYLOAD_BYTES:
        return Outcome(error=f"The result is {size} bytes, more than JOBS_MAX_PAYLOAD_BYTES.")
    return Outcome(result=result)
