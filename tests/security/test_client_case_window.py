"""The limit on coach cases per client counts a rolling 24 hours, also across midnight UTC,
while the disk keeps only the daily pseudonym.

Rasa's real REST channel blueprint (on a real Sanic server) names the client of each message;
the real escalation service (SQLite, and PostgreSQL with TEST_DATABASE_URL) opens cases over
HTTP; Redis is the real one at TEST_REDIS_URL. Clocks are injected on both sides, so a day
changes between two requests.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis
from escalation_helpers import INTERNAL_TOKEN, RASA_TOKEN, Env, case_payload
from sqlalchemy import inspect, text

from bot.db.engine import make_engine
from bot.escalation import keys
from bot.escalation.store import Store
from bot.gateway import webchat
from bot.ops.runner import wait_ready
from bot.rasa_plugins.channels.rest import ValidatedRestInput, client_key, daily_client, window_id
from bot.runtimes import bot_command
from bot.settings import ROOT, process_env
from tests.conftest import free_port
from tests.sanic_channels import Served, serve_channels
from tests.security.conftest import tried
from tests.support.stack import Stack

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
PREFIX = f"test-casewin-{uuid.uuid4().hex[:8]}"
REST = "/webhooks/rest/webhook"
CALLBACK = "/webhooks/callback/webhook"
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set")
DOWN = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The service's Redis: TEST_REDIS_URL unless a test passes another (indirect)."""
    return getattr(request, "param", {"redis_url": REDIS_URL, "redis_prefix": PREFIX})


@pytest.fixture(autouse=True)
def _channel_env(monkeypatch: pytest.MonkeyPatch,
                 settings_overrides: dict[str, Any]) -> Iterator[None]:
    """Rasa's channel reads the same Redis as the service; Redis is emptied afterwards."""
    monkeypatch.setenv("REST_RATE_PER_CONVERSATION", "1000/60")
    monkeypatch.setenv("REST_RATE_PER_ADDRESS", "1000/60")
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "case-window-test-token")
    monkeypatch.setenv("REDIS_URL", settings_overrides["redis_url"])
    monkeypatch.setenv("REDIS_PREFIX", settings_overrides["redis_prefix"])
    yield
    if REDIS_URL:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{PREFIX}:*"):
            client.delete(key)
        client.close()


class Clock:
    """One injected time for Rasa's channel and the escalation service."""

    def __init__(self, env: Env, channel: ValidatedRestInput) -> None:
        self.env = env
        channel.clock = self.now  # type: ignore[method-assign]

    def now(self) -> datetime:
        value = self.env.clock["now"]
        assert value is not None
        return value

    def set(self, value: datetime) -> None:
        self.env.clock["now"] = value


async def _say(http: aiohttp.ClientSession, served: Served, conversation: str,
               address: str) -> str:
    """A message from `address` on the REST channel; the pseudonym Rasa stores with it."""
    async with http.post(served.url + REST, headers={"X-Forwarded-For": address},
                         json={"sender": conversation, "message": "får jag prata med en coach?"}
                         ) as resp:
        assert resp.status == 200
    received = served.agent.received[-1]
    assert received.sender_id == conversation
    assert set(received.metadata) == {"client"}  # nothing but the daily pseudonym
    return str(received.metadata["client"])


async def _escalate(env: Env, client: Any, conversation: str, daily: str,
                    base_url: str = "") -> int:
    """What action_escalate sends: the case request with the message's pseudonym."""
    body = case_payload(conversation, trigger="emergency_danger", client=daily)
    if not base_url:
        return int((await env.internal(client, "POST", "/internal/cases", body)).status)
    async with aiohttp.ClientSession() as http, http.post(
            base_url + "/internal/cases", json=body,
            headers={"Authorization": f"Bearer {INTERNAL_TOKEN}"}) as resp:
        return resp.status


async def _close_all(env: Env) -> None:
    """Close every open case: then only the rolling window can refuse the next one."""
    for case in await env.store.run(env.store.waiting_cases):
        await env.store.run(env.store.finish, case.id, "closed", "user_left", None)


