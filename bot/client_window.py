"""How many coach cases one client opened in the last 24 hours, without a stable client id on
disk.

On disk (the tracker's `metadata.client`, the case's "opened" event) a client is only a daily
pseudonym, HMAC(key, UTC date, client), so two days of one client cannot be linked there. A
limit over a rolling 24 hours must still know that yesterday's and today's pseudonym are one
client. That knowledge is kept only in Redis, and only while it is needed:

- `link` (Rasa's channel, which sees the client, on every message): the key
  `<prefix>:casewin:link:<daily pseudonym>` holds the client's window id (a keyed hash of the
  client, no date in it) for LINK_SECONDS after the client's last message.
- `reserve` (the escalation service, before it opens a new case): reads the window id of the
  request's pseudonym and, in one atomic script, drops the entries older than WINDOW_SECONDS
  from the sorted set `<prefix>:casewin:cases:<window id>` and adds this case if fewer than
  the limit remain. The set expires WINDOW_SECONDS after its last case.

No file or database of the project gets the window id. Redis keeps it in memory; a Redis server
configured to save snapshots (RDB or AOF) would write it to its own files, so the Redis used
here should run without persistence (nothing the project keeps there needs it).

`reserve` answers None when it cannot know (no REDIS_URL, Redis down, or no link for that
pseudonym, e.g. a request that waited in the retry queue): the service then applies only its limit
on open cases per daily pseudonym, which resets at midnight UTC. After a Redis error the
window leaves Redis alone for RETRY_SECONDS, so an outage costs no message more than one
short timeout.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from bot.redis_breaker import RedisBreaker

log = logging.getLogger(__name__)

WINDOW_SECONDS = 24 * 3600
LINK_SECONDS = 3600
RETRY_SECONDS = 10.0
TIMEOUT_SECONDS = 0.5

# KEYS[1] the client's set; ARGV: now, window, limit, member. 1 = added, 0 = at the limit.
_RESERVE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""


@dataclass(frozen=True)
class Reservation:
    """The outcome of `reserve`: whether the case may open, and how to take it back."""

    allowed: bool
    key: str
    member: str


class ClientCaseWindow:
    """Links daily pseudonyms to window ids and counts cases per window id, in Redis."""

    def __init__(self, redis_url: str = "", prefix: str = "sluta-skjut") -> None:
        self._prefix = f"{prefix}:casewin:"
        self._redis = RedisBreaker(redis_url, TIMEOUT_SECONDS, RETRY_SECONDS)

    @property
    def configured(self) -> bool:
        return self._redis.configured

    def _client(self) -> Any:
        """The Redis client, or None while Redis is not configured or recently failed."""
        return self._redis.client()

    def _failed(self, exc: Exception) -> None:
        if self._redis.pause():
            log.warning("case window: Redis unavailable (%r); per-day limit only for %.0f s",
                        exc, RETRY_SECONDS)

    async def link(self, daily: str, window_id: str) -> None:
        """Remember, for LINK_SECONDS, which client the daily pseudonym `daily` is."""
        client = self._client()
        if client is None:
            return
        try:
            await client.set(self._prefix + "link:" + daily, window_id, ex=LINK_SECONDS)
        except Exception as exc:  # the message goes on; the limit falls back to the day
            self._failed(exc)

    async def reserve(self, daily: str | None, limit: int, now: float) -> Reservation | None:
        """Count a new case of this pseudonym's client at time `now` (epoch seconds) if it
        opened fewer than `limit` in the WINDOW_SECONDS before; None when unknown."""
        client = self._client()
        if client is None or not daily:
            return None
        try:
            window_id = await client.get(self._prefix + "link:" + daily)
            if window_id is None:
                return None
            key = self._prefix + "cases:" + window_id.decode()
            member = f"{now:.6f}:{uuid.uuid4().hex}"
            added = await client.eval(_RESERVE, 1, key, now, WINDOW_SECONDS, limit, member)
        except Exception as exc:
            self._failed(exc)
            return None
        return Reservation(bool(added), key, member)

    async def release(self, reservation: Reservation | None) -> None:
        """Take back a counted case that was not opened after all."""
        client = self._client()
        if client is None or reservation is None or not reservation.allowed:
            return
        try:
            await client.zrem(reservation.key, reservation.member)
        except Exception as exc:
            self._failed(exc)

    async def close(self) -> None:
        await self._redis.close()
