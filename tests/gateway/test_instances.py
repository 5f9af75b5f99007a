"""Two real gateway processes sharing Redis and a PostgreSQL vault (the production profile's
way in, issue 15): what one instance learns, the other acts on.

- A young person's socket is on instance A; Rasa's callback with the coach's message reaches
  instance B (as nginx may send it): the socket on A gets it, with one "coach joined" notice
  for the whole coach part, whichever instance each callback reached.
- An SMS arrives at instance A's webhook; Rasa posts the answer's parts to instance B while
  A waits for Rasa: they still leave as one batch (one SMS), and the number is in the
  shared vault, so B can send a coach message to it later.

Rasa and the SMS provider are the loopback stand-ins of tests/gateway/helpers.py; the
gateways, Redis (TEST_REDIS_URL) and PostgreSQL (TEST_DATABASE_URL, a fresh database whose
vault schema the gateways create through Alembic) are real.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from cryptography.fernet import Fernet

from bot.gateway.sms import compose
from bot.gateway.vault import SMS_PREFIX, WEB_PREFIX, normalise_number, pseudonym
from bot.ops.runner import wait_ready
from bot.protocol import CALLBACK_HEADER
from bot.runtimes import bot_command
from bot.settings import ROOT, process_env
from tests.conftest import free_port, fresh_postgres_database
from tests.gateway.helpers import (
    LONG_REPLY,
    TWILIO_SID,
    TWILIO_TOKEN,
    FakeProviders,
    FakeRasa,
    twilio_post,
    wait_until,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@dataclass
class Two:
    urls: list[str]
    rasa: FakeRasa
    providers: FakeProviders
    secret: str
    token: str
    redis_url: str
    prefix: str


@pytest.fixture
def vault_url() -> Iterator[str]:
    with fresh_postgres_database("gwvault") as url:
        yield url.render_as_string(hide_password=False)


@pytest.fixture
async def two(vault_url: str, tmp_path: Path) -> AsyncIterator[Two]:
    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("TEST_REDIS_URL not set")
    token, secret = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    prefix = f"gwtest-{uuid.uuid4().hex[:8]}"
    rasa, providers = FakeRasa(callback_headers={CALLBACK_HEADER: token}), FakeProviders()
    runners = []
    for app in (rasa.make_app(), providers.make_app()):
        runner = web.AppRunner(app)
        await runner.setup()
        runners.append(runner)
    rasa_port, providers_port = free_port(), free_port()
    await web.TCPSite(runners[0], "127.0.0.1", rasa_port).start()
    await web.TCPSite(runners[1], "127.0.0.1", providers_port).start()
    env = process_env(None, **{
        "RASA_URL": f"http://127.0.0.1:{rasa_port}", "GATEWAY_CALLBACK_TOKEN": token,
        "GATEWAY_SECRET": secret, "GATEWAY_FERNET_KEY": Fernet.generate_key().decode(),
        "GATEWAY_VAULT_URL": vault_url, "REDIS_URL": redis_url, "REDIS_PREFIX": prefix,
        "TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_API_URL": f"http://127.0.0.1:{providers_port}",
        "ESCALATION_URL": "http://127.0.0.1:9",  # no escalation service: best effort only
    })
    procs, urls = [], []
    try:
        for name in ("a", "b"):  # both migrate the same empty vault at the same moment
            port = free_port()
            log = (tmp_path / f"gateway-{name}.log").open("wb")
            procs.append(subprocess.Popen(
                bot_command("gateway", "--host", "127.0.0.1", "--port", str(port)), cwd=ROOT,
                env=env, stdout=log, stderr=subprocess.STDOUT))
            urls.append(f"http://127.0.0.1:{port}")
        for proc, url, name in zip(procs, urls, "ab", strict=True):
            ready = await asyncio.to_thread(wait_ready, f"{url}/healthz", proc, 60)
            assert ready, (tmp_path / f"gateway-{name}.log").read_text()[-3000:]
        yield Two(urls, rasa, providers, secret, token, redis_url, prefix)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:  # a closed page's "no page open" report waits out its grace period first
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for runner in runners:
            await runner.cleanup()
        import redis

        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()


async def _collect(ws: aiohttp.ClientWebSocketResponse, got: list[dict[str, Any]]) -> None:
    async for msg in ws:
        if msg.type == aiohttp.WSMsgType.TEXT:
            got.append(msg.json())


async def test_a_coach_message_delivered_to_instance_b_reaches_the_socket_on_instance_a(
    two: Two,
) -> None:
    a, b = two.urls
    browser = secrets.token_urlsafe(32)
    sender = pseudonym(two.secret, browser, WEB_PREFIX)
    got: list[dict[str, Any]] = []
    async with aiohttp.ClientSession() as http, http.ws_connect(
            a.replace("http", "ws") + "/ws") as ws:
        reader = asyncio.create_task(_collect(ws, got))
        await ws.send_json({"type": "hello", "token": browser, "fresh": True})
        await wait_until(lambda: any(m["type"] == "history" for m in got))
        # Rasa's callback channel posts the coach's messages to B, then one to A, then B
        for url, text in ((b, "Hej, jag heter Anna och är coach."), (a, "Hur mår du?"),
                          (b, "Jag finns kvar här.")):
            two.rasa.callback_url = f"{url}/rasa/callback"
            await two.rasa.push(sender, text, coach=True)
        await wait_until(lambda: sum(m["type"] == "bot" for m in got) == 3)
        reader.cancel()
    live = [m for m in got if m["type"] in ("bot", "notice")]
    seen = [(m["type"], m.get("text") or m.get("kind")) for m in live]
    print(f"\nsocket on instance A received: {seen}")
    assert live == [
        {"type": "notice", "kind": "coach_joined"},
        {"type": "bot", "text": "Hej, jag heter Anna och är coach.", "coach": True},
        {"type": "bot", "text": "Hur mår du?", "coach": True},
        {"type": "bot", "text": "Jag finns kvar här.", "coach": True},
    ]


async def test_an_sms_answered_through_instance_b_leaves_instance_a_as_one_batch(
    two: Two,
) -> None:
    a, b = two.urls
    number = "+46701234567"
    sender = pseudonym(two.secret, normalise_number(number) or "", SMS_PREFIX)
    two.rasa.callback_url = f"{b}/rasa/callback"  # Rasa's answer goes to the other instance
    two.rasa.delay = 0.2
    url = f"{a}/sms/twilio"
    body, headers = twilio_post(url, number, "lång")
    async with aiohttp.ClientSession() as http, http.post(url, data=body,
                                                          headers=headers) as resp:
        assert resp.status == 200, await resp.text()
    expected, _ = compose([{"text": p} for p in LONG_REPLY.split("\n\n")], 459)
    await wait_until(lambda: len(two.providers.bodies(number)) >= len(expected), timeout=10)
    await asyncio.sleep(0.5)  # a second, unbatched send would arrive now
    assert two.providers.bodies(number) == expected
    # a coach's message later reaches instance B alone: the number is in the shared vault
    await two.rasa.push(sender, "Hej, det är Anna, coach.", coach=True)
    await wait_until(lambda: len(two.providers.bodies(number)) == len(expected) + 1)
    assert "Hej, det är Anna, coach." in two.providers.bodies(number)[-1]
