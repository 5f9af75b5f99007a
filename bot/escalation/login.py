"""One login attempt, decided in one place: the throttle (a growing delay per account and per
client address, never a lockout of the real coach on a device that has logged in before) and
the password check, which costs the same for an unknown account as for a wrong password.

The console only reads the form and renders what `LoginThrottle.attempt` decided; password
hashing itself is `security.hash_password` / `verify_password` (also used by the CLI).

Why this shape:
- Per account: after ACCOUNT_LIMIT failed passwords within WINDOW_SECONDS, every further
  attempt from an unknown device has to wait, and each new failure doubles the wait (30 s,
  60 s, ... at most MAX_DELAY_SECONDS). Guessing one password becomes slow, but the account
  is never locked for good.
- Per client address: after ADDRESS_LIMIT failures (any usernames) the address waits the
  same way, so one address cannot try one common password on every account (spraying).
- Known device: a successful login leaves a signed, HttpOnly cookie naming the coach
  (`coach_device`). An attempt for that coach from that browser is not delayed by the
  account's or the address's count, so an attacker guessing the password cannot keep the
  real coach out. The device's own failures are counted: after ACCOUNT_LIMIT it is treated
  as unknown, so a stolen cookie does not give unlimited guesses.

Counts live in Redis when REDIS_URL is set (every instance sees them; keys expire by
themselves), else in this process. If Redis is unreachable the process falls back to its
own counts rather than letting every guess through. Addresses are kept only as
HMAC(SESSION_SECRET, address) and usernames as their SHA-256, for at most WINDOW_SECONDS.

Equal timing: an unknown or disabled account is checked against a hash of a random password,
so a wrong username takes as long as a wrong password (no username probing by timing).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any, Protocol

from bot.escalation.security import hash_password, verify_password

log = logging.getLogger(__name__)

ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW_SECONDS = 900
FIRST_DELAY_SECONDS = 30
MAX_DELAY_SECONDS = 900
DEVICE_COOKIE = "coach_device"
DEVICE_MAX_AGE = 180 * 24 * 3600


class Account(Protocol):
    """What the check needs of a coach row (bot.db.models.Coach)."""

    id: int
    active: bool
    password_hash: str


@dataclass(frozen=True)
class Attempt:
    """What one login attempt came to; the console renders it.

    `coach` is set only when the password was right and the attempt was not delayed;
    `wait` > 0: delayed, no password was checked; `device_cookie`: set it on the response
    (a browser logging in for the first time, remembered as this coach's device).
    """

    coach: Account | None
    wait: int = 0
    device_cookie: str | None = None


_dummy_hash: str | None = None


def dummy_verify(password: str) -> None:
    """As costly as a real check, against a hash of a random password (made once, lazily)."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password(secrets.token_urlsafe(16))
    verify_password(_dummy_hash, password)


def delay_for(failures: int, limit: int) -> int:
    """Seconds to wait after the `failures`-th failure (0 below the limit)."""
    if failures < limit:
        return 0
    return min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2 ** (failures - limit))


