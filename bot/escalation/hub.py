"""Live fan-out to open consoles: per-case chat sockets and queue watchers.

One process (REDIS_URL unset): messages go straight to the sockets of this process.

Several instances (REDIS_URL set): `send_case` and `queue_changed` only PUBLISH to one Redis
pub/sub channel; every instance (the publishing one included) subscribes and delivers each
message to its own local sockets. So every socket, on whichever instance it is connected,
receives every message exactly once (a message reaches a process once, and the publisher does
not also deliver locally), and in the same order everywhere: Redis delivers the messages of a
channel to all subscribers in the order it received them, and one listener task per process
delivers them one after another.

Pub/sub is at most once: while an instance has lost Redis it misses live messages (it
reconnects by itself). The database stays the record: a console that reconnects reloads the
case. So when the subscription is back after a loss, the instance closes its consoles'
sockets (1012, "service restart"); they reconnect at once and reload what they missed.
If publishing fails, the message is delivered to this process's sockets instead, so a
Redis outage degrades to the one-instance behaviour rather than to silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.pubsub import RedisFanout

log = logging.getLogger(__name__)

# close codes a console does not reconnect after (4000-4999: the application's own)
CLOSE_FORBIDDEN = 4403  # the session ended or the case is no longer this coach's
CLOSE_FINISHED = 4000  # the case was closed or handed back: nothing more will stream
FINISHED = frozenset({"closed", "handed_back"})

# re-checks, on every message, that the socket's coach may still read the case
Guard = Callable[[], Awaitable[bool]]


class Ending:
    """Asks a socket's own handler to close it with a code. Closing an aiohttp socket from
    another task while its handler reads drops the connection without the close frame
    (the browser sees 1006 and reconnects); the handler closes it properly instead."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.code = 1000
        self.reason = ""

    def end(self, code: int, reason: str) -> None:
        if not self.event.is_set():
            self.code, self.reason = code, reason
            self.event.set()


class Hub(RedisFanout):
    """The consoles' sockets: per case (each re-checked by its guard before every message)
    and the queue pages, which only hear that the queue changed and refetch it."""

    log_name = "hub"
    log_unsubscribed = "live messages will be local until it is reachable"
    log_resubscribed = "consoles reload"
    log_publish_failed = "publish to Redis failed (%r); delivering locally only"

    def __init__(self, redis_url: str = "", prefix: str = "sluta-skjut") -> None:
        super().__init__(redis_url, f"{prefix}:hub")
        self.case_sockets: dict[str, set[web.WebSocketResponse]] = defaultdict(set)
        self.guards: dict[web.WebSocketResponse, Guard] = {}
        self.endings: dict[web.WebSocketResponse, Ending] = {}
        self.queue_sockets: set[web.WebSocketResponse] = set()
        self.instance = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"

    async def _deliver(self, message: dict[str, Any]) -> None:
        if message.get("kind") == "case":
            await self._send_case(str(message.get("case_id")), message.get("payload") or {})
        elif message.get("kind") == "queue":
            await self._send(self.queue_sockets, {"type": "queue_changed"})

    async def _publish(self, message: dict[str, Any]) -> int | None:
        """Every message names the instance that published it (for tests and logs)."""
        return await super()._publish({**message, "origin": self.instance})

    # ---- sockets ---------------------------------------------------------------------------

    def join_case(self, case_id: str, ws: web.WebSocketResponse,
                  guard: Guard | None = None, ending: Ending | None = None) -> None:
        """`guard` runs before every message to this socket: False ends the socket (through
        `ending`, which its handler waits on)."""
        self.case_sockets[case_id].add(ws)
        if guard is not None:
            self.guards[ws] = guard
        if ending is not None:
            self.endings[ws] = ending

    def leave_case(self, case_id: str, ws: web.WebSocketResponse) -> None:
        self.guards.pop(ws, None)
        self.endings.pop(ws, None)
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

    async def _send_case(self, case_id: str, payload: dict[str, Any]) -> None:
        """Deliver to the case's sockets whose coach may still read it; end the others.

        The right to read is checked on every message, not only at connect: a case claimed
        by another coach, a session ended (logout, new password, account disabled) or a
        case closed or handed back ends the socket, so nothing the user writes afterwards
        reaches a console that should no longer see it.
        """
        sockets = set(self.case_sockets.get(case_id, set()))
        allowed: set[web.WebSocketResponse] = set()
        for ws in sockets:
            guard = self.guards.get(ws)
            try:
                ok = guard is None or await guard()
            except Exception as exc:  # the database is away: fail closed
                log.warning("hub: access check failed (%r); ending the socket", exc)
                ok = False
            if ok:
                allowed.add(ws)
            else:
                await self._end(ws, CLOSE_FORBIDDEN, "Åtkomst nekad")
        await self._send(allowed, payload)
        case = payload.get("case") if payload.get("type") == "case" else None
        if isinstance(case, dict) and case.get("status") in FINISHED:
            for ws in allowed:
                await self._end(ws, CLOSE_FINISHED, "Ärendet är avslutat")

    async def _end(self, ws: web.WebSocketResponse, code: int, reason: str) -> None:
        ending = self.endings.get(ws)
        if ending is not None:
            ending.end(code, reason)
            return
        with contextlib.suppress(Exception):
            await ws.close(code=code, message=reason.encode())

    async def send_case(self, case_id: str, payload: dict[str, Any]) -> None:
        message = {"kind": "case", "case_id": case_id, "payload": payload}
        if await self._publish(message) is not None:
            return
        await self._send_case(case_id, payload)

    async def queue_changed(self) -> None:
        """Tell queue pages to refetch; they fetch through the API, which checks permissions."""
        if await self._publish({"kind": "queue"}) is not None:
            return
        await self._send(self.queue_sockets, {"type": "queue_changed"})

    async def _close_sockets(self, code: int, message: bytes) -> None:
        sockets = {ws for group in self.case_sockets.values() for ws in group} | self.queue_sockets
        for ws in sockets:
            with contextlib.suppress(Exception):
                await ws.close(code=code, message=message)

    async def close_all(self) -> None:
        await self.stop()
        await self._close_sockets(1001, b"server shutdown")
