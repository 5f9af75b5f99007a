"""Flood limits shared through Redis (bot/ratelimit.py's SharedRateLimiter): one limit for the
whole deployment, not one per process, and each process's own buckets while Redis is down.

Redis is the real one at TEST_REDIS_URL; "two processes" are a second Python process, two Rasa
REST channels on two real Sanic servers, and two real gateway apps with one web chat
conversation moving between them. Redis "down" is a closed port and a private redis-server
that this module kills and starts again.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis
from aiohttp.test_utils import TestClient, TestServer

from bot.gateway.app import create_app
from bot.protocol import CALLBACK_HEADER
from bot.rasa_plugins.channels.rest import ValidatedRestInput
from bot.ratelimit import RETRY_SECONDS, SharedRateLimiter
from bot.runtimes import SERVICES, interpreter
from bot.settings import ROOT, process_env
from tests.conftest import free_port
from tests.gateway.conftest import base_settings
from tests.gateway.helpers import FakeProviders, FakeRasa
from tests.sanic_channels import serve_channels

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set")
SECRET = "shared-rate-limit-test-secret-0123456789"
ADDRESS = "203.0.113.77"
REST = "/webhooks/rest/webhook"


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test alone; its keys are deleted afterwards."""
    value = f"test-rl-{uuid.uuid4().hex[:10]}"
    yield value
    if REDIS_URL:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{value}:*"):
            client.delete(key)
        client.close()


def limiter(prefix: str, url: str = REDIS_URL, scope: str = "rest",
            conversation: tuple[int, float] = (3, 60), address: tuple[int, float] = (4, 60),
            **kwargs: Any) -> SharedRateLimiter:
    return SharedRateLimiter(conversation, address, scope=scope, secret=SECRET, redis_url=url,
                             prefix=prefix, **kwargs)


async def spend(limit: SharedRateLimiter, sender: str, n: int) -> list[bool]:
    return [await limit.allow_conversation(sender) for _ in range(n)]


@needs_redis
async def test_two_limiters_share_one_limit_and_scopes_stay_apart(prefix: str) -> None:
    a, b = limiter(prefix), limiter(prefix)
    other_channel = limiter(prefix, scope="callback")
    try:
        assert await spend(a, "conv-1", 2) == [True, True]
        assert await spend(b, "conv-1", 2) == [True, False]  # 3 per conversation in all
        assert await spend(a, "conv-1", 1) == [False]
        assert await spend(b, "conv-2", 1) == [True]  # another conversation: its own bucket
        assert await spend(other_channel, "conv-1", 3) == [True] * 3  # another channel too
        got = [await a.allow_address(ADDRESS), await b.allow_address(ADDRESS),
               await a.allow_address(ADDRESS), await b.allow_address(ADDRESS),
               await a.allow_address(ADDRESS)]
        assert got == [True, True, True, True, False]  # 4 per address in all
        assert not a.degraded and not b.degraded
    finally:
        await a.close()
        await b.close()
        await other_channel.close()


@needs_redis
async def test_a_second_process_spends_the_same_bucket(prefix: str) -> None:
    script = (
        "import asyncio, json, sys\n"
        "from bot.ratelimit import SharedRateLimiter\n"
        "async def main():\n"
        "    lim = SharedRateLimiter((3, 60), (4, 60), scope='rest', secret=sys.argv[1],\n"
        "                            redis_url=sys.argv[2], prefix=sys.argv[3])\n"
        "    got = [await lim.allow_conversation('conv-p') for _ in range(2)]\n"
        "    await lim.close()\n"
        "    print(json.dumps(got))\n"
        "asyncio.run(main())\n")
    # the other runtime's python where this runs on the Rasa runtime: the gateway (service
    # runtime) and Rasa's channels (Rasa runtime) spend the same bucket
    done = subprocess.run([interpreter(SERVICES), "-c", script, SECRET, REDIS_URL, prefix],
                          cwd=ROOT, env=process_env(), capture_output=True, text=True,
                          timeout=60, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [True, True]
    here = limiter(prefix)
    try:
        assert await spend(here, "conv-p", 2) == [True, False]
    finally:
        await here.close()


@needs_redis
async def test_redis_keys_hold_no_address_and_no_conversation_id(prefix: str) -> None:
    lim = limiter(prefix)
    sender = "web-" + "c0ffee" * 6
    try:
        await lim.allow_address(ADDRESS)
        await lim.allow_conversation(sender)
    finally:
        await lim.close()
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = [key.decode() for key in client.scan_iter(f"{prefix}:*")]
        assert len(keys) == 2 and all(key.startswith(f"{prefix}:rl:rest:") for key in keys)
        stored = " ".join(keys) + " ".join(
            f"{k!r}{v!r}" for key in keys for k, v in client.hgetall(key).items())
        for clear in (ADDRESS, sender, "c0ffee", "203.0.113"):
            assert clear not in stored
        # Redis forgets a bucket once it would be full again (3 per 60 s: within 60 s)
        assert all(0 < client.pttl(key) <= 60_000 for key in keys)
    finally:
        client.close()


@needs_redis
async def test_the_address_key_changes_every_period_and_is_the_same_on_every_instance(
        prefix: str) -> None:
    now = [1_000_000.0]
    a = limiter(prefix, rotate_seconds=3600, wall=lambda: now[0])
    b = limiter(prefix, rotate_seconds=3600, wall=lambda: now[0])
    first = a.address_key(ADDRESS)
    assert b.address_key(ADDRESS) == first
    now[0] += 3600
    assert a.address_key(ADDRESS) != first


async def test_redis_unreachable_each_process_counts_alone() -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    lim = limiter("test-rl-down", url=closed)
    try:
        assert await spend(lim, "conv-d", 4) == [True, True, True, False]
        assert [await lim.allow_address(ADDRESS) for _ in range(5)] == [True] * 4 + [False]
        assert lim.degraded and lim.configured
    finally:
        await lim.close()


class PrivateRedis:
    """A redis-server of this module alone (no persistence), to stop and start again."""

    def __init__(self, root: Path) -> None:
        self.binary = shutil.which("redis-server") or ""
        self.root = root
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.root)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except redis.RedisError:
                assert time.monotonic() < deadline and self.proc.poll() is None
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    if not server.binary:
        pytest.skip("redis-server is not installed")
    server.start()
    yield server
    server.stop()


