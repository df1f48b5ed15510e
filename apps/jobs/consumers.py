"""WebSocket `/ws/jobs/rooms/{room}/`: task status, available tasks and job-list invalidation."""

from __future__ import annotations

from channels.db import database_sync_to_async

from apps.core.realtime import BriskConsumer
from apps.jobs.events import SHARED_JOBS_GROUP, room_group, user_group
from apps.jobs.models import SHARED_ROOMS
from apps.jobs.selectors import room_is_accessible


class RoomConsumer(BriskConsumer):
    """Follows one room: `task.status`, `jobs.invalidate`, and `task.available` for the caller's workers."""

    async def groups_for(self, user):
        room = self.scope["url_route"]["kwargs"]["room"]
        # the same access rule as the REST API (members; shared rooms for superusers)
        if not await database_sync_to_async(room_is_accessible)(user=user, room=room):
            return None
        groups = [room_group(room), user_group(user.pk)]
        if room not in SHARED_ROOMS:
            groups.append(SHARED_JOBS_GROUP)  # shared jobs appear in every room
        return groups
