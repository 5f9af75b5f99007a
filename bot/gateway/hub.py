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
import json
import logging
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)
RECONNECT_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)


class WebHub:
    def __init__(self, redis_url: str = "", prefix: str = "sluta-skjut") -> None:
        self._sockets: dict[str, set[web.WebSocketResponse]] = {}
        self.redis_url = redis_url
        self.channel = f"{prefix}:gateway:web"
        self.redis: Any = None  # redis.asyncio client, shared with the other gateway state
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self.published = 0  # messages this process published
        self.delivered = 0  # messages this process's listener took from Redis

    @property
    def distributed(self) -> bool:
        return bool(self.redis_url)

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect to Redis and subscribe before the gateway takes requests."""
        if not self.distributed or self._listener is not None:
            return
        import redis.asyncio as aioredis

        self.redis = aioredis.from_url(self.redis_url, socket_connect_timeout=2,
                                       socket_timeout=5)
        self._listener = asyncio.create_task(self._listen())
        try:
            await asyncio.wait_for(self._subscribed.wait(), timeout=10)
        except asyncio.TimeoutError:
            log.error("web hub: not subscribed to Redis after 10 s; live messages stay in "
                      "this instance until it is reachable")

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        if self.redis is not None:
            with contextlib.suppress(Exception):
                await self.redis.close()
            self.redis = None

    async def _listen(self) -> None:
        failures = 0
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self._subscribed.set()
                if failures:
                    log.warning("web hub: subscribed to Redis again; open pages reload")
                    await self.close_all(1012, b"live messages were interrupted",
                                         forget=False)
                failures = 0
                while True:
                    msg = await pubsub.get_message(timeout=30.0)
                    if msg is None or msg.get("type") != "message":
                        continue
                    self.delivered += 1
                    data = json.loads(msg["data"])
                    await self._send_local(str(data.get("sender")), data.get("payload") or {})
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await pubsub.close()
                raise
            except Exception as exc:  # Redis gone: retry, never stop the listener
                self._subscribed.clear()
                wait = RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)]
                failures += 1
                log.warning("web hub: Redis subscription lost (%r); retrying in %s s", exc,
                            wait)
                with contextlib.suppress(Exception):
                    await pubsub.close()
                await asyncio.sleep(wait)

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
        if self.distributed and self.redis is not None:
            try:
                receivers = await self.redis.publish(
                    self.channel, json.dumps({"sender": sender_id, "payload": payload}))
                self.published += 1
                return int(receivers)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("web hub: Redis publish failed (%r); this instance's tabs only",
                            exc)
        return await self._send_local(sender_id, payload)

    async def _send_local(self, sender_id: str, payload: dict[str, Any]) -> int:
        sockets = [ws for ws in self._sockets.get(sender_id, ()) if not ws.closed]
        if not sockets:
            return 0
        results = await asyncio.gather(*(ws.send_json(payload) for ws in sockets),
                                       return_exceptions=True)
        return sum(1 for r in results if not isinstance(r, BaseException))

    async def close_all(self, code: int = 1001, message: bytes = b"server shutdown",
                        forget: bool = True) -> None:
        for sockets in list(self._sockets.values()):
            for ws in list(sockets):
                with contextlib.suppress(Exception):
                    await ws.close(code=code, message=message)
        if forget:
            self._sockets.clear()
