from django.core.management.base import BaseCommand

from apps.jobs.services import workers_sweep_stale


class Command(BaseCommand):
    help = (
        "Disconnect workers whose heartbeat is older than JOBS_WORKER_TIMEOUT: their claimed or running tasks "
        "fail with 'Worker disconnected'. Celery beat runs the same sweep every 30 s (make worker)."
    )

    def handle(self, *args, **options):
        swept = workers_sweep_stale()
        self.stdout.write(f"Swept {swept} stale worker(s).")
