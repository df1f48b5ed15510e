"""A test communicator for board and task sockets that leaves presence out of the picture.

Every board or task socket is someone's presence, so boards also get `presence.changed`
(their own arrival and everyone else's) at moments set by the event loop, not by the test.
Tests about other events read through `QuietCommunicator`, which skips those;
tests/projects/test_presence.py reads them with the plain communicator.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from channels.testing import WebsocketCommunicator

PRESENCE = "presence.changed"


def _is_presence(message: dict[str, Any]) -> bool:
    if message.get("type") != "websocket.send" or not message.get("text"):
        return False
    try:
        return json.loads(message["text"]).get("type") == PRESENCE
    except (ValueError, AttributeError):
        return False


class QuietCommunicator(WebsocketCommunicator):
    """`WebsocketCommunicator` that never shows a `presence.changed` event."""

    def _drop_presence(self) -> None:
        queue = self.output_queue._queue  # type: ignore[attr-defined]  # asyncio.Queue's deque
        while queue and _is_presence(queue[0]):
            self.output_queue.get_nowait()

    async def receive_output(self, timeout: float = 1) -> Any:
        while True:
            message = await super().receive_output(timeout)
            if not _is_presence(message):
                return message

    async def receive_nothing(self, timeout: float = 0.1, interval: float = 0.01) -> bool:
        if self.future.done():
            self.future.result()
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            self._drop_presence()
            if not self.output_queue.empty():
                return False
            await asyncio.sleep(interval)
        self._drop_presence()
        return self.output_queue.empty()
