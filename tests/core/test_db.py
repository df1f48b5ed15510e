import threading

import pytest
from django.db import DatabaseError, connections, transaction

from apps.accounts.models import User
from apps.core.db import backoff_delay, is_contention, retry_on_contention
from tests.accounts.factories import UserFactory


def test_backoff_grows_and_is_capped():
    assert all(0 <= backoff_delay(0, 0.01, 0.5) <= 0.01 for _ in range(50))
    assert all(0 <= backoff_delay(10, 0.01, 0.5) <= 0.5 for _ in range(50))


def test_other_errors_are_not_retried():
    calls = []

    @retry_on_contention
    def fails():
        calls.append(1)
        raise DatabaseError("syntax")

    with pytest.raises(DatabaseError):
        fails()
    assert calls == [1]
    assert not is_contention(DatabaseError("x"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_serialization_failures_are_retried_until_every_increment_lands():
    """Two SERIALIZABLE read-modify-write transactions race on one row; the loser retries."""
    user = UserFactory(last_name="0")
    barrier = threading.Barrier(2, timeout=10)
    attempts = []
    errors = []

    @retry_on_contention(attempts=8, base=0.005)
    def increment():
        with transaction.atomic():
            with connections["default"].cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
            attempts.append(1)
            current = int(User.objects.get(pk=user.pk).last_name)
            if len(attempts) <= 2:
                barrier.wait()  # both have read the same value before either writes
            User.objects.filter(pk=user.pk).update(last_name=str(current + 1))

    def run():
        try:
            increment()
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    assert User.objects.get(pk=user.pk).last_name == "2"
    assert len(attempts) >= 3  # the loser ran again


@pytest.mark.django_db
def test_no_retry_inside_an_outer_transaction():
    calls = []

    @retry_on_contention
    def inner():
        calls.append(1)
        error = DatabaseError("serialization")
        error.__cause__ = type("Cause", (Exception,), {"sqlstate": "40001"})()
        raise error

    with pytest.raises(DatabaseError), transaction.atomic():
        inner()
    assert calls == [1]
