"""Open browser connections per conversation, so a bot or coach message reaches every tab
of that conversation live, on whichever gateway instance the tab is connected.

One process (REDIS_URL unset, the embedded default): messages go straight to this process's
sockets. Several instances (REDIS_URL set, the production profile): `send` only PUBLISHes to
one Redis channel; every instance (the publishing one included) subscribes and delivers each
message to its own sockets of that conversation. So Rasa's callback may reach any instance
through nginx and the young person's socket may sit on any other: each tab gets each message
once, in the order Redis received them (Rasa posts one turn's messages one after another).

Pub/sub is at most once: while an instance has lost Redis it misses live messages. A
message that reaches no open tab is still in Rasa's tracker, and the page rebuilds the
transcript from it when it (re)connects, so after the subscription is back the instance
closes its sockets (1012) and the pages reconnect and reload. If publishing fails, the
message goes to this process's sockets instead (the one-instance behaviour, not silence).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiohttp import web

from bot.pubsub import RedisFanout


class WebHub(RedisFanout):
    """The web chat's sockets, per conversation (one per open tab)."""

    log_name = "web hub"
    log_unsubscribed = "live messages stay in this instance until it is reachable"
    log_resubscribed = "open pages reload"
    log_publish_failed = "Redis publish failed (%r); this instance's tabs only"

    def __init__(self, redis_url: str = "", prefix: str = "sluta-skjut") -> None:
        # its Redis client (`redis`) also holds the coach flags and SMS batches (app.py)
        super().__init__(redis_url, f"{prefix}:gateway:web",
                         {"socket_connect_timeout": 2, "socket_timeout": 5})
        self._sockets: dict[str, set[web.WebSocketResponse]] = {}

    async def _deliver(self, message: dict[str, Any]) -> None:
        await self._send_local(str(message.get("sender")), message.get("payload") or {})

    # ---- sockets ---------------------------------------------------------------------------

    def add(self, sender_id: str, ws: web.WebSocketResponse) -> None:
        self._sockets.setdefault(sender_id, set()).add(ws)

    def remove(self, sender_id: str, ws: web.WebSocketResponse) -> None:
        sockets = self._sockets.get(sender_id)
        if sockets is not None:
            sockets.discard(ws)
            if not sockets:
                del self._sockets[sender_id]

    def connected(self, sender_id: str) -> int:
        """Open tabs of the conversation on this instance."""
        return len(self._sockets.get(sender_id, ()))

    async def send(self, sender_id: str, payload: dict[str, Any]) -> int:
        """Send to every open tab of the conversation. Returns how many tabs got it (one
        process) or how many gateway instances took it from Redis (several)."""
        receivers = await self._publish({"sender": sender_id, "payload": payload})
        if receivers is not None:
            return receivers
        return await self._send_local(sender_id, payload)

    async def _send_local(self, sender_id: str, payload: dict[str, Any]) -> int:
        sockets = [ws for ws in self._sockets.get(sender_id, ()) if not ws.closed]
        if not sockets:
            return 0
        results = await asyncio.gather(*(ws.send_json(payload) for ws in sockets),
                                       return_exceptions=True)
        return sum(1 for r in results if not isinstance(r, BaseException))

    async def _close_sockets(self, code: int, message: bytes) -> None:
        for sockets in list(self._sockets.values()):
            for ws in list(sockets):
                with contextlib.suppress(Exception):
                    await ws.close(code=code, message=message)

    async def close_all(self) -> None:
        """At shutdown: close every tab's socket and forget them."""
        await self._close_sockets(1001, b"server shutdown")
        self._sockets.clear()
