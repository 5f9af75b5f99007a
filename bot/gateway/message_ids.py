"""Each web chat message forwarded to Rasa once, however often the page sends it.

The page gives every user message a random id and keeps it until the gateway acknowledges
it; after a reconnect it sends every unacknowledged message again with the same id
(bot/gateway/static/chat.js). So a message whose socket died before the gateway read it is
not lost, and one whose acknowledgement was lost is not answered twice: before it forwards,
the gateway claims the pair (conversation, page id) here.

A claim is in one of three states, and `claim` says which one it found:

- NEW: nobody had it; the caller now holds it ("busy") and forwards the message. It then
  calls `done` (Rasa took it: remembered `ttl_seconds`, a repeat is only acknowledged) or
  `release` (Rasa did not: the page's next send of that id is forwarded again).
- BUSY: another socket's forward of it is running (the page's previous socket, maybe on
  another gateway instance). A busy claim expires after `busy_seconds`, so a gateway killed
  mid-forward does not hold the id for ever.
- DONE: Rasa has it; acknowledge again, forward nothing.

Where: in Redis when REDIS_URL is set (the production profile's gateway instances behind
nginx see one claim: SET NX with an expiry; a release deletes only its own claim), in this
process's memory otherwise (bounded, expiring). While Redis does not answer the claims go to
this process's memory, and Redis is left alone for RETRY_SECONDS after an error
(bot/redis_breaker.py), as the rate limits do: a message is never refused because Redis is
down, but for that time another instance does not see this one's claims.

The key is a keyed hash (GATEWAY_SECRET) of the conversation id and the page's id: Redis gets
no conversation id, no address, no number and no text.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.redis_breaker import RedisBreaker

log = logging.getLogger(__name__)

MAX_ENTRIES = 100_000  # memory bound of the in-process store; expired, then oldest go first
RETRY_SECONDS = 5.0  # after a Redis error, claims stay in this process for this long
TIMEOUT_SECONDS = 0.25  # a message waits at most this long for a Redis that does not answer
DONE = "done"
BUSY_PREFIX = "busy:"

# KEYS[1] the claim; ARGV[1] the caller's busy value: delete it only if it is still that one
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Seen(enum.Enum):
    NEW = "new"
    BUSY = "busy"
    DONE = "done"


@dataclass(frozen=True)
class Claim:
    """What `claim` found; for NEW, also what `done` and `release` need to finish it."""

    state: Seen
    key: str
    value: str = ""  # the busy value this caller set (NEW only)
    shared: bool = False  # held in Redis (else in this process's memory)


class _Memory:
    """Claims in this process: key -> (value, expiry on `clock`)."""

    def __init__(self, clock: Callable[[], float], max_entries: int) -> None:
        self.clock = clock
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def get(self, key: str) -> str | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[1] <= self.clock():
            del self._entries[key]
            return None
        return entry[0]

    def set_if_absent(self, key: str, value: str, seconds: float) -> str | None:
        """Set `key` unless it holds a live value; returns that value, or None if set."""
        existing = self.get(key)
        if existing is not None:
            return existing
        self.set(key, value, seconds)
        return None

    def set(self, key: str, value: str, seconds: float) -> None:
        self._entries[key] = (value, self.clock() + seconds)
        self._entries.move_to_end(key)
        if len(self._entries) > self.max_entries:
            now = self.clock()
            for stale in [k for k, (_, until) in self._entries.items() if until <= now]:
                del self._entries[stale]
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def delete_if(self, key: str, value: str) -> None:
        if self.get(key) == value:
            del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)


class MessageIds:
    """Claims on (conversation, page message id): in Redis when configured, else in memory."""

    def __init__(self, secret: str, redis_url: str = "", prefix: str = "sluta-skjut",
                 ttl_seconds: float = 24 * 3600.0, busy_seconds: float = 40.0,
                 max_entries: int = MAX_ENTRIES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self.busy_seconds = busy_seconds
        self.local = _Memory(clock, max_entries)
        self._secret = (secret or "").encode("utf-8", "surrogatepass")
        self._prefix = f"{prefix}:gateway:msgid:"
        self._redis = RedisBreaker(redis_url, TIMEOUT_SECONDS, RETRY_SECONDS, clock)
        self._release: Any = None
        self.degraded = False

    @property
    def configured(self) -> bool:
        return self._redis.configured

    def key(self, conversation: str, message_id: str) -> str:
        """A keyed hash of the pair: the same on every instance, nothing readable in it."""
        pair = f"{len(conversation)}:{conversation}:{message_id}"  # one reading only
        digest = hmac.new(self._secret, pair.encode("utf-8", "surrogatepass"),
                          hashlib.sha256).hexdigest()[:40]
        return self._prefix + digest

    def _failed(self, exc: Exception) -> None:
        if not self.degraded:
            log.warning("web message ids: Redis unavailable (%r); claims in this process for "
                        "%.0f s at a time until it is back", exc, RETRY_SECONDS)
        self.degraded = True
        self._redis.pause()

    def _back(self) -> None:
        if self.degraded:
            log.warning("web message ids: Redis reachable again; one claim for all instances")
            self.degraded = False

    async def claim(self, conversation: str, message_id: str) -> Claim:
        """Take the pair if nobody has it (NEW), else say who has it (BUSY, DONE)."""
        key = self.key(conversation, message_id)
        value = BUSY_PREFIX + secrets.token_hex(8)
        client = self._redis.client()
        if client is not None:
            try:
                for _ in range(3):  # a claim that expires between SET and GET: try again
                    if await client.set(key, value, nx=True,
                                        px=max(1, int(self.busy_seconds * 1000))):
                        self._back()
                        return Claim(Seen.NEW, key, value, shared=True)
                    found = await client.get(key)
                    if found is not None:
                        self._back()
                        return Claim(Seen.DONE if found == DONE.encode() else Seen.BUSY, key)
                self._back()
                return Claim(Seen.BUSY, key)
            except Exception as exc:  # redis errors, OSError, timeouts: this process decides
                self._failed(exc)
        found = self.local.set_if_absent(key, value, self.busy_seconds)
        if found is None:
            return Claim(Seen.NEW, key, value)
        return Claim(Seen.DONE if found == DONE else Seen.BUSY, key)

    async def done(self, claim: Claim) -> None:
        """Rasa took the message: a repeat of its id is only acknowledged."""
        if claim.shared:
            client = self._redis.client()
            try:
                if client is None:
                    raise ConnectionError("paused after an earlier error")
                await client.set(claim.key, DONE, px=max(1, int(self.ttl_seconds * 1000)))
                return
            except Exception as exc:  # the busy claim expires; a resend is then checked
                self._failed(exc)     # against Rasa's tracker (bot/gateway/webchat.py)
        self.local.set(claim.key, DONE, self.ttl_seconds)

    async def release(self, claim: Claim) -> None:
        """Rasa did not take the message: the next send of its id is forwarded again."""
        if not claim.shared:
            self.local.delete_if(claim.key, claim.value)
            return
        client = self._redis.client()
        try:
            if client is None:
                raise ConnectionError("paused after an earlier error")
            if self._release is None:
                self._release = client.register_script(_RELEASE)
            await self._release(keys=[claim.key], args=[claim.value])
        except Exception as exc:  # the busy claim expires after busy_seconds
            self._failed(exc)

    async def close(self) -> None:
        await self._redis.close()
        self._release = None
