"""Two escalation-service instances on one database and one Redis (issue 6).

Live fan-out through Redis pub/sub: a socket on either instance gets every case message
exactly once and in order, wherever the message was produced. Background sweepers on both
instances send the timeout notice once. Failed logins are counted across instances. Production
mode refuses default secrets.

Runs on SQLite and, with TEST_DATABASE_URL, PostgreSQL; needs TEST_REDIS_URL (scripts/test.sh
sets it) for everything that talks to Redis.
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse, WSMsgType
from aiohttp.test_utils import TestClient, TestServer
from escalation_helpers import (
    INTERNAL_TOKEN,
    FakeRasa,
    case_payload,
    login,
    make_settings,
    wait_for,
)

from bot.escalation import keys, security
from bot.escalation.app import create_app
from bot.escalation.hub import Hub
from bot.escalation.settings import Settings
from bot.escalation.sweeper import sweep_once
from bot.settings import InsecureSecrets, secret_problems

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set")
AUTH = {"Authorization": f"Bearer {INTERNAL_TOKEN}"}


@dataclass
class Instances:
    apps: list[Any]
    servers: list[TestServer]
    clients: list[TestClient]
    rasa: FakeRasa
    prefix: str

    @property
    def store(self) -> Any:
        return self.apps[0][keys.STORE]


@pytest.fixture
async def two(
    db_url: str, fake_rasa: tuple[FakeRasa, str], aiohttp_server: Any, aiohttp_client: Any,
    settings_overrides: dict[str, Any],
) -> AsyncIterator[Instances]:
    """Two instances of the service (one database, one Redis channel), a client for each."""
    if not REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set")
    fake, rasa_url = fake_rasa
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    settings = make_settings(db_url, rasa_url, redis_url=REDIS_URL, redis_prefix=prefix,
                             **settings_overrides)
    apps, servers, clients = [], [], []
    for _ in range(2):  # one after the other: the first migrates the database
        app = create_app(settings)
        server = await aiohttp_server(app)
        apps.append(app)
        servers.append(server)
        clients.append(await aiohttp_client(server))
    yield Instances(apps, servers, clients, fake, prefix)
    import redis

    r = redis.Redis.from_url(REDIS_URL)
    for key in r.scan_iter(f"{prefix}:*"):
        r.delete(key)
    r.close()


async def _coach_client(two: Instances, i: int, aiohttp_client: Any, name: str) -> tuple[
        TestClient, str]:
    client = await aiohttp_client(two.servers[i])
    return client, await login(client, name)


async def _collect(ws: ClientWebSocketResponse, into: list[dict[str, Any]]) -> None:
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            into.append(msg.json())


def _texts(messages: list[dict[str, Any]], kind: str) -> list[str]:
    return [m["event"]["text"] for m in messages
            if m.get("type") == "event" and m["event"].get("kind") == kind]


@needs_redis
async def test_every_socket_gets_every_message_once_in_order(
    two: Instances, aiohttp_client: Any
) -> None:
    """Sockets on both instances; messages produced on both instances, interleaved."""
    store = two.store
    await store.run(store.create_coach, "anna", security.hash_password("correct horse battery"),
                    "coach")
    coach_a, csrf_a = await _coach_client(two, 0, aiohttp_client, "anna")
    coach_b, csrf_b = await _coach_client(two, 1, aiohttp_client, "anna")
    resp = await two.clients[0].post("/internal/cases", json=case_payload("conv-fan"),
                                     headers=AUTH)
    case_id = (await resp.json())["case_id"]

    sockets = [await coach_a.ws_connect(f"/ws/cases/{case_id}?csrf={csrf_a}"),
               await coach_b.ws_connect(f"/ws/cases/{case_id}?csrf={csrf_b}"),
               await coach_b.ws_connect(f"/ws/cases/{case_id}?csrf={csrf_b}")]
    queues = [await coach_a.ws_connect(f"/ws/queue?csrf={csrf_a}"),
              await coach_b.ws_connect(f"/ws/queue?csrf={csrf_b}")]
    received: list[list[dict[str, Any]]] = [[] for _ in sockets]
    queue_msgs: list[list[dict[str, Any]]] = [[] for _ in queues]
    pairs = [*zip(sockets, received, strict=True), *zip(queues, queue_msgs, strict=True)]
    tasks = [asyncio.create_task(_collect(ws, got)) for ws, got in pairs]
    await wait_for(lambda: all(any(m.get("type") == "ready" for m in got) for got in received))

    claimed = await coach_a.post(f"/api/cases/{case_id}/claim", headers={"X-CSRF-Token": csrf_a})
    assert claimed.status == 200
    user_sent, coach_sent = [], []
    for i in range(12):  # user messages alternate instances; so do the coach's
        text = f"användare {i}"
        resp = await two.clients[i % 2].post("/internal/conversations/conv-fan/messages",
                                             json={"text": text, "intent": "greet"},
                                             headers=AUTH)
        assert resp.status == 202
        user_sent.append(text)
        coach, csrf = (coach_a, csrf_a) if i % 2 else (coach_b, csrf_b)
        text = f"coach {i}"
        resp = await coach.post(f"/api/cases/{case_id}/messages", json={"text": text},
                                headers={"X-CSRF-Token": csrf})
        assert resp.status == 201, await resp.text()
        coach_sent.append(text)
    await wait_for(lambda: all(len(_texts(got, "coach")) == 12 and len(_texts(got, "user")) == 12
                               for got in received), timeout=10)
    await asyncio.sleep(0.3)  # nothing more may arrive
    events = await store.run(store.events, case_id)
    db_ids = [e.id for e in events if e.kind in ("user", "coach")]
    for got in received:
        assert _texts(got, "user") == user_sent
        assert _texts(got, "coach") == coach_sent
        ids = [m["event"]["id"] for m in got if m.get("type") == "event"
               and m["event"].get("kind") in ("user", "coach")]
        assert ids == db_ids  # exactly once, in the database's order
        assert sum(1 for m in got if m.get("type") == "case") == 1  # the claim
    assert all(any(m.get("type") == "queue_changed" for m in got) for got in queue_msgs)
    for ws in sockets + queues:
        await ws.close()
    for task in tasks:
        task.cancel()
    hubs: list[Hub] = [app[keys.HUB] for app in two.apps]
    assert all(h.distributed for h in hubs)
    print(f"\nfan-out: {len(sockets)} sockets on 2 instances, {len(db_ids)} messages each, "
          f"published {sum(h.published for h in hubs)}, received from Redis "
          f"{sum(h.delivered for h in hubs)}")


@needs_redis
@pytest.mark.parametrize("settings_overrides", [{"claim_timeout_seconds": 0.0}])
async def test_sweepers_on_two_instances_send_each_notice_once(
    two: Instances, aiohttp_client: Any
) -> None:
    store = two.store
    await store.run(store.create_coach, "anna", security.hash_password("correct horse battery"),
                    "coach")
    await _coach_client(two, 0, aiohttp_client, "anna")  # online: cases are "accepting"
    conversations = [f"conv-sweep-{i}" for i in range(15)]
    for cid in conversations:
        resp = await two.clients[0].post("/internal/cases", json=case_payload(cid), headers=AUTH)
        assert resp.status == 201
    sent = await asyncio.gather(*(sweep_once(app) for _ in range(3) for app in two.apps))
    assert sum(sent) == len(conversations)
    for cid in conversations:
        assert len(two.rasa.posted(cid)) == 1, cid


async def test_mark_notified_is_atomic_under_concurrency(db_url: str) -> None:
    """Eight threads race for each case's one notice: exactly one wins (SQLite, PostgreSQL)."""
    from bot.db.engine import make_engine, upgrade_database
    from bot.escalation.store import Store

    engine = make_engine(db_url)
    upgrade_database(engine)
    store = Store(engine)
    case_ids = [store.open_case(f"conv-race-{i}", "rest", "sv", "request_human", [], "").case.id
                for i in range(10)]
    for case_id in case_ids:
        barrier = threading.Barrier(8)
        wins: list[bool] = []

        def race(case_id: str = case_id, barrier: threading.Barrier = barrier,
                 wins: list[bool] = wins) -> None:
            barrier.wait()
            wins.append(store.mark_notified(case_id))

        threads = [threading.Thread(target=race) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(wins) == [False] * 7 + [True]
    engine.dispose()


@needs_redis
async def test_failed_logins_count_across_instances(two: Instances, aiohttp_client: Any) -> None:
    store = two.store
    await store.run(store.create_coach, "anna", security.hash_password("correct horse battery"),
                    "coach")

    async def attempt(i: int, password: str) -> int:
        client = await aiohttp_client(two.servers[i])
        page = await client.get("/login")
        import re

        token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text())
        assert token
        resp = await client.post("/login", data={"username": "anna", "password": password,
                                                 "csrf_token": token.group(1), "next": "/queue"},
                                 allow_redirects=False)
        return resp.status

    for i in range(4):  # alternate: neither instance alone has seen five failures
        assert await attempt(i % 2, "wrong password!") == 401
    assert await attempt(0, "correct horse battery") == 302  # success clears the count
    for i in range(5):
        assert await attempt(i % 2, "wrong password!") == 401
    # instance B saw only 2 of the 5 failures, yet refuses even the right password now
    assert await attempt(1, "correct horse battery") == 429


