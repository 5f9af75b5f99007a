"""A Redis client for work that can go on without Redis, left alone for a while after an error.

The shared rate limits (bot/ratelimit.py) and the rolling case window (bot/client_window.py)
count in Redis when REDIS_URL is set and fall back to what one process knows when Redis does
not answer. So that an outage costs a message at most one short timeout per `retry_seconds`,
not one per message, the first error pauses the client: until the pause ends `client()` says
None at once and the caller takes its fallback. Each caller logs the outage in its own words.

Loaded on both runtimes (Rasa's channels use the rate limits); redis.asyncio is imported on
first use.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any


class RedisBreaker:
    """One lazily made Redis client with short socket timeouts and a pause after an error."""

    def __init__(self, url: str, timeout: float, retry_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self.timeout = timeout
        self.retry_seconds = retry_seconds
        self.clock = clock
        self._redis: Any = None
        self._paused_until = 0.0

    @property
    def configured(self) -> bool:
        return bool(self.url)

    def client(self) -> Any:
        """The Redis client, or None while Redis is not configured or recently failed."""
        if not self.url or self.clock() < self._paused_until:
            return None
        if self._redis is None:
            import redis.asyncio as aioredis

            self._redis = aioredis.from_url(self.url, socket_timeout=self.timeout,
                                            socket_connect_timeout=self.timeout)
        return self._redis

    def pause(self) -> bool:
        """After an error: no client for `retry_seconds`. True if it was not paused already."""
        was_running = self.clock() >= self._paused_until
        self._paused_until = self.clock() + self.retry_seconds
        return was_running

    async def close(self) -> None:
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.close()
            self._redis = None
