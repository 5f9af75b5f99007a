"""One Redis pub/sub channel that carries live messages to every instance of a service.

The escalation service's hub (coach consoles) and the gateway's web hub (chat tabs) fan out
the same way: when REDIS_URL is set, a sender only PUBLISHes, and one listener task per
process subscribes and hands each message, in the order Redis received them, to that
process's own sockets. Pub/sub is at most once, so while the subscription is lost the listener
reconnects by itself and, once it is back, closes the sockets with 1012: the pages reconnect
and reload what they missed from the record (the database, Rasa's tracker). This module holds
that lifecycle once; each hub says what a message means and which sockets it has.

Service runtime only: redis.asyncio is imported when a hub starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

RECONNECT_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)
SUBSCRIBE_SECONDS = 10  # how long start() waits for the subscription before serving anyway
RELOAD_CODE, RELOAD_MESSAGE = 1012, b"live messages were interrupted"


class RedisFanout(ABC):
    """The subscription's lifecycle (start, stop, a listener that never gives up) and the
    publish call; subclasses deliver messages and close their sockets.

    The log lines name the hub (`log_name`) and say what its users see (`log_unsubscribed`,
    `log_resubscribed`, `log_publish_failed` with one %r for the error), in the subclass's
    module logger, so each service keeps its own wording.
    """

    log_name: ClassVar[str]
    log_unsubscribed: ClassVar[str]
    log_resubscribed: ClassVar[str]
    log_publish_failed: ClassVar[str]

    def __init__(self, redis_url: str, channel: str,
                 client_options: Mapping[str, float] | None = None) -> None:
        self.redis_url = redis_url
        self.channel = channel
        self.redis: Any = None  # redis.asyncio client while started
        self.published = 0  # messages this process published (a figure for tests and logs)
        self.delivered = 0  # messages this process's listener took from Redis
        self._client_options = dict(client_options or {})
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._log = logging.getLogger(type(self).__module__)

    @property
    def distributed(self) -> bool:
        return bool(self.redis_url)

    @abstractmethod
    async def _deliver(self, message: dict[str, Any]) -> None:
        """Hand one message from the channel to this process's sockets."""

    @abstractmethod
    async def _close_sockets(self, code: int, message: bytes) -> None:
        """Close every socket of this process (they reconnect and reload)."""

    # ---- lifecycle (called by the app's cleanup context) ---------------------------------

    async def start(self) -> None:
        """Connect to Redis and subscribe before the service takes requests."""
        if not self.distributed or self._listener is not None:
            return
        import redis.asyncio as aioredis

        self.redis = aioredis.from_url(self.redis_url, **self._client_options)
        self._listener = asyncio.create_task(self._listen())
        try:
            await asyncio.wait_for(self._subscribed.wait(), timeout=SUBSCRIBE_SECONDS)
        except asyncio.TimeoutError:
            self._log.error("%s: not subscribed to Redis after %s s; %s", self.log_name,
                            SUBSCRIBE_SECONDS, self.log_unsubscribed)

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
                    self._log.warning("%s: subscribed to Redis again; %s", self.log_name,
                                      self.log_resubscribed)
                    await self._close_sockets(RELOAD_CODE, RELOAD_MESSAGE)
                failures = 0
                while True:
                    msg = await pubsub.get_message(timeout=30.0)
                    if msg is None or msg.get("type") != "message":
                        continue
                    self.delivered += 1
                    await self._deliver(json.loads(msg["data"]))
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await pubsub.close()
                raise
            except Exception as exc:  # Redis gone: retry, never stop the listener
                self._subscribed.clear()
                wait = RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)]
                failures += 1
                self._log.warning("%s: Redis subscription lost (%r); retrying in %s s",
                                  self.log_name, exc, wait)
                with contextlib.suppress(Exception):
                    await pubsub.close()
                await asyncio.sleep(wait)

    async def _publish(self, message: dict[str, Any]) -> int | None:
        """Publish to every instance: how many subscribers took it, or None when Redis is not
        started or could not take it (the caller then delivers to its own sockets)."""
        if self.redis is None:
            return None
        try:
            receivers = await self.redis.publish(self.channel, json.dumps(message))
        except Exception as exc:
            self._log.warning("%s: " + self.log_publish_failed, self.log_name, exc)
            return None
        self.published += 1
        return int(receivers)
