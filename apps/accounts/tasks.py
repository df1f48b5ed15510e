"""Periodic work of accounts, run by Celery beat (CELERY_BEAT_SCHEDULE in config/settings.py)."""

from celery import shared_task

from apps.accounts.tokens import tokens_sweep_expired


@shared_task(name="apps.accounts.tasks.sweep_expired_tokens")
def sweep_expired_tokens() -> int:
    """Delete expired API tokens (also `manage.py accounts_sweep_tokens`)."""
    return tokens_sweep_expired()
