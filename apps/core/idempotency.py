"""`Idempotency-Key` on creates: a retried request answers the first result and writes nothing.

A view's create handler opts in with `@idempotent`. With the header, the handler runs inside
one transaction that first inserts an `IdempotencyKey` row (unique per user and key) and, once
the handler answered 2xx, stores that answer (status, body, Location) in the same row. So:

- the create and the record of its answer commit together or not at all: a worker killed
  mid-request leaves neither, and the client's retry simply runs the create;
- a retry within IDEMPOTENCY_KEY_TTL_HOURS (24 h) with the same method, path and body finds the
  row and gets the stored answer (`Idempotent-Replayed: true`), writing nothing;
- the same key with another request is 422 (`idempotency_key_reused`);
- concurrent duplicates serialise on the unique index: the second INSERT waits for the first
  transaction, then finds its row and replays it (or, if the first rolled back, runs itself);
- an error (4xx raised or returned) rolls everything back, key included: the client may fix
  the request and retry with the same key.

Everything lives in PostgreSQL, not Redis: a lock or result in Redis would be lost with a Redis
outage or restart exactly when retries are most likely, and a Redis lock cannot commit
atomically with the row it guards. The cost is one INSERT and one UPDATE per keyed create;
requests without the header are untouched. Expired rows are deleted by
`manage.py idempotency_sweep` (Celery beat runs it hourly).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from apps.core.exceptions import ApplicationError
from apps.core.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255

IDEMPOTENCY_KEY_PARAM = OpenApiParameter(
    HEADER,
    {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[ -~]+$"},
    OpenApiParameter.HEADER,
    description="Any unique string (1-255 printable ASCII characters), e.g. a UUID. A retry with the same "
    "key and body within 24 h answers the first result (with `Idempotent-Replayed: true`) and writes "
    "nothing; the same key with a different request is 422.",
)


class IdempotencyKeyInvalid(ApplicationError):
    code = "invalid_idempotency_key"
    default_message = f"{HEADER} must be 1-{MAX_KEY_LENGTH} printable ASCII characters."


class IdempotencyKeyReused(ApplicationError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "idempotency_key_reused"
    default_message = f"This {HEADER} was used with a different request."


def _ttl() -> timedelta:
    return timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def _valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and all(" " <= char <= "~" for char in key)


def _fingerprint(request: Any) -> str:
    data = request.data
    if hasattr(data, "dict"):  # a QueryDict (no JSON body)
        data = data.dict()
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), cls=JSONEncoder)
    return hashlib.sha256(f"{request.method}\n{request.path}\n{body}".encode()).hexdigest()


def _replay(record: IdempotencyKey) -> Response:
    headers = {"Idempotent-Replayed": "true"}
    if record.location:
        headers["Location"] = record.location
    return Response(record.body, status=record.status_code, headers=headers)


def _earlier_answer(*, user: Any, key: str, fingerprint: str) -> Response | None:
    """Take the key for this request (None), or the answer of the request that took it first."""
    now = timezone.now()
    try:
        with transaction.atomic():  # a savepoint: a duplicate key must not abort the outer transaction
            IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint, status_code=0, created_at=now)
        return None
    except IntegrityError:
        pass  # the key was taken and committed (a concurrent first request has finished by now)
    record = IdempotencyKey.objects.select_for_update().get(user=user, key=key)
    if record.created_at < now - _ttl():
        # expired: the key is free again
        record.fingerprint, record.status_code, record.body, record.location = fingerprint, 0, None, ""
        record.created_at = now
        record.save()
        return None
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    return _replay(record)


def idempotent(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Make a create handler honour `Idempotency-Key` (see the module docstring)."""

    @functools.wraps(handler)
    def wrapper(view: Any, request: Any, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not _valid_key(key):
            raise IdempotencyKeyInvalid()
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            earlier = _earlier_answer(user=request.user, key=key, fingerprint=fingerprint)
            if earlier is not None:
                return earlier
            response = handler(view, request, *args, **kwargs)
            if not 200 <= response.status_code < 300:
                transaction.set_rollback(True)  # nothing was written; the key stays free
                return response
            body = None if response.data is None else json.loads(json.dumps(response.data, cls=JSONEncoder))
            IdempotencyKey.objects.filter(user=request.user, key=key).update(
                status_code=response.status_code, body=body, location=response.get("Location", "")
            )
        return response

    wrapper.idempotent = True  # type: ignore[attr-defined]
    return extend_schema(parameters=[IDEMPOTENCY_KEY_PARAM])(wrapper)


def idempotency_keys_sweep(*, now: Any = None) -> int:
    """Delete the keys older than IDEMPOTENCY_KEY_TTL_HOURS; how many."""
    cutoff = (now or timezone.now()) - _ttl()
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
