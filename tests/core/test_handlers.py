"""The ASGI handler: a sync view's request is one thread hop; async views stay on the event loop."""

import httpx
import pytest
from asgiref.sync import SyncToAsync, sync_to_async
from django.core.handlers.asgi import ASGIHandler

from apps.accounts.services import token_for_user
from apps.core.handlers import BriskASGIHandler
from tests.accounts.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def hops(monkeypatch):
    """Counts every sync_to_async hand-off (a spy: each still runs)."""
    counted = []
    call = SyncToAsync.__call__

    async def counting(self, *args, **kwargs):
        counted.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await call(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counting)
    return counted


async def _get(app, path: str, token: str, hops: list, **headers) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        hops.clear()
        return await client.get(path, headers={"Authorization": f"Token {token}", **headers})


async def test_a_sync_view_costs_one_hop_not_one_per_middleware(hops):
    user = await sync_to_async(UserFactory)()
    token = await sync_to_async(token_for_user)(user=user)
    brisk, stock = BriskASGIHandler(), ASGIHandler()

    response = await _get(stock, "/api/auth/me/", token, hops)
    assert response.status_code == 200
    stock_hops = len(hops)
    response = await _get(brisk, "/api/auth/me/", token, hops)
    assert response.status_code == 200
    assert response.json()["username"] == user.username
    # request_started, the whole middleware chain with the view, and response.close(): one hop
    assert len(hops) == 1, hops
    assert stock_hops >= 10  # Django's: every sync middleware step is its own hop


async def test_the_request_starts_runs_and_finishes_in_one_thread(monkeypatch):
    """So the database connection the view used goes back to the pool from its own thread."""
    import threading

    from django.core import signals

    user = await sync_to_async(UserFactory)()
    token = await sync_to_async(token_for_user)(user=user)
    handler = BriskASGIHandler()
    seen: dict[str, int] = {}
    get_response = handler.sync_handler.get_response

    def view_chain(request):
        seen["view"] = threading.get_ident()
        return get_response(request)

    def started(**kwargs):
        seen["started"] = threading.get_ident()

    def finished(**kwargs):
        seen["finished"] = threading.get_ident()

    monkeypatch.setattr(handler.sync_handler, "get_response", view_chain)
    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        response = await _get(handler, "/api/projects/", token, [])
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)
    assert response.status_code == 200
    assert set(seen) == {"started", "view", "finished"}
    assert len(set(seen.values())) == 1
    assert seen["view"] != threading.get_ident()  # not on the event loop


async def test_errors_and_unknown_paths_go_through_the_sync_chain_too(hops):
    user = await sync_to_async(UserFactory)()
    token = await sync_to_async(token_for_user)(user=user)
    response = await _get(BriskASGIHandler(), "/api/projects/999999/", token, hops)
    assert response.status_code == 404 and response.json()["code"]
    response = await _get(BriskASGIHandler(), "/no/such/page/", token, hops)
    assert response.status_code == 404


async def test_an_async_view_keeps_the_async_chain(hops, monkeypatch):
    from tests.jobs.factories import JobFactory, RoomFactory, RoomMemberFactory, TaskFactory

    def setup():
        user = UserFactory()
        room = RoomFactory(name="lab", created_by=user)
        RoomMemberFactory(room=room, user=user)
        task = TaskFactory(job=JobFactory(room="lab"), room="lab", created_by=user)
        return task.pk, token_for_user(user=user)

    task_id, token = await sync_to_async(setup)()
    handler = BriskASGIHandler()
    ran_sync = []
    monkeypatch.setattr(handler.sync_handler, "get_response", lambda request: ran_sync.append(request))
    response = await _get(handler, f"/api/jobs/tasks/{task_id}/", token, hops, Prefer="wait=1")
    assert response.status_code == 200 and response.json()["id"] == str(task_id)
    assert ran_sync == []
