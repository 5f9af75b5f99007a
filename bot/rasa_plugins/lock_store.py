"""Rasa lock store of the production profile: Redis, and a lock in this process while Redis is
down.

Rasa takes a conversation's lock before every message. With Rasa's RedisLockStore, losing
Redis fails every message (HTTP 500): nobody gets an answer, not even a crisis answer, until
Redis is back. This store uses Redis whenever it answers and falls back to an in-process lock
when it does not, so the bot keeps answering. What an outage costs: two messages of one
conversation arriving at the same moment on two Rasa instances are not serialised (one person
rarely sends two at once). A lock taken in the process stays there until released, so a turn
never loses its lock when Redis comes back in the middle of it.

It also fixes two causes of stalls in Rasa's RedisLockStore with several Rasa instances
(reproduced by bench/stall.py):

- Rasa changes a conversation's ticket list with a GET, a change in Python and a SET (and
  ends a turn with a SET, a GET and a DEL). Two instances touching one conversation at the
  same moment (a user's message on one, the coach's message through Rasa's HTTP API on the
  other) overwrite each other's tickets: a ticket dropped from the list leaves its holder
  waiting for a turn that never comes, one left behind makes every later message wait for it
  to expire (TICKET_LOCK_LIFETIME, 60 s: one request in 600 at one user took 18.5 s, and
  nginx's 504 in the 50-conversation test). Here every change is one Redis transaction
  (WATCH/MULTI/EXEC, retried on a conflict).
- A message that finds the conversation locked sleeps a whole second before it looks again
  (Rasa's default), so any short overlap costs one second. Here it looks again every
  POLL_SECONDS.

Configured in endpoints.prod.yml as `lock_store: type:
bot.rasa_plugins.lock_store.FailSafeRedisLockStore`
with the keys of Rasa's `type: redis`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
T = TypeVar("T")
# how often a message waiting for its conversation's turn looks again (Rasa: 1 s)
POLL_SECONDS = 0.01
# a lock key nobody touches this long after its last change is gone (every ticket in it has
# expired long before: tickets live TICKET_LOCK_LIFETIME)
KEY_TTL_SECONDS = 3600


class FailSafeRedisLockStore(RedisLockStore):
    """Redis tickets while Redis answers; an in-process lock while it does not."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)
        self.local = InMemoryLockStore()
        self.degraded = False

    def _redis_failed(self, exc: RedisError) -> None:
        if not self.degraded:
            log.warning("Redis lock store unreachable (%r): locking in this process until "
                        "it is back", exc)
        self.degraded = True

    def _redis_ok(self) -> None:
        if self.degraded:
            log.warning("Redis lock store reachable again")
        self.degraded = False

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        if conversation_id in self.local.conversation_locks:
            return self.local.get_lock(conversation_id)
        try:
            lock = super().get_lock(conversation_id)
        except RedisError as exc:
            self._redis_failed(exc)
            return None
        self._redis_ok()
        return lock

    def save_lock(self, lock: TicketLock) -> None:
        if lock.conversation_id not in self.local.conversation_locks:
            try:
                super().save_lock(lock)
                self._redis_ok()
                return
            except RedisError as exc:
                self._redis_failed(exc)
        self.local.save_lock(lock)

    def delete_lock(self, conversation_id: str) -> None:
        if conversation_id in self.local.conversation_locks:
            self.local.delete_lock(conversation_id)
            return
        try:
            super().delete_lock(conversation_id)
        except RedisError as exc:  # Redis expires the lock by itself
            self._redis_failed(exc)

    # ---- atomic changes of the ticket list --------------------------------------------------

    def _change(self, conversation_id: str,
                change: Callable[[TicketLock | None], tuple[TicketLock | None, T]]) -> T:
        """Read, change and write one conversation's lock as one Redis transaction: if
        another instance changed it in between, the change is made again on its version.
        `change` returns the lock to store (None or no tickets: the key is deleted) and the
        result."""
        key = self.key_prefix + conversation_id
        result: list[T] = []

        def transaction(pipe: object) -> None:
            raw = pipe.get(key)  # type: ignore[attr-defined]
            lock = TicketLock.from_dict(json.loads(raw)) if raw else None
            new, value = change(lock)
            result[:] = [value]
            pipe.multi()  # type: ignore[attr-defined]
            if new is None or not new.tickets:
                pipe.delete(key)  # type: ignore[attr-defined]
            else:
                pipe.set(key, new.dumps(), ex=KEY_TTL_SECONDS)  # type: ignore[attr-defined]

        self.red.transaction(transaction, key)
        return result[0]

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        if conversation_id not in self.local.conversation_locks:
            def issue(lock: TicketLock | None) -> tuple[TicketLock, int]:
                lock = lock or TicketLock(conversation_id)
                return lock, lock.issue_ticket(lock_lifetime)

            try:
                ticket = self._change(conversation_id, issue)
                self._redis_ok()
                return ticket
            except RedisError as exc:
                self._redis_failed(exc)
        return self.local.issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: str) -> None:
        """Drop expired tickets (Rasa calls it between two looks at a locked conversation)."""
        if conversation_id in self.local.conversation_locks:
            self.local.update_lock(conversation_id)
            return

        def drop_expired(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        try:
            self._change(conversation_id, drop_expired)
        except RedisError as exc:
            self._redis_failed(exc)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """The turn is over: remove its ticket, and the lock with the last ticket."""
        if conversation_id in self.local.conversation_locks:
            self.local.cleanup(conversation_id, ticket_number)
            return

        def finish(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        try:
            self._change(conversation_id, finish)
        except RedisError as exc:  # the ticket expires by itself
            self._redis_failed(exc)

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = POLL_SECONDS) -> AsyncIterator[TicketLock]:
        """Rasa's ticket lock, looking again every POLL_SECONDS (at most) while waiting."""
        async with super().lock(conversation_id, lock_lifetime,
                                min(wait_time_in_seconds, POLL_SECONDS)) as lock:
            yield lock
