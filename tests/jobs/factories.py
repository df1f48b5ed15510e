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