async def test_redis_stopped_and_back(private_redis: PrivateRedis) -> None:
    """Shared while Redis runs; each process alone while it is stopped (no error, no
    message lost to it); shared again once it is back and the pause is over."""
    clock = [0.0]
    a = limiter("t", url=private_redis.url, clock=lambda: clock[0])
    b = limiter("t", url=private_redis.url, clock=lambda: clock[0])
    try:
        assert await spend(a, "conv-s", 2) + await spend(b, "conv-s", 2) == [True] * 3 + [False]
        private_redis.stop()
        # a and b now count alone: each has its own 3 (the shared bucket is out of reach)
        assert await spend(a, "conv-s", 4) == [True, True, True, False]
        assert await spend(b, "conv-s", 4) == [True, True, True, False]
        assert a.degraded and b.degraded
        private_redis.start()  # an empty Redis on the same port
        assert await spend(a, "conv-t", 1) == [True]  # still in its pause: counted locally
        assert a.degraded
        clock[0] += RETRY_SECONDS + 1
        assert await spend(a, "conv-t", 2) + await spend(b, "conv-t", 2) == \
            [True] * 3 + [False]
        assert not a.degraded and not b.degraded
    finally:
        await a.close()
        await b.close()


@needs_redis
async def test_two_rasa_rest_channels_share_the_limit(
        prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two Rasa servers' REST channels (as behind nginx): 3 messages per conversation in all."""
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("REDIS_PREFIX", prefix)
    monkeypatch.setenv("ACTION_SERVER_TOKEN", SECRET)
    monkeypatch.setenv("REST_RATE_PER_CONVERSATION", "3/60")
    monkeypatch.setenv("REST_RATE_PER_ADDRESS", "1000/60")
    async with serve_channels([ValidatedRestInput()]) as one, \
            serve_channels([ValidatedRestInput()]) as two, aiohttp.ClientSession() as http:
        statuses = []
        for served in (one, two, one, two):
            async with http.post(served.url + REST,
                                 json={"sender": "conv-r", "message": "hej"}) as resp:
                statuses.append(resp.status)
        assert statuses == [200, 200, 200, 429]


@pytest.fixture
async def two_gateways(prefix: str, tmp_path: Path) -> AsyncIterator[list[TestClient]]:
    """Two gateway apps (two instances) on one FakeRasa, their limits in Redis."""
    rasa, providers = FakeRasa(), FakeProviders()
    servers = [TestServer(rasa.make_app(), host="127.0.0.1"),
               TestServer(providers.make_app(), host="127.0.0.1")]
    for server in servers:
        await server.start_server()
    clients = []
    for i in range(2):
        settings = replace(
            base_settings(str(servers[0].make_url("")).rstrip("/"),
                          str(servers[1].make_url("")).rstrip("/"), tmp_path / f"vault{i}.db"),
            rate_conversation=(2, 60), redis_url=REDIS_URL, redis_prefix=prefix)
        client = TestClient(TestServer(create_app(settings), host="127.0.0.1"))
        await client.start_server()
        clients.append(client)
    rasa.callback_url = str(clients[0].make_url("/rasa/callback"))
    rasa.callback_headers = {CALLBACK_HEADER: "test-callback-token"}
    try:
        yield clients
    finally:
        for client in clients:
            await client.close()
        for server in servers:
            await server.close()


async def _say(client: TestClient, token: str, text: str) -> str:
    """One web chat message on a new socket of `client`'s instance: "sent" once the gateway
    passed it to Rasa (its typing dots end), else the notice's code."""
    async with client.ws_connect("/ws") as ws:
        await ws.send_json({"type": "hello", "token": token, "fresh": True})
        assert (await ws.receive_json(timeout=5))["type"] == "history"
        await ws.send_json({"type": "message", "text": text})
        while True:
            msg = await ws.receive_json(timeout=5)
            if msg["type"] == "notice_text":
                return str(msg["code"])
            if msg["type"] == "typing" and msg["on"] is False:
                return "sent"


@needs_redis
async def test_a_web_chat_moving_between_gateway_instances_keeps_one_limit(
        two_gateways: list[TestClient]) -> None:
    one, two = two_gateways
    token = secrets.token_urlsafe(32)
    got = [await _say(one, token, "hej"), await _say(two, token, "hallå"),
           await _say(one, token, "en gång till"), await _say(two, token, "och igen")]
    assert got == ["sent", "sent", "rate_limited", "rate_limited"]  # 2 per conversation
    assert await _say(two, secrets.token_urlsafe(32), "ny") == "sent"
