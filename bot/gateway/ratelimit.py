"""Flood protection per conversation and per client address, without storing addresses.

Token buckets in memory. A client address is only ever used as HMAC(key, address) where the
key is random, lives in memory and is replaced every `rotate_seconds` (the buckets go with
it), so the limiter cannot be used to say which address wrote when.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
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