def _found_in_database(db_url: str, needles: dict[str, str]) -> dict[str, list[str]]:
    """Which needles occur in which table (every row as text; SQLite also every file byte)."""
    found: dict[str, list[str]] = {}
    engine = make_engine(db_url)
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            if engine.dialect.name == "sqlite":
                rows = [repr(tuple(r)) for r in conn.execute(text(f'SELECT * FROM "{table}"'))]
            else:
                rows = list(conn.execute(text(f'SELECT t::text FROM "{table}" t')).scalars())
            for name, needle in needles.items():
                if any(needle in row for row in rows):
                    found.setdefault(name, []).append(table)
    engine.dispose()
    if db_url.startswith("sqlite:///"):
        db_file = Path(db_url.removeprefix("sqlite:///"))
        for path in db_file.parent.glob(db_file.name + "*"):
            data = path.read_bytes()
            for name, needle in needles.items():
                if needle.encode() in data:
                    found.setdefault(name, []).append(path.name)
    return found


@pytest.mark.redis
@needs_redis
async def test_the_maximum_at_2350_utc_blocks_another_case_at_0010(env: Env) -> None:
    channel = ValidatedRestInput()
    clock = Clock(env, channel)
    limit = env.app[keys.SETTINGS].max_cases_per_client
    address, other = "203.0.113.50", "203.0.113.51"
    evening = datetime(2026, 3, 14, 23, 50, tzinfo=timezone.utc)
    async with serve_channels([channel]) as served, aiohttp.ClientSession() as http:
        client = await env.make_client()
        clock.set(evening)
        dailies = [await _say(http, served, f"eve-{n}", address) for n in range(limit)]
        statuses = [await _escalate(env, client, f"eve-{n}", dailies[n]) for n in range(limit)]
        tried(f"{limit} cases from one address at 23:50 UTC", statuses)
        assert statuses == [201] * limit and len(set(dailies)) == 1

        clock.set(evening + timedelta(minutes=20))
        night = await _say(http, served, "night", address)
        status = await _escalate(env, client, "night", night)
        tried("the same address at 00:10 UTC (a new daily pseudonym)", status)
        assert night != dailies[0]  # the disk cannot link the two days ...
        assert status == 429  # ... and still the client is at its limit

        stranger = await _say(http, served, "stranger", other)
        assert await _escalate(env, client, "stranger", stranger) == 201  # someone else

        clock.set(evening + timedelta(hours=24, minutes=1))
        later = await _say(http, served, "next-evening", address)
        status = await _escalate(env, client, "next-evening", later)
        tried("the same address 24 h 1 min after the first case", status)
        assert status == 201

    stable = client_key(address)
    in_redis = {k.decode() for k in redis.Redis.from_url(REDIS_URL).keys(f"{PREFIX}:*")}
    assert f"{PREFIX}:casewin:cases:{window_id(stable)}" in in_redis  # what the search seeks
    found = _found_in_database(env.app[keys.SETTINGS].database_url, {
        "stable key": stable, "window id": window_id(stable), "address": address,
        "daily 1": dailies[0], "daily 2": night})
    print(f"  in the escalation database: {found}")
    assert set(found) == {"daily 1", "daily 2"}  # only the daily pseudonyms
    print("  nothing got through: no fourth case in 24 h across midnight; no stable key stored")


