"""The live board: one socket per project, members only.

A busy board has many sockets in each server process. Joining each socket to the
channel-layer group would make every event wake every socket's own layer receive
loop (and encode the event once per socket). Instead each process joins the group
once per watched project (`BoardHub`), decodes each event once, encodes it to JSON
once, and hands the text to the local sockets' outboxes. Each socket sends from its
own task, so one slow client delays only itself; one that falls too far behind is
closed rather than allowed to hold memory.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from dataclasses import dataclass, field

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder

from apps.core.realtime import CLOSE_FORBIDDEN, BriskConsumer
from apps.projects.models import Project
from apps.projects.services import project_group

logger = logging.getLogger("brisk.projects.realtime")

OUTBOX_SIZE = 500  # events a socket may fall behind before it is closed
REVOKED = "\x00revoked"  # outbox marker: the user lost access; never a real event (those are JSON)
CLOSE_TOO_SLOW = 1013  # "try again later": the client reconnects and reloads the board
# channels-redis forgets group members after its group_expiry (a day); the hub re-joins
# well before that while it is alive.
REJOIN_SECONDS = 3600


@database_sync_to_async
def _is_member(user, project_id: int) -> bool:
    # the same scoping as the REST API: Project.objects.visible_to(user)
    return Project.objects.visible_to(user).filter(pk=project_id).exists()


@dataclass
class _Board:
    channel: str
    sockets: set = field(default_factory=set)
    pump: asyncio.Task | None = None


class BoardHub:
    """One channel-layer subscription per project per process, fanned out to the local sockets."""

    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.boards: dict[str, _Board] = {}
        self.lock = asyncio.Lock()

    async def join(self, group: str, socket: ProjectConsumer) -> None:
        async with self.lock:
            board = self.boards.get(group)
            if board is None:
                channel = await self.layer.new_channel("projects.board.")
                await self.layer.group_add(group, channel)
                board = _Board(channel=channel)
                board.pump = asyncio.create_task(self._pump(group, board))
                self.boards[group] = board
            board.sockets.add(socket)

    async def leave(self, group: str, socket: ProjectConsumer) -> None:
        async with self.lock:
            board = self.boards.get(group)
            if board is None:
                return
            board.sockets.discard(socket)
            if board.sockets:
                return
            del self.boards[group]
            board.pump.cancel()
            board.pump.add_done_callback(_ignore_result)
            try:
                await self.layer.group_discard(group, board.channel)
            except Exception as exc:  # the membership expires anyway
                logger.warning("board group_discard failed: %s", exc.__class__.__name__)

    async def _pump(self, group: str, board: _Board) -> None:
        while True:
            try:
                message = await asyncio.wait_for(self.layer.receive(board.channel), REJOIN_SECONDS)
            except TimeoutError:
                await self.layer.group_add(group, board.channel)
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a layer hiccup must not end the board for everyone
                logger.warning("board receive failed: %s", exc.__class__.__name__)
                await asyncio.sleep(1)
                continue
            event = message.get("event")
            if event is None:
                continue
            text = json.dumps(event, cls=DjangoJSONEncoder)  # once for all local sockets
            for socket in list(board.sockets):
                socket.enqueue(text)
            if event.get("type") == "member.removed":
                # A removed member's open sockets see the removal, then close: from now on
                # they would show a board the REST API no longer lets that user read.
                removed = (event.get("data") or {}).get("user", {}).get("id")
                for socket in list(board.sockets):
                    if socket.user_id == removed:
                        socket.revoke()


def _ignore_result(task: asyncio.Task) -> None:
    if not task.cancelled():
        task.exception()  # a cancelled receive may end in the client's own timeout error: nothing to report


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, BoardHub] = weakref.WeakKeyDictionary()


def board_hub() -> BoardHub:
    """This event loop's hub (one per server process; tests get one per loop)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = BoardHub()
    return hub


class ProjectConsumer(BriskConsumer):
    """Forwards task.*, project.status_changed and member.* events of one project to members."""

    group: str | None = None
    sender: asyncio.Task | None = None
    too_slow = False
    # No channel of its own: every event reaches the socket through its process's hub,
    # so the socket needs no layer receive loop (an alias that names no layer gives None).
    channel_layer_alias = "projects.board-sockets-have-no-channel"

    async def groups_for(self, user) -> list[str] | None:
        project_id = int(self.scope["url_route"]["kwargs"]["project_id"])
        if not await _is_member(user, project_id):
            return None
        return [project_group(project_id)]

    async def join(self, groups: list[str]) -> None:
        # The socket joins its process's board hub instead of the channel-layer group.
        self.outbox: asyncio.Queue[str] = asyncio.Queue(maxsize=OUTBOX_SIZE)
        self.group = groups[0]
        # "subscribed" goes first into the outbox, and the outbox is sent only once the
        # socket is on the board: a client that read "subscribed" misses no later event.
        self.enqueue(json.dumps({"type": "subscribed", "data": {"groups": groups}}))
        await board_hub().join(self.group, self)
        self.sender = asyncio.create_task(self._send_outbox())

    @property
    def user_id(self) -> int | None:
        return getattr(self.scope.get("user"), "pk", None)

    def revoke(self) -> None:
        """Close the socket with 4403 once what is already queued has been sent."""
        if self.too_slow:
            return
        try:
            self.outbox.put_nowait(REVOKED)
        except asyncio.QueueFull:
            self.enqueue("")  # closes it as too slow: it goes either way

    def enqueue(self, text: str) -> None:
        if self.too_slow:
            return
        try:
            self.outbox.put_nowait(text)
        except asyncio.QueueFull:
            logger.warning("closing a board socket that fell %s events behind", OUTBOX_SIZE)
            self.too_slow = True
            asyncio.get_running_loop().create_task(self._close_too_slow())

    async def _close_too_slow(self) -> None:
        await board_hub().leave(self.group, self)
        self.group = None
        self.sender.cancel()
        await self.close(code=CLOSE_TOO_SLOW)

    async def _send_outbox(self) -> None:
        while True:
            text = await self.outbox.get()
            if text is REVOKED:
                self.sender = None  # this task: leave() must not cancel it before the close
                await self.leave()
                await self.close(code=CLOSE_FORBIDDEN)
                return
            await self.send(text_data=text)

    async def leave(self) -> None:
        if self.group is not None:
            await board_hub().leave(self.group, self)
            self.group = None
        if self.sender is not None:
            self.sender.cancel()
