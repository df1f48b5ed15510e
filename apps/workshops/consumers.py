"""`/ws/workshops/{id}/`: the workshop's phase changes and progress, for its facilitator and participants."""

from __future__ import annotations

from channels.db import database_sync_to_async

from apps.core.realtime import BriskConsumer
from apps.workshops.events import workshop_group
from apps.workshops.models import Workshop


@database_sync_to_async
def _has_seat(user, workshop_id: int) -> bool:
    # the same scoping as the REST API: a seat in the workshop
    return Workshop.objects.visible_to(user).filter(pk=workshop_id).exists()


class WorkshopConsumer(BriskConsumer):
    """Forwards `workshop.phase_changed` and `workshop.progress` so a client need not poll."""

    async def groups_for(self, user) -> list[str] | None:
        workshop_id = int(self.scope["url_route"]["kwargs"]["workshop_id"])
        if not await _has_seat(user, workshop_id):
            return None
        return [workshop_group(workshop_id)]
