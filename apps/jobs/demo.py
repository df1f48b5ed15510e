"""Demo data for the job queue (`manage.py seed_demo`): idempotent, a second run changes nothing."""

from __future__ import annotations

from django.utils import timezone

from apps.jobs.models import GLOBAL_ROOM, Job, JobCategory, Room, RoomMember, Task, TaskStatus, Worker, WorkerJob

DEMO_ROOM = "demo"


def seed_demo(*, users, stdout) -> None:
    alice, bob, admin = users["alice"], users["bob"], users["admin"]
    room, _ = Room.objects.get_or_create(name=DEMO_ROOM, defaults={"created_by": alice})
    for member in (alice, bob):
        RoomMember.objects.get_or_create(room=room, user=member)

    jobs = [
        Job.objects.get_or_create(
            room=DEMO_ROOM,
            category=JobCategory.MODIFIERS,
            name="rotate",
            defaults={"schema": {"type": "object", "properties": {"angle": {"type": "number"}}}},
        )[0],
        Job.objects.get_or_create(
            room=DEMO_ROOM,
            category=JobCategory.SELECTIONS,
            name="select-all",
            defaults={"schema": {"type": "object"}},
        )[0],
        Job.objects.get_or_create(
            room=GLOBAL_ROOM,
            category=JobCategory.ANALYSIS,
            name="energy",
            defaults={"schema": {"type": "object", "properties": {"method": {"type": "string"}}}},
        )[0],
    ]
    worker = Worker.objects.filter(user=bob).order_by("pk").first()
    if worker is None:
        worker = Worker.objects.create(user=bob, last_heartbeat=timezone.now())
    for job in jobs:
        WorkerJob.objects.get_or_create(worker=worker, job=job)

    if not Task.objects.filter(room=DEMO_ROOM).exists():
        now = timezone.now()
        Task.objects.bulk_create(
            [
                Task(job=jobs[0], room=DEMO_ROOM, created_by=alice, payload={"angle": 90}),
                Task(job=jobs[0], room=DEMO_ROOM, created_by=alice, payload={"angle": 180}),
                Task(job=jobs[2], room=DEMO_ROOM, created_by=alice, payload={"method": "dft"}),
                Task(
                    job=jobs[1],
                    room=DEMO_ROOM,
                    created_by=alice,
                    worker=worker,
                    status=TaskStatus.COMPLETED,
                    started_at=now,
                    completed_at=now,
                ),
            ]
        )
    stdout.write(
        f"jobs: room {DEMO_ROOM!r} (members alice, bob; carol is a stranger), bob's worker {worker.pk} "
        f"serves {', '.join(job.full_name for job in jobs)}; {admin.username} manages @global jobs."
    )
