"""Flood protection per conversation and per client address, without storing addresses.

`RateLimiter`: token buckets in this process's memory. A client address is only ever used as
HMAC(key, address) where the key is random, lives in memory and is replaced every
`rotate_seconds` (the buckets go with it), so the limiter cannot be used to say which address
wrote when.

`SharedRateLimiter`: the same limits counted in Redis when REDIS_URL is set, so N processes
(Rasa instances, gateway instances) share one limit for the whole deployment instead of N
times it. One token bucket per key, taken and refilled by one Lua script (atomic, clocked by
the Redis server's TIME, so two hosts with skewed clocks agree). While Redis does not answer,
the process falls back to its own `RateLimiter` (as bot/rasa_plugins/lock_store.py does for
locks): a message is never refused because Redis is down, and the limit is per process for
that time. After a Redis error Redis is left alone for RETRY_SECONDS, so an outage costs at
most one short timeout per RETRY_SECONDS, not one per message.

Redis keys hold no address and no conversation id: `<prefix>:rl:<scope>:a:<HMAC>` where the
HMAC of an address is keyed with the deployment's shared secret and the current
`rotate_seconds` period (the same on every instance, a new value every period), and a
conversation's is keyed with the secret alone. A key expires once its bucket would be full
again (at most `per_seconds`), so Redis forgets a client within a minute of its last message.

Why not the `limits` library: every release from 2.x on needs packaging>=21, and Rasa 3.6 pins
packaging<21 (requirements.in); its asyncio Redis storage is built on `coredis`, a second
Redis client beside the redis-py the project pins; and it has no fallback while Redis is down
(that is left to its callers, as here). One script and ~80 lines on the pinned redis-py are
less than that, and load unchanged on Python 3.10 and 3.12.

Shared by the web/SMS gateway (bot/gateway) and Rasa's own channels (bot/rasa_plugins/channels),
which is why it lives outside both.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.redis_breaker import RedisBreaker

log = logging.getLogger(__name__)

MAX_KEYS = 100_000  # memory bound: beyond this, idle buckets are dropped first


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class TokenBuckets:
    """`allow(key)` spends one token; `count` tokens refill over `per_seconds`."""

    def __init__(self, count: int, per_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(max(count, 1))
        self.rate = self.capacity / max(per_seconds, 0.001)
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def allow(self, key: str) -> bool:
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_KEYS:
                self._prune(now)
            bucket = self._buckets[key] = _Bucket(self.capacity, now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.stamp) * self.rate)
        bucket.stamp = now
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    def _prune(self, now: float) -> None:
        full_after = self.capacity / self.rate
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.stamp < full_after}
        if len(self._buckets) >= MAX_KEYS:
            self._buckets.clear()

    def clear(self) -> None:
        self._buckets.clear()

    @property
    def retry_after_seconds(self) -> int:
        """Whole seconds until a refused key has a token again (for a Retry-After header):
        after a refusal a bucket holds less than one token, so one refill period is enough."""
        return max(1, math.ceil(1 / self.rate))


class RateLimiter:
    """Both limits; an address is hashed with a rotating in-memory key before use."""

    def __init__(self, conversation: tuple[int, float], address: tuple[int, float],
                 rotate_seconds: float = 3600,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.conversations = TokenBuckets(*conversation, clock=clock)
        self.addresses = TokenBuckets(*address, clock=clock)
        self.rotate_seconds = rotate_seconds
        self.clock = clock
        self._key = secrets.token_bytes(32)
        self._key_born = clock()

    def address_key(self, address: str | None) -> str:
        if self.clock() - self._key_born > self.rotate_seconds:
            self._key, self._key_born = secrets.token_bytes(32), self.clock()
            self.addresses.clear()
        return hmac.new(self._key, (address or "?").encode(), hashlib.sha256).hexdigest()[:32]

    def allow_address(self, address: str | None) -> bool:
        return self.addresses.allow(self.address_key(address))

    def allow_conversation(self, sender_id: str) -> bool:
        return self.conversations.allow(sender_id)


# Redis: a token bucket per key. KEYS[1] the bucket; ARGV: capacity, tokens per second, TTL in
# milliseconds (the time a spent bucket needs to be full again). 1 = allowed, 0 = refused.
_TAKE = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local capacity, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 't', 's')
local tokens, stamp = tonumber(state[1]), tonumber(state[2])
if tokens == nil or stamp == nil then tokens, stamp = capacity, now end
tokens = math.min(capacity, tokens + math.max(0, now - stamp) * rate)
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 's', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return allowed
"""
RETRY_SECONDS = 5.0  # after a Redis error, this process counts alone for this long
TIMEOUT_SECONDS = 0.25  # a message waits at most this long for a Redis that does not answer


