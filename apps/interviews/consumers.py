"""`/ws/interviews/`: the caller's operation events (`operation.completed`, `operation.failed`)."""

from __future__ import annotations

from apps.core.realtime import BriskConsumer
from apps.interviews.events import user_group


class InterviewConsumer(BriskConsumer):
    """One group per user: only the owner's own operations reach the socket."""

    async def groups_for(self, user) -> list[str] | None:
        return [user_group(user.pk)]