class MemoryCounts:
    """Counters and blocks with an expiry, in this process (one instance, or Redis down)."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._values: dict[str, tuple[int, float]] = {}
        self._max_keys = max_keys

    def _live(self, key: str, now: float) -> int:
        value, expires = self._values.get(key, (0, 0.0))
        return value if expires > now else 0

    async def incr(self, key: str, ttl: float) -> int:
        now = time.monotonic()
        if len(self._values) > self._max_keys:
            self._values = {k: v for k, v in self._values.items() if v[1] > now}
        value, expires = self._values.get(key, (0, 0.0))
        if expires <= now:
            value, expires = 0, now + ttl  # the window starts with the first failure
        self._values[key] = (value + 1, expires)
        return value + 1

    async def block(self, key: str, seconds: float) -> None:
        self._values[key] = (1, time.monotonic() + seconds)

    async def blocked_for(self, key: str) -> int:
        now = time.monotonic()
        value, expires = self._values.get(key, (0, 0.0))
        return int(expires - now) + 1 if value and expires > now else 0

    async def count(self, key: str) -> int:
        return self._live(key, time.monotonic())

    async def clear(self, *keys: str) -> None:
        for key in keys:
            self._values.pop(key, None)

    async def close(self) -> None:
        return None


class RedisCounts:
    """The same operations in Redis (shared by every instance); keys expire by TTL."""

    def __init__(self, redis_url: str) -> None:
        import redis.asyncio as aioredis

        self._redis: Any = aioredis.from_url(redis_url, socket_timeout=2)

    async def incr(self, key: str, ttl: float) -> int:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(key, 0, ex=int(ttl), nx=True)  # the window starts with the first failure
            pipe.incr(key)
            result = await pipe.execute()
        return int(result[1])

    async def block(self, key: str, seconds: float) -> None:
        await self._redis.set(key, 1, ex=max(1, int(seconds)))

    async def blocked_for(self, key: str) -> int:
        ttl = await self._redis.ttl(key)
        return int(ttl) if ttl and ttl > 0 else 0

    async def count(self, key: str) -> int:
        value = await self._redis.get(key)
        return int(value) if value is not None else 0

    async def clear(self, *keys: str) -> None:
        if keys:
            await self._redis.delete(*keys)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._redis.close()


class LoginThrottle:
    """The login form's delays; see the module docstring for the rules."""

    def __init__(self, secret: str, redis_url: str = "", prefix: str = "sluta-skjut") -> None:
        self._secret = secret.encode()
        self._prefix = f"{prefix}:login:"
        self._memory = MemoryCounts()
        self._redis = RedisCounts(redis_url) if redis_url else None

    # ---- keys -----------------------------------------------------------------------------

    def _hmac(self, value: str) -> str:
        return hmac.new(self._secret, value.encode("utf-8", "surrogatepass"),
                        hashlib.sha256).hexdigest()

    def address_key(self, address: str | None) -> str:
        return self._prefix + "addr:" + self._hmac("address:" + (address or "?"))

    def account_key(self, username: str) -> str:
        return self._prefix + "acct:" + hashlib.sha256(
            username.casefold().encode("utf-8", "surrogatepass")).hexdigest()

    def device_key(self, device: str) -> str:
        return self._prefix + "dev:" + self._hmac("device:" + device)

    # ---- known devices --------------------------------------------------------------------

    def new_device_cookie(self, coach_id: int) -> str:
        nonce = secrets.token_urlsafe(16)
        return f"{coach_id}.{nonce}.{self._hmac(f'{coach_id}.{nonce}')}"

    def device_of(self, cookie: str | None, coach_id: int | None) -> str | None:
        """The device id if `cookie` is a valid device cookie of this coach, else None."""
        if not cookie or coach_id is None or cookie.count(".") != 2:
            return None
        cid, nonce, sig = cookie.split(".")
        if cid != str(coach_id) or not hmac.compare_digest(
                sig.encode("utf-8", "surrogatepass"), self._hmac(f"{cid}.{nonce}").encode()):
            return None
        return f"{cid}.{nonce}"

    # ---- the rules ------------------------------------------------------------------------

    async def _call(self, name: str, *args: Any) -> Any:
        """Redis if configured and reachable, else this process's counts."""
        if self._redis is not None:
            try:
                return await getattr(self._redis, name)(*args)
            except Exception as exc:
                log.warning("login throttle: Redis unavailable (%r); counting in-process", exc)
        return await getattr(self._memory, name)(*args)

    async def wait_seconds(self, address: str | None, username: str,
                           device: str | None) -> int:
        """0 if this attempt may go ahead, else how long to wait."""
        if device is not None:
            device_failures = await self._call("count", self.device_key(device))
            if device_failures < ACCOUNT_LIMIT:
                return 0  # the coach's own browser: never kept out by someone else's guesses
        waits = [await self._call("blocked_for", self.address_key(address) + ":block"),
                 await self._call("blocked_for", self.account_key(username) + ":block")]
        return max(waits)

    async def failed(self, address: str | None, username: str, device: str | None) -> None:
        for key, limit in ((self.address_key(address), ADDRESS_LIMIT),
                           (self.account_key(username), ACCOUNT_LIMIT)):
            failures = await self._call("incr", key, WINDOW_SECONDS)
            delay = delay_for(failures, limit)
            if delay:
                await self._call("block", key + ":block", delay)
        if device is not None:
            await self._call("incr", self.device_key(device), WINDOW_SECONDS)

    async def succeeded(self, username: str, device: str | None) -> None:
        """The right password: the account's count and block end (the address's stay)."""
        account = self.account_key(username)
        keys = [account, account + ":block"]
        if device is not None:
            keys.append(self.device_key(device))
        await self._call("clear", *keys)

    async def attempt(self, address: str | None, username: str, password: str,
                      account: Account | None, device_cookie: str | None) -> Attempt:
        """Check one login: delayed, wrong (counted) or right (the account's count ends).

        `account` is the coach row of `username` (None if there is none); the argon2 check
        runs in a thread, so the event loop keeps serving other coaches meanwhile.
        """
        device = self.device_of(device_cookie, account.id if account is not None else None)
        wait = await self.wait_seconds(address, username, device)
        if wait:
            return Attempt(None, wait=wait)
        if account is None or not account.active:
            await asyncio.to_thread(dummy_verify, password)
            ok = False
        else:
            ok = await asyncio.to_thread(verify_password, account.password_hash, password)
        if not ok or account is None:
            await self.failed(address, username, device)
            return Attempt(None)
        await self.succeeded(username, device)
        # a new browser is remembered: its coach is not delayed by others' guesses
        cookie = self.new_device_cookie(account.id) if device is None else None
        return Attempt(account, device_cookie=cookie)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.close()
