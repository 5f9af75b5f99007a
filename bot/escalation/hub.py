"""Live fan-out to open consoles: per-case chat sockets and queue watchers (in-process).

One service process holds all sockets; running several processes would need a shared bus
(e.g. Redis pub/sub) here, and nothing else would change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)


class Hub:
    def __init__(self) -> None:
        self.case_sockets: dict[str, set[web.WebSocketResponse]] = defaultdict(set)
        self.queue_sockets: set[web.WebSocketResponse] = set()

    def join_case(self, case_id: str, ws: web.WebSocketResponse) -> None:
        self.case_sockets[case_id].add(ws)

    def leave_case(self, case_id: str, ws: web.WebSocketResponse) -> None:
        sockets = self.case_sockets.get(case_id)
        if sockets is not None:
            sockets.discard(ws)
            if not sockets:
                del self.case_sockets[case_id]

    async def _send(self, sockets: set[web.WebSocketResponse], payload: dict[str, Any]) -> None:
        async def one(ws: web.WebSocketResponse) -> None:
            if ws.closed:
                return
            try:
                await ws.send_json(payload)
            except (ConnectionError, RuntimeError) as exc:
                log.debug("dropping socket: %r", exc)

        if sockets:
            await asyncio.gather(*(one(ws) for ws in list(sockets)))

    async def send_case(self, case_id: str, payload: dict[str, Any]) -> None:
        await self._send(self.case_sockets.get(case_id, set()), payload)

    async def queue_changed(self) -> None:
        """Tell queue pages to refetch; they fetch through the API, which checks permissions."""
        await self._send(self.queue_sockets, {"type": "queue_changed"})

    async def close_all(self) -> None:
        sockets = {ws for group in self.case_sockets.values() for ws in group} | self.queue_sockets
        for ws in sockets:
            with contextlib.suppress(Exception):
                await ws.close(code=1001, message=b"server shutdown")
