"""Live updates: each open page holds a queue, and every change is put on all of them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

# A page that has not read this many changes is too slow: it is dropped and reconnects.
BACKLOG = 256
_CLOSED = None


class Broadcast:
    """Fans each change out to the pages listening on /events."""

    def __init__(self) -> None:
        self.listeners: set[asyncio.Queue[str | None]] = set()
        self.closed = False

    def publish(self, window_id: str, seq: int) -> None:
        """Tell every page that a window changed; the page fetches what it shows again."""
        data = json.dumps({"window": window_id, "seq": seq})
        for queue in list(self.listeners):
            try:
                queue.put_nowait(data)
            except asyncio.QueueFull:
                # The browser's EventSource reconnects and loads the page afresh.
                self.listeners.discard(queue)
                _end(queue)

    async def listen(self) -> AsyncIterator[dict[str, str]]:
        """Server-sent events until the page goes away or the service stops."""
        queue: asyncio.Queue[str | None] = asyncio.Queue(BACKLOG)
        self.listeners.add(queue)
        try:
            while not self.closed:
                data = await queue.get()
                if data is _CLOSED:
                    return
                yield {"event": "change", "data": data}
        finally:
            self.listeners.discard(queue)

    def close(self) -> None:
        """End every stream, so the web server can stop without waiting for browsers."""
        self.closed = True
        for queue in list(self.listeners):
            _end(queue)


def _end(queue: asyncio.Queue[str | None]) -> None:
    """Make the stream reading this queue end at its next read."""
    while not queue.empty():
        queue.get_nowait()
    queue.put_nowait(_CLOSED)
