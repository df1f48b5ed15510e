"""Demo data for the job queue (`manage.py seed_demo`), made through the services the API uses.

Idempotent: every step is a service that leaves things as they are on a second run (a
room the caller is already in, a job registered again with the same schema), and the
tasks are submitted only while the room has none.
"""

from __future__ import annotations

from apps.jobs import services
from apps.jobs.models import GLOBAL_ROOM, JobCategory, Task, TaskStatus, Worker

DEMO_ROOM = "demo"


def _worker_of(user) -> Worker:
    return Worker.objects.filter(user=user).order_by("pk").first() or services.worker_create(user=user)


def seed_demo(*, users, stdout) -> None:
    alice, bob, admin = users["alice"], users["bob"], users["admin"]
    services.room_create(user=alice, room=DEMO_ROOM)
    services.room_member_add(room=DEMO_ROOM, username=bob.username)

    worker, admin_worker = _worker_of(bob), _worker_of(admin)
    rotate, _ = services.job_register(
        user=bob,
        room=DEMO_ROOM,
        category=JobCategory.MODIFIERS,
        name="rotate",
        schema={"type": "object", "properties": {"angle": {"type": "number"}}},
        worker_id=worker.pk,
    )
    select_all, _ = services.job_register(
        user=bob,
        room=DEMO_ROOM,
        category=JobCategory.SELECTIONS,
        name="select-all",
        schema={"type": "object"},
        worker_id=worker.pk,
    )
    energy, _ = services.job_register(
        user=admin,
        room=GLOBAL_ROOM,
        category=JobCategory.ANALYSIS,
        name="energy",
        schema={"type": "object", "properties": {"method": {"type": "string"}}},
        worker_id=admin_worker.pk,
    )

    if not Task.objects.filter(room=DEMO_ROOM).exists():
        # one finished task: submitted, claimed by bob's worker, run and completed
        done = services.task_submit(user=alice, room=DEMO_ROOM, job=select_all, payload={})
        services.task_claim(user=bob, worker_id=worker.pk)
        for status in (TaskStatus.RUNNING, TaskStatus.COMPLETED):
            services.task_status_change(user=bob, task_id=done.pk, status=status)
        services.task_submit(user=alice, room=DEMO_ROOM, job=rotate, payload={"angle": 90})
        services.task_submit(user=alice, room=DEMO_ROOM, job=rotate, payload={"angle": 180})
        services.task_submit(user=alice, room=DEMO_ROOM, job=energy, payload={"method": "dft"})
    stdout.write(
        f"jobs: room {DEMO_ROOM!r} (members alice, bob; carol is a stranger), bob's worker {worker.pk} "
        f"serves {rotate.full_name} and {select_all.full_name}; {admin.username}'s worker {admin_worker.pk} "
        f"serves {energy.full_name}."
    )
