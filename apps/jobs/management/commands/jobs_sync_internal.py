from django.core.management.base import BaseCommand

from apps.jobs.services import internal_jobs_sync


class Command(BaseCommand):
    help = "Make the database's @internal jobs those registered in code (apps.jobs.internal); migrate does it too."

    def handle(self, *args, **options):
        jobs = internal_jobs_sync()
        self.stdout.write("Internal jobs: " + (", ".join(job.full_name for job in jobs) or "none"))
