"""Flood protection per conversation and per client address, without storing addresses.

Token buckets in memory. A client address is only ever used as HMAC(key, address) where the
key is random, lives in memory and is replaced every `rotate_seconds` (the buckets go with
it), so the limiter cannot be used to say which address wrote when.

Shared by the web/SMS gateway (bot/gateway) and Rasa's own channels (bot/rasa_plugins/channels),
which is
why it lives outside both.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

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
