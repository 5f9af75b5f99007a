"""The web chat's message-id claims (bot/gateway/message_ids.py), in this process's memory and
on the real Redis at TEST_REDIS_URL (its own key prefix, emptied afterwards): one forward per
(conversation, page id), a busy claim that expires, a release that frees only its own claim,
claims shared by two gateway instances, and keys that hold no id of anyone."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest

from bot.gateway.message_ids import MessageIds, Seen
from tests.conftest import free_port

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
SECRET = "test-gateway-secret"
CONVERSATION = "web-" + "a" * 40
MESSAGE = "0f8e4c2a-9a41-4d7e-b1f4-3c1c1a3e9b77"


class Clock:
    """A clock the memory store reads; Redis keeps its own time, so Redis tests sleep."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Backend:
    name: str
    make: Callable[..., MessageIds]
    wait: Callable[[float], object]  # let `seconds` pass for the store


@pytest.fixture(params=["memory", "redis"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    made: list[MessageIds] = []
    if request.param == "memory":
        clock = Clock()

        def make_memory(**kwargs: object) -> MessageIds:
            store = MessageIds(SECRET, clock=clock, **kwargs)  # type: ignore[arg-type]
            made.append(store)
            return store

        async def advance(seconds: float) -> None:
            clock.now += seconds

        yield Backend("memory", make_memory, advance)
    else:
        if not REDIS_URL:
            pytest.skip("TEST_REDIS_URL not set")
        prefix = f"test-msgid-{uuid.uuid4().hex[:8]}"

        def make_redis(**kwargs: object) -> MessageIds:
            store = MessageIds(SECRET, REDIS_URL, prefix, **kwargs)  # type: ignore[arg-type]
            made.append(store)
            return store

        yield Backend("redis", make_redis, asyncio.sleep)
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()
    for store in made:
        await store.close()


async def test_an_id_is_new_once_busy_while_forwarded_then_done(backend: Backend) -> None:
    ids = backend.make()
    first = await ids.claim(CONVERSATION, MESSAGE)
    assert first.state is Seen.NEW and first.shared is (backend.name == "redis")
    assert (await ids.claim(CONVERSATION, MESSAGE)).state is Seen.BUSY
    await ids.done(first)
    assert (await ids.claim(CONVERSATION, MESSAGE)).state is Seen.DONE
    assert (await ids.claim(CONVERSATION, MESSAGE)).state is Seen.DONE
    # the same page id in another conversation, another id in this one: both new
    assert (await ids.claim("web-" + "b" * 40, MESSAGE)).state is Seen.NEW
    assert (await ids.claim(CONVERSATION, MESSAGE[:-1] + "8")).state is Seen.NEW


async def test_a_released_id_is_forwarded_again(backend: Backend) -> None:
    ids = backend.make()
    claim = await ids.claim(CONVERSATION, MESSAGE)
    await ids.release(claim)  # Rasa did not take it
    again = await ids.claim(CONVERSATION, MESSAGE)
    assert again.state is Seen.NEW


async def test_a_busy_claim_expires_and_a_done_one_after_its_ttl(backend: Backend) -> None:
    ids = backend.make(busy_seconds=0.3, ttl_seconds=0.6)
    await ids.claim(CONVERSATION, MESSAGE)  # its gateway is killed: never done nor released
    assert (await ids.claim(CONVERSATION, MESSAGE)).state is Seen.BUSY
    await backend.wait(0.45)
    second = await ids.claim(CONVERSATION, MESSAGE)
    assert second.state is Seen.NEW
    await ids.done(second)
    await backend.wait(0.3)
    assert (await ids.claim(CONVERSATION, MESSAGE)).state is Seen.DONE
    await backend.wait(0.45)
    assert (await ids.claim(CONVERSATION, MESSAGE)).state is Seen.NEW


async def test_a_release_frees_only_its_own_claim(backend: Backend) -> None:
    ids = backend.make(busy_seconds=0.3)
    stale = await ids.claim(CONVERSATION, MESSAGE)
    await backend.wait(0.45)  # expired; another forward claims the id
    current = await ids.claim(CONVERSATION, MESSAGE)
    assert current.state is Seen.NEW
    await ids.release(stale)  # the slow first forward fails late
    assert (await ids.claim(CONVERSATION, MESSAGE)).state is Seen.BUSY
    await ids.release(current)
    assert (await ids.claim(CONVERSATION, MESSAGE)).state is Seen.NEW


async def test_two_instances_share_claims_in_redis_not_in_memory(backend: Backend) -> None:
    one, two = backend.make(), backend.make()
    claim = await one.claim(CONVERSATION, MESSAGE)
    seen = (await two.claim(CONVERSATION, MESSAGE)).state
    if backend.name == "redis":
        assert seen is Seen.BUSY
        await one.done(claim)
        assert (await two.claim(CONVERSATION, MESSAGE)).state is Seen.DONE
    else:  # one process each: nothing shared (why production sets REDIS_URL)
        assert seen is Seen.NEW


async def test_keys_are_keyed_hashes_of_the_pair(backend: Backend) -> None:
    ids = backend.make()
    key = ids.key(CONVERSATION, MESSAGE)
    assert CONVERSATION not in key and MESSAGE not in key and "web-" not in key
    assert key == backend.make().key(CONVERSATION, MESSAGE)  # every instance agrees
    assert key != MessageIds("another-secret").key(CONVERSATION, MESSAGE)
    # "a" + "\nb" and "a\n" + "b" are different pairs
    assert ids.key("web-a", "b\nc") != ids.key("web-a\nb", "c")
    if backend.name == "redis":
        import redis

        claim = await ids.claim(CONVERSATION, MESSAGE)
        await ids.done(claim)
        client = redis.Redis.from_url(REDIS_URL)
        try:
            stored = [k.decode() for k in client.scan_iter(ids.key("", "")[:-40] + "*")]
            assert stored == [key]
            assert client.get(key) == b"done"
            assert 0 < client.pttl(key) <= ids.ttl_seconds * 1000  # forgotten in time
        finally:
            client.close()


async def test_redis_down_claims_in_this_process_without_waiting_long() -> None:
    ids = MessageIds(SECRET, f"redis://127.0.0.1:{free_port()}/0", "test-down")
    try:
        started = time.monotonic()
        claim = await ids.claim(CONVERSATION, MESSAGE)
        assert claim.state is Seen.NEW and not claim.shared and ids.degraded
        # paused after the first error: no second timeout, the memory answers
        assert (await ids.claim(CONVERSATION, MESSAGE)).state is Seen.BUSY
        await ids.done(claim)
        assert (await ids.claim(CONVERSATION, MESSAGE)).state is Seen.DONE
        assert time.monotonic() - started < 2
    finally:
        await ids.close()


async def test_memory_stays_bounded() -> None:
    clock = Clock()
    ids = MessageIds(SECRET, clock=clock, max_entries=50)
    for n in range(200):
        await ids.done(await ids.claim(CONVERSATION, f"message-{n:04d}"))
    assert len(ids.local) == 50
    assert (await ids.claim(CONVERSATION, "message-0199")).state is Seen.DONE  # newest kept
    assert (await ids.claim(CONVERSATION, "message-0000")).state is Seen.NEW  # oldest gone
