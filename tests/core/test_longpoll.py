import asyncio
import threading
import time

import psycopg
import pytest
import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection, connections, transaction

from apps.accounts.models import User
from apps.accounts.services import token_for_user
from apps.core.exceptions import ApplicationError
from apps.core.longpoll import parse_prefer_wait
from apps.core.realtime import broadcast
from tests.accounts.factories import UserFactory
from tests.conftest import ON_POSTGRES

pytestmark = pytest.mark.urls("tests.core.urls")


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, (None, False)), ("wait=5", (5, False)), ("respond-async, wait=10", (10, False)), ("wait=600", (60, True))],
)
def test_parse_prefer_wait(header, expected):
    assert parse_prefer_wait(header) == expected


@pytest.mark.parametrize("header", ["wait=abc", "wait=-1", "wait=1.5", "wait=99999999999999999"])
def test_malformed_prefer_wait_is_refused(header):
    with pytest.raises(ApplicationError):
        parse_prefer_wait(header)


def _setup_user():
    user = UserFactory()
    key = token_for_user(user=user)
    connections.close_all()
    return user, key


def _rename(user_id: int) -> None:
    with transaction.atomic():
        User.objects.filter(pk=user_id).update(first_name="renamed")
        broadcast(f"test.user.{user_id}", "user.renamed", {"id": user_id})
    connections.close_all()


def _busy_backends() -> tuple[int, int | None]:
    """Backends of the test database other than ours that are not idle, and pool connections checked out."""
    settings_dict = connection.settings_dict
    with psycopg.connect(
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"],
        dbname=settings_dict["NAME"],
        autocommit=True,
    ) as observer:
        busy = observer.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state IS NOT NULL AND state <> 'idle'"
        ).fetchone()[0]
    pool = getattr(connection, "pool", None)
    checked_out = None
    if pool is not None:
        stats = pool.get_stats()
        checked_out = stats["pool_size"] - stats["pool_available"]
    return busy, checked_out


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
async def test_waiting_long_poll_holds_no_database_connection_and_wakes_on_the_event(async_client):
    user, key = await sync_to_async(_setup_user)()
    headers = {"Authorization": f"Token {key}", "Prefer": "wait=20"}
    # The test's own thread may hold a connection of its own: measure what the poll adds.
    busy_before, checked_out_before = await sync_to_async(_busy_backends, thread_sensitive=False)()
    poll = asyncio.create_task(async_client.get(f"/t/wait/{user.pk}/", headers=headers))
    await asyncio.sleep(0.7)  # let it authenticate, subscribe, check and start waiting
    assert not poll.done()

    if ON_POSTGRES:
        busy, checked_out = await sync_to_async(_busy_backends, thread_sensitive=False)()
        assert busy == busy_before == 0
        assert checked_out == checked_out_before

    await sync_to_async(_rename, thread_sensitive=False)(user.pk)
    response = await asyncio.wait_for(poll, 10)
    assert response.status_code == 200
    assert response.json() == {"first_name": "renamed"}
    assert response["Preference-Applied"] == "wait=20"


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
async def test_many_waiting_long_polls_share_a_few_look_threads(async_client):
    # Each look runs on a thread lent from a set no larger than the looks allowed at once
    # (the pool's size less one), not on a thread started for it; none is held while waiting.
    user, key = await sync_to_async(_setup_user)()
    headers = {"Authorization": f"Token {key}", "Prefer": "wait=20"}
    threads_before = threading.active_count()
    existing = set(threading.enumerate())  # another test's event loop may still keep its own
    polls = [asyncio.create_task(async_client.get(f"/t/wait/{user.pk}/", headers=headers)) for _ in range(30)]
    leases = redis.Redis.from_url(settings.REDIS_URL)
    key_of_leases = f"{settings.CHANNEL_LAYER_PREFIX}:conc:longpoll:{user.pk}"
    deadline = time.monotonic() + 20
    while leases.zcard(key_of_leases) < 30 and time.monotonic() < deadline:  # a lease: past its first look
        await asyncio.sleep(0.05)
    assert leases.zcard(key_of_leases) == 30
    assert not any(poll.done() for poll in polls)
    threads_waiting = threading.active_count()

    await sync_to_async(_rename, thread_sensitive=False)(user.pk)
    responses = await asyncio.wait_for(asyncio.gather(*polls), 20)
    assert [response.json() for response in responses] == [{"first_name": "renamed"}] * 30
    look_threads = [
        thread for thread in threading.enumerate() if thread.name.startswith("longpoll-look") and thread not in existing
    ]
    assert 1 <= len(look_threads) <= settings.DB_POOL_MAX_SIZE - 1
    assert threads_waiting - threads_before <= settings.DB_POOL_MAX_SIZE - 1  # not one per waiting poll


@pytest.mark.django_db(transaction=True)
async def test_long_poll_returns_unchanged_after_its_timeout(async_client):
    user, key = await sync_to_async(_setup_user)()
    response = await async_client.get(
        f"/t/wait/{user.pk}/", headers={"Authorization": f"Token {key}", "Prefer": "wait=1"}
    )
    assert response.status_code == 200
    assert response.json() == {"first_name": ""}
    assert response["Preference-Applied"] == "wait=1"


@pytest.mark.django_db(transaction=True)
async def test_long_poll_refuses_anonymous(async_client):
    response = await async_client.get("/t/wait/1/", headers={"Prefer": "wait=1"})
    assert response.status_code == 401  # DRF's own answer, through the project's exception handler
