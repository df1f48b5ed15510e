"""Background work of the live-chat desk (Celery; eager in the embedded default)."""

from __future__ import annotations

from celery import shared_task

from apps.livechat import services


@shared_task(name="apps.livechat.tasks.process_webhook_events")
def process_webhook_events(webhook_event_ids: list[str]) -> int:
    """Process stored webhook events, each once; returns how many were processed now."""
    return sum(services.webhook_event_process(webhook_event_id=event_id) for event_id in webhook_event_ids)


@shared_task(name="apps.livechat.tasks.deliver_messages")
def deliver_messages(message_ids: list[int]) -> int:
    return services.messages_deliver(message_ids=message_ids)


@shared_task(name="apps.livechat.tasks.retry_failed_deliveries")
def retry_failed_deliveries() -> int:
    return services.deliveries_retry()


@shared_task(name="apps.livechat.tasks.download_media")
def download_media(message_ids: list[int]) -> int:
    """Incoming image, video, audio and file content into Django's storage."""
    return services.media_download(message_ids=message_ids)


@shared_task(name="apps.livechat.tasks.retry_media_downloads")
def retry_media_downloads() -> int:
    return services.media_downloads_retry()


@shared_task(name="apps.livechat.tasks.sweep_sessions")
def sweep_sessions() -> dict[str, int]:
    return services.sessions_sweep()


@shared_task(name="apps.livechat.tasks.assign_waiting_sessions")
def assign_waiting_sessions() -> int:
    """One round-robin round (LIVECHAT_ASSIGNMENT=round_robin; nothing in manual mode)."""
    return len(services.sessions_assign())


@shared_task(name="apps.livechat.tasks.send_sla_alerts")
def send_sla_alerts() -> int:
    return services.sla_alerts_send()


@shared_task(name="apps.livechat.tasks.broadcast_kpis")
def broadcast_kpis() -> None:
    services.kpis_broadcast()
