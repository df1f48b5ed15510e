"""Delete Idempotency-Key records older than IDEMPOTENCY_KEY_TTL_HOURS."""

from typing import Any

from django.core.management.base import BaseCommand

from apps.core.idempotency import idempotency_keys_sweep


class Command(BaseCommand):
    help = "Delete Idempotency-Key records older than IDEMPOTENCY_KEY_TTL_HOURS."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"deleted {idempotency_keys_sweep()} expired idempotency keys")
