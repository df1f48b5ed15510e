"""`GET tasks/{id}/` as an async view: the long-poll that holds no database connection while it waits.

The route `tasks/<id>/` points at `task_detail`: GET is served here on the event loop
(short database steps, then a wait on the task's channel group); PATCH and every other
method go to the DRF `TaskDetailView`, with its authentication, permissions and serializers.
"""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from apps.core.db import db_burst
from apps.core.exceptions import ApplicationError

# The sync twin of `apps.core.longpoll.authenticate`, run inside the same database burst as the read.
from apps.core.longpoll import BadPreferWait, authenticate_sync, error_response, parse_prefer_wait, subscription
from apps.jobs import selectors
from apps.jobs.events import task_group
from apps.jobs.models import TERMINAL_STATUSES
from apps.jobs.serializers import JobTaskSerializer
from apps.jobs.views import TaskDetailView

logger = logging.getLogger("brisk.jobs.longpoll")

_task_detail_drf = TaskDetailView.as_view()


def _load_task(request, user, pk: int) -> tuple[int, dict, str | None]:
    """(http status, body, task status) for one task, authenticating first when `user` is None."""
    if user is None:
        user = authenticate_sync(request)
        if user is None:
            return 401, {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"}, None
        request._jobs_user = user
    try:
        task = selectors.task_get(user=user, pk=pk)
    except ApplicationError as error:
        return error.status_code, {"detail": error.message, "code": error.code, **error.extra}, None
    return 200, dict(JobTaskSerializer(task).data), task.status


def _json(status_code: int, body: dict, wait: int | None) -> JsonResponse:
    response = JsonResponse(body, status=status_code)
    if status_code == 401:
        response["WWW-Authenticate"] = "Token"
    if wait is not None:
        response["Preference-Applied"] = f"wait={wait}"
    response["Vary"] = "Prefer, Authorization, Cookie"
    return response


async def task_long_poll(request, pk: int):
    """GET a task; with `Prefer: wait=N`, wait on the task's channel group (never on the database)."""
    try:
        wait, _clamped = parse_prefer_wait(request.headers.get("Prefer"))
    except BadPreferWait as error:
        return error_response(400, error.message, error.code, **error.extra)
    if not wait:
        code, body, _ = await db_burst(_load_task, request, None, pk)
        return _json(code, body, wait)
    task_events = subscription(task_group(pk))
    try:
        # Subscribe before reading the task, so a change between the read and the wait is not missed.
        await task_events.__aenter__()
    except Exception as error:  # the channel layer is down: answer at once rather than fail
        logger.warning("long-poll cannot subscribe, answering without waiting: %s", error.__class__.__name__)
        code, body, _ = await db_burst(_load_task, request, None, pk)
        return _json(code, body, None)  # no Preference-Applied: the wait was not honoured
    try:
        code, body = await _wait_for_change(request, pk, wait, task_events)
    finally:
        await task_events.__aexit__(None, None, None)
    return _json(code, body, wait)


async def _wait_for_change(request, pk: int, wait: int, task_events) -> tuple[int, dict]:
    code, body, first_status = await db_burst(_load_task, request, None, pk)
    if code != 200 or first_status in TERMINAL_STATUSES:
        return code, body  # nothing to wait for
    user = request._jobs_user
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while (remaining := deadline - loop.time()) > 0:
        try:
            event = await task_events.wait(remaining)
        except Exception as error:  # the layer went away mid-wait: answer with what we have
            logger.warning("long-poll wait failed: %s", error.__class__.__name__)
            break
        if event is None:
            break
        # Any event on the group means "look again"; only a status change ends the wait.
        code, body, current = await db_burst(_load_task, request, user, pk)
        if code != 200 or current != first_status:
            break
    return code, body


@csrf_exempt
async def task_detail(request, pk: int):
    """`tasks/{id}/`: GET is the connection-free long-poll; every other method goes through DRF."""
    if request.method == "GET":
        return await task_long_poll(request, pk)
    return await sync_to_async(_task_detail_drf)(request, pk=pk)


# drf-spectacular documents `task_detail` from the DRF view it dispatches to.
task_detail.cls = TaskDetailView
task_detail.initkwargs = {}
