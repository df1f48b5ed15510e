import factory
from django.utils import timezone

from apps.jobs.models import Job, JobCategory, Room, RoomMember, Task, Worker, WorkerJob
from tests.accounts.factories import UserFactory


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    name = factory.Sequence(lambda n: f"room{n}")
    created_by = factory.SubFactory(UserFactory)


class RoomMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoomMember

    room = factory.SubFactory(RoomFactory)
    user = factory.SubFactory(UserFactory)


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    room = "lab"
    category = JobCategory.MODIFIERS
    name = factory.Sequence(lambda n: f"job{n}")
    schema = factory.LazyFunction(lambda: {"type": "object"})


class WorkerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Worker

    user = factory.SubFactory(UserFactory)
    last_heartbeat = factory.LazyFunction(timezone.now)


class WorkerJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkerJob

    worker = factory.SubFactory(WorkerFactory)
    job = factory.SubFactory(JobFactory)


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    job = factory.SubFactory(JobFactory)
    room = factory.LazyAttribute(lambda o: o.job.room if not o.job.room.startswith("@") else "lab")
    created_by = factory.SubFactory(UserFactory)
    payload = factory.LazyFunction(lambda: {"n": 1})


def bulk_tasks(
    *,
    slots: list[tuple[Job, str]],
    n: int,
    created_by,
    pending_every: int = 1,
    pending_at: int = 0,
    older_by_seconds: int = 0,
) -> None:
    """Insert `n` tasks in one INSERT ... SELECT generate_series (the EXPLAIN tests and the bench
    share it; a factory per row would take minutes at 100k).

    Task i goes to `slots[i % len(slots)]` (a job and the room it was submitted in), is pending
    when `i % pending_every == pending_at` and completed otherwise, carries `{"n": i}`, and was
    created `n - i + older_by_seconds` seconds ago: ids (UUIDv7 of that time) and creation times rise together.
    """
    from django.db import connection

    from apps.jobs.ids import uuid7_sql

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO jobs_task (id, job_id, room, created_by_id, payload, status, created_at, error)
            SELECT {uuid7}, (%(jobs)s::uuid[])[1 + i %% %(k)s], (%(rooms)s::text[])[1 + i %% %(k)s], %(user)s,
                   jsonb_build_object('n', i),
                   CASE WHEN i %% %(every)s = %(at)s THEN 'pending' ELSE 'completed' END, created_at, ''
            FROM generate_series(1, %(n)s) AS i,
                 LATERAL (SELECT now() - make_interval(secs => %(n)s - i + %(older)s) AS created_at) AS t
            """.replace("{uuid7}", uuid7_sql("t.created_at")),
            {
                "jobs": [job.pk for job, _ in slots],
                "rooms": [room for _, room in slots],
                "k": len(slots),
                "user": created_by.pk,
                "every": pending_every,
                "at": pending_at,
                "n": n,
                "older": older_by_seconds,
            },
        )
        cursor.execute("ANALYZE jobs_task")