@pytest.fixture
async def second_instance(env: Env) -> AsyncIterator[str]:
    """Another escalation service process on the same database and Redis; its URL."""
    port = free_port()
    settings = env.app[keys.SETTINGS]
    process = subprocess.Popen(
        [*bot_command("escalation"), "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=process_env(os.environ, DATABASE_URL=settings.database_url, REDIS_URL=REDIS_URL,
                        REDIS_PREFIX=PREFIX, ESCALATION_INTERNAL_TOKEN=INTERNAL_TOKEN,
                        RASA_URL=settings.rasa_url, RASA_TOKEN=RASA_TOKEN,
                        SESSION_SECRET="test-session-secret", ESCALATION_AUTO_MIGRATE="0",
                        COACH_CLOSED_ON_HOLIDAYS="0"))
    try:
        assert wait_ready(f"http://127.0.0.1:{port}/healthz", process, 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.mark.redis
@needs_redis
async def test_the_window_is_shared_by_processes_through_redis(
        env: Env, second_instance: str) -> None:
    limit = env.app[keys.SETTINGS].max_cases_per_client
    async with serve_channels([ValidatedRestInput()]) as served, \
            aiohttp.ClientSession() as http:
        client = await env.make_client()
        statuses = []
        for n in range(limit):  # alternately through this process and the other one
            daily = await _say(http, served, f"proc-{n}", "198.51.100.7")
            base = second_instance if n % 2 else ""
            statuses.append(await _escalate(env, client, f"proc-{n}", daily, base))
            await _close_all(env)  # the per-day limit on open cases stays at zero
        tried(f"{limit} cases of one client via two service processes, each closed", statuses)
        daily = await _say(http, served, "proc-last", "198.51.100.7")
        refused = [await _escalate(env, client, "proc-last", daily, second_instance),
                   await _escalate(env, client, "proc-last", daily)]
        tried("one more, through the other process and through this one", refused)
    assert statuses == [201] * limit and refused == [429, 429]


@pytest.mark.parametrize("settings_overrides", [{"redis_url": DOWN, "redis_prefix": PREFIX}],
                         indirect=True)
async def test_without_redis_messages_flow_and_the_daily_limit_holds(env: Env) -> None:
    limit = env.app[keys.SETTINGS].max_open_cases_per_client
    async with serve_channels([ValidatedRestInput()]) as served, \
            aiohttp.ClientSession() as http:
        client = await env.make_client()
        started = time.monotonic()
        dailies = [await _say(http, served, f"down-{n}", "192.0.2.8") for n in range(limit + 2)]
        took = time.monotonic() - started
        statuses = [await _escalate(env, client, f"down-{n}", dailies[n])
                    for n in range(limit + 2)]
        tried(f"{limit + 2} messages and case requests of one client, Redis down",
              f"{statuses}, messages took {took:.2f} s")
        assert took < 3  # one short timeout at most, then the window leaves Redis alone
        assert statuses == [201] * limit + [429, 429]  # the per-day limit on open cases
        other = await _say(http, served, "down-other", "192.0.2.9")
        assert await _escalate(env, client, "down-other", other) == 201


def _post(stack: Stack, path: str, body: dict[str, Any], headers: dict[str, str]) -> None:
    request = urllib.request.Request(
        f"{stack.rasa_url}{path}", data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers})
    with urllib.request.urlopen(request, timeout=120) as resp:
        assert resp.status == 200


@pytest.mark.redis
@needs_redis
@pytest.mark.model
@pytest.mark.slow
def test_no_stable_client_key_reaches_disk_in_a_real_run(
        trained_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real Rasa (tracker store on SQLite), action server and escalation service: a web
    client named by the gateway and a REST client ask for a coach; afterwards every byte of
    every database file is searched for their stable keys and window ids."""
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("REDIS_PREFIX", PREFIX)
    web_client = webchat.client_key("gateway-secret", "203.0.113.77")  # as the gateway sends
    address = "203.0.113.78"
    with Stack(trained_model, tmp_path / "stack", coaches={}) as stack:
        token = {"ACTION_SERVER_TOKEN": stack.action_token}
        rest_client = client_key(address, token)
        store = Store(make_engine(stack.env["DATABASE_URL"]))
        for n, (path, headers, metadata) in enumerate([
                (CALLBACK, stack.gateway_headers, {"client": web_client}),
                (CALLBACK, stack.gateway_headers, {"client": web_client}),
                (REST, {"X-Forwarded-For": address}, {})]):
            sender = f"web-disk-{n}-{uuid.uuid4().hex[:8]}"
            for message in ("hej, ja vill prata me en riktig människa", "ja"):
                _post(stack, path, {"sender": sender, "message": message,
                                    "metadata": metadata}, headers)
            assert store.open_case_for(sender) is not None  # the real action opened it
        store.engine.dispose()
        now = datetime.now(timezone.utc)
        counted = redis.Redis.from_url(REDIS_URL).zcard(
            f"{PREFIX}:casewin:cases:{window_id(web_client, token)}")
        tried("web client: 2 cases through the real Rasa and action server",
              f"{counted} counted in Redis")
        assert counted == 2
    needles = {"web stable key": web_client, "web window id": window_id(web_client, token),
               "REST stable key": rest_client,
               "REST window id": window_id(rest_client, token), "address": address,
               "web daily": daily_client(web_client, now, token),
               "REST daily": daily_client(rest_client, now, token)}
    found: dict[str, list[str]] = {}
    for path in sorted((tmp_path / "stack").glob("*.db*")):
        data = path.read_bytes()
        for name, needle in needles.items():
            if needle.encode() in data:
                found.setdefault(name, []).append(path.name)
    print(f"  searched {[p.name for p in (tmp_path / 'stack').glob('*.db*')]}: {found}")
    assert set(found) == {"web daily", "REST daily"}  # only the daily pseudonyms
    assert "tracker.db" in found["web daily"] and "app.db" in found["web daily"]
