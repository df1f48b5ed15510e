from typing import Any

from django.core.management.base import BaseCommand

from apps.accounts.tokens import tokens_sweep_expired


class Command(BaseCommand):
    help = "Delete expired API tokens. Celery beat runs the same sweep every hour (make worker)."

    def handle(self, *args: Any, **options: Any) -> None:
        swept = tokens_sweep_expired()
        self.stdout.write(f"Deleted {swept} expired token(s).")
