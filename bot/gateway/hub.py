"""Open browser connections per conversation, so a bot or coach message reaches every tab
of that conversation live. In memory only: a message that arrives while no tab is open is
still in Rasa's tracker and is shown when the page loads again."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiohttp import web


class WebHub:
    def __init__(self) -> None:
        self._sockets: dict[str, set[web.WebSocketResponse]] = {}

    def add(self, sender_id: str, ws: web.WebSocketResponse) -> None:
        self._sockets.setdefault(sender_id, set()).add(ws)

    def remove(self, sender_id: str, ws: web.WebSocketResponse) -> None:
        sockets = self._sockets.get(sender_id)
        if sockets is not None:
            sockets.discard(ws)
            if not sockets:
                del self._sockets[sender_id]

    def connected(self, sender_id: str) -> int:
        return len(self._sockets.get(sender_id, ()))

    async def send(self, sender_id: str, payload: dict[str, Any]) -> int:
        """Send to every open tab of the conversation; returns how many got it."""
        sockets = list(self._sockets.get(sender_id, ()))
        if not sockets:
            return 0
        results = await asyncio.gather(*(ws.send_json(payload) for ws in sockets if
                                          not ws.closed), return_exceptions=True)
        return sum(1 for r in results if not isinstance(r, BaseException))

    async def close_all(self) -> None:
        for sockets in list(self._sockets.values()):
            for ws in list(sockets):
                with contextlib.suppress(Exception):
                    await ws.close(code=1001, message=b"server shutdown")
        self._sockets.clear()
