from django.core.management.base import BaseCommand

from apps.jobs.services import claims_release_lapsed, workers_sweep_stale


class Command(BaseCommand):
    help = (
        "Disconnect workers whose heartbeat is older than JOBS_WORKER_TIMEOUT (their claimed or running tasks "
        "fail with 'Worker disconnected'), and put claims older than JOBS_CLAIM_LEASE_S that were never moved "
        "to running back in the queue. Celery beat runs the same sweeps (make worker)."
    )

    def handle(self, *args, **options):
        swept = workers_sweep_stale()
        released = claims_release_lapsed()
        self.stdout.write(
            f"Swept {swept} stale worker(s). Released {released} lapsed claim(s) or stuck internal task(s)."
        )
