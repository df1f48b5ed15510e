"""Celery tasks of the job queue: periodic sweeps (CELERY_BEAT_SCHEDULE) and internal jobs."""

from celery import shared_task
from django.conf import settings

from apps.jobs import services


@shared_task(name="apps.jobs.tasks.sweep_stale_workers")
def sweep_stale_workers() -> int:
    """Disconnect workers whose heartbeat is older than JOBS_WORKER_TIMEOUT (also `manage.py jobs_sweep`)."""
    return services.workers_sweep_stale()


@shared_task(name="apps.jobs.tasks.release_lapsed_claims")
def release_lapsed_claims() -> int:
    """Claims older than JOBS_CLAIM_LEASE_S never moved to running go back to pending (also `manage.py jobs_sweep`)."""
    return services.claims_release_lapsed()


# The service enforces JOBS_INTERNAL_TIME_LIMIT_S itself (the task fails in time, also when
# run eagerly); Celery's hard limit, a little later, kills a worker child stuck in the function.
@shared_task(name="apps.jobs.tasks.run_internal_task", time_limit=settings.JOBS_INTERNAL_TIME_LIMIT_S + 15)
def run_internal_task(task_id: str) -> str | None:
    """Run one `@internal` task (apps.jobs.internal); its final status."""
    return services.internal_task_run(task_id=task_id)  # type: ignore[arg-type]  # a UUID's text is accepted