class SharedRateLimiter:
    """Both limits in Redis (one limit for every process with the same prefix, scope and
    secret) while Redis answers, in this process's `RateLimiter` while it does not."""

    def __init__(self, conversation: tuple[int, float], address: tuple[int, float], *,
                 scope: str, secret: str, redis_url: str = "", prefix: str = "sluta-skjut",
                 rotate_seconds: float = 3600,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        self.local = RateLimiter(conversation, address, rotate_seconds, clock)
        self.rotate_seconds = rotate_seconds
        self.clock = clock
        self.wall = wall
        self._secret = (secret or "").encode("utf-8", "surrogatepass")
        self._prefix = f"{prefix}:rl:{scope}:"
        self._redis = RedisBreaker(redis_url, TIMEOUT_SECONDS, RETRY_SECONDS, clock)
        self._script: Any = None
        self.degraded = False

    @property
    def conversations(self) -> TokenBuckets:
        return self.local.conversations

    @property
    def addresses(self) -> TokenBuckets:
        return self.local.addresses

    @property
    def configured(self) -> bool:
        return self._redis.configured

    def _keyed(self, value: str) -> str:
        return hmac.new(self._secret, value.encode("utf-8", "surrogatepass"),
                        hashlib.sha256).hexdigest()[:32]

    def address_key(self, address: str | None) -> str:
        """The Redis key of an address: keyed hash, new every `rotate_seconds` period."""
        period = int(self.wall() // self.rotate_seconds)
        return self._prefix + "a:" + self._keyed(f"address:{period}:{address or '?'}")

    def conversation_key(self, sender_id: str) -> str:
        return self._prefix + "c:" + self._keyed(f"conversation:{sender_id}")

    def _client(self) -> Any:
        """The Redis script, or None while Redis is not configured or recently failed."""
        client = self._redis.client()
        if client is None:
            return None
        if self._script is None:
            self._script = client.register_script(_TAKE)
        return self._script

    async def _take(self, key: str, buckets: TokenBuckets) -> bool | None:
        """Spend one token of `key` in Redis; None when Redis could not say."""
        script = self._client()
        if script is None:
            return None
        ttl_ms = max(1, math.ceil(buckets.capacity / buckets.rate * 1000))
        try:
            allowed = await script(keys=[key], args=[buckets.capacity, buckets.rate, ttl_ms])
        except Exception as exc:  # redis errors, OSError, timeouts: count in this process
            if not self.degraded:
                log.warning("rate limits: Redis unavailable (%r); counting in this process "
                            "for %.0f s at a time until it is back", exc, RETRY_SECONDS)
            self.degraded = True
            self._redis.pause()
            return None
        if self.degraded:
            log.warning("rate limits: Redis reachable again; one limit for all processes")
            self.degraded = False
        return bool(allowed)

    async def allow_address(self, address: str | None) -> bool:
        shared = await self._take(self.address_key(address), self.addresses)
        return self.local.allow_address(address) if shared is None else shared

    async def allow_conversation(self, sender_id: str) -> bool:
        shared = await self._take(self.conversation_key(sender_id), self.conversations)
        return self.local.allow_conversation(sender_id) if shared is None else shared

    async def close(self) -> None:
        await self._redis.close()
        self._script = None


def parse_rate(value: str | None, default: tuple[int, float]) -> tuple[int, float]:
    """Parse "COUNT/SECONDS" (e.g. "20/60"): COUNT messages per SECONDS, as a burst too."""
    if not value or not value.strip():
        return default
    count, _, seconds = value.strip().partition("/")
    return int(count), float(seconds or 60)


def is_loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address((address or "").strip()).is_loopback
    except ValueError:
        return False


def client_address(peer: str | None, headers: Mapping[str, str]) -> str | None:
    """The address a request came from, for rate limiting only (never stored).

    Proxy headers are believed only when the peer itself is on loopback: that is the
    project's nginx (deploy/nginx.conf.template sets X-Forwarded-For with
    $proxy_add_x_forwarded_for, so its own view of the client is the last entry; earlier
    entries come from the client and could be forged). Anyone else gets their peer address.
    """
    if not is_loopback(peer):
        return peer
    forwarded = [part.strip() for part in (headers.get("X-Forwarded-For") or "").split(",")]
    forwarded = [part for part in forwarded if part]
    if forwarded:
        return forwarded[-1]
    real_ip = (headers.get("X-Real-IP") or "").strip()
    return real_ip or peer