async def test_without_redis_the_hub_stays_in_process(db_url: str) -> None:
    hub = Hub()
    assert not hub.distributed
    await hub.start()  # no Redis: nothing to connect to
    await hub.send_case("x", {"type": "event"})
    assert hub.published == 0


# ---- production mode: no default secrets ------------------------------------------------------


GOOD = "k" * 12 + "Q9" * 10


def test_secret_problems_name_each_bad_secret() -> None:
    problems = secret_problems({"SESSION_SECRET": "change-me-session-secret",
                                "ESCALATION_INTERNAL_TOKEN": "dev-internal-token-long-enough-x",
                                "RASA_TOKEN": "short", "OTHER": None, "FINE": GOOD})
    assert len(problems) == 4
    assert "SESSION_SECRET" in problems[0] and "placeholder" in problems[0]
    assert "ESCALATION_INTERNAL_TOKEN" in problems[1]
    assert "RASA_TOKEN" in problems[2] and "24" in problems[2]
    assert "OTHER is not set" in problems[3]


def test_production_service_refuses_default_secrets() -> None:
    with pytest.raises(InsecureSecrets) as info:
        create_app(Settings(app_env="production"))
    message = str(info.value)
    assert "APP_ENV=production" in message
    for name in ("SESSION_SECRET", "ESCALATION_INTERNAL_TOKEN", "RASA_TOKEN"):
        assert name in message
    create_app(Settings(app_env="development"))  # development keeps its defaults
    create_app(Settings(app_env="production", session_secret=GOOD, internal_token=GOOD + "i",
                        rasa_token=GOOD + "r"))


def test_production_mode_is_read_from_the_environment() -> None:
    settings = Settings.from_env({"APP_ENV": "Production", "REDIS_URL": " redis://x:1/2 "})
    assert settings.production and settings.redis_url == "redis://x:1/2"
    assert not Settings.from_env({}).production and Settings.from_env({}).redis_url == ""
