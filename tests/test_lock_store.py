"""The production lock store on the real Redis (TEST_REDIS_URL): two Rasa instances taking
turns on one conversation never lose or leave a ticket (issue 15, the stalls).

Rasa's own RedisLockStore changes the ticket list with GET, change, SET: two instances at
the same moment overwrite each other, and a message then waits for a ticket that is gone or
for one left behind to expire (60 s). Here threads play two instances' messages and API
calls on one conversation at once, each through its own store (its own Redis connection,
as two processes have): every turn must run alone, and after the last one no ticket may be
left.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from urllib.parse import urlsplit

import pytest
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_plugins.lock_store import FailSafeRedisLockStore

pytestmark = pytest.mark.redis
TURNS = 60  # per thread
THREADS = 4  # two per instance


def _store(prefix: str) -> FailSafeRedisLockStore:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL not set")
    parts = urlsplit(url)
    return FailSafeRedisLockStore(EndpointConfig(
        url=parts.hostname or "127.0.0.1", port=parts.port or 6379,
        db=(parts.path or "/0").lstrip("/") or "0", key_prefix=prefix))


def test_two_instances_take_turns_without_losing_or_leaving_a_ticket() -> None:
    prefix = f"locktest{uuid.uuid4().hex[:8]}"
    stores = [_store(prefix), _store(prefix)]  # instance 1 and instance 2
    conversation = f"web-{uuid.uuid4().hex}"
    inside: list[int] = []
    overlaps: list[tuple[int, int]] = []
    done = []
    guard = threading.Lock()

    def player(index: int) -> None:
        store = stores[index % 2]

        async def turns() -> None:
            for _ in range(TURNS):
                async with store.lock(conversation):
                    with guard:
                        if inside:
                            overlaps.append((inside[0], index))
                        inside.append(index)
                    await asyncio.sleep(0)  # let the others try meanwhile
                    with guard:
                        inside.remove(index)
                done.append(index)

        asyncio.run(turns())

    threads = [threading.Thread(target=player, args=(i,)) for i in range(THREADS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    seconds = time.monotonic() - started
    left = stores[0].red.get(stores[0].key_prefix + conversation)
    for key in stores[0].red.scan_iter(f"{prefix}:*"):
        stores[0].red.delete(key)
    print(f"\n{THREADS} players x {TURNS} turns on one conversation over 2 stores: "
          f"{len(done)} turns in {seconds:.1f} s, {len(overlaps)} overlaps, "
          f"ticket list left: {left!r}")
    assert not any(thread.is_alive() for thread in threads), "a turn waited for a lost ticket"
    assert len(done) == THREADS * TURNS
    assert overlaps == []
    assert left is None  # no ticket left behind for the next message to wait for
    assert not stores[0].degraded and not stores[1].degraded
