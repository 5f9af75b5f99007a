"""Rasa lock store of the production profile: Redis, and a lock in this process while Redis is
down.

Rasa takes a conversation's lock before every message. With Rasa's RedisLockStore, losing
Redis fails every message (HTTP 500): nobody gets an answer, not even a crisis answer, until
Redis is back. This store uses Redis whenever it answers and falls back to an in-process lock
when it does not, so the bot keeps answering. What an outage costs: two messages of one
conversation arriving at the same moment on two Rasa instances are not serialised (one person
rarely sends two at once). A lock taken in the process stays there until released, so a turn
never loses its lock when Redis comes back in the middle of it.

Configured in endpoints.prod.yml as `lock_store: type:
bot.rasa_plugins.lock_store.FailSafeRedisLockStore`
with the keys of Rasa's `type: redis`.
"""

from __future__ import annotations

import logging

from rasa.core.lock import TicketLock
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


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
