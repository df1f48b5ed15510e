"""Celery tasks of core (scheduled by CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from apps.core.idempotency import idempotency_keys_sweep


@shared_task(name="apps.core.tasks.sweep_idempotency_keys")  # type: ignore[untyped-decorator]
def sweep_idempotency_keys() -> int:
    """Delete expired Idempotency-Key records; returns how many."""
    return idempotency_keys_sweep()
