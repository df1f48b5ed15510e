"""Periodic work of the job queue, run by Celery beat (CELERY_BEAT_SCHEDULE in config/settings.py)."""

from celery import shared_task

from apps.jobs.services import workers_sweep_stale


@shared_task(name="apps.jobs.tasks.sweep_stale_workers")
def sweep_stale_workers() -> int:
    """Disconnect workers whose heartbeat is older than JOBS_WORKER_TIMEOUT (also `manage.py jobs_sweep`)."""
    return workers_sweep_stale()
