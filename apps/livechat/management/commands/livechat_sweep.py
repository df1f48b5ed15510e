from django.core.management.base import BaseCommand

from apps.livechat.services import sessions_sweep


class Command(BaseCommand):
    help = "Close idle active live-chat sessions and waiting ones past LIVECHAT_QUEUE_TIMEOUT_S."

    def handle(self, *args, **options):
        result = sessions_sweep()
        self.stdout.write(
            f"closed idle: {result['closed_idle']}, timed out in the queue: {result['closed_timeout']}, "
            f"SLA alerts: {result['sla_alerts']}"
        )
