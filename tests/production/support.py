"""Helpers shared by the production-profile tests: secrets, credentials, coaches, console login.

Kept here so the load test and the fault-injection test start the profile the same way.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bot.ops.production import ProductionProfile
from bot.protocol import CALLBACK_HEADER
from bot.settings import SERVICE_SECRETS
from tests.support.stack import ALWAYS_OPEN

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


def production_secrets() -> dict[str, str]:
    """Fresh secrets: APP_ENV=production refuses defaults and placeholders (the gateway's
    pseudonym key and vault key included)."""
    from cryptography.fernet import Fernet

    return {**{name: secrets.token_urlsafe(32) for name in (*SERVICE_SECRETS, "GATEWAY_SECRET")},
            "GATEWAY_FERNET_KEY": Fernet.generate_key().decode()}


def profile_env(keys: dict[str, str], **extra: str) -> dict[str, str]:
    """The environment of a test profile: production mode, coaches always on duty."""
    return {
        **os.environ, **keys,
        "APP_ENV": "production",
        "COACH_HOURS": ALWAYS_OPEN,
        "COACH_CLOSED_ON_HOLIDAYS": "0",
        "ESCALATION_SWEEP_INTERVAL_SECONDS": "1",
        "ESCALATION_CLAIM_TIMEOUT_SECONDS": "3600",  # no timeout notice in the middle
        # production cookies are Secure; these tests talk plain HTTP to loopback (no TLS)
        "ESCALATION_COOKIE_SECURE": "0",
        # every test user's browser is on this machine: one address, one client, where real
        # users have their own (the per-address and per-client limits are tested elsewhere)
        "GATEWAY_RATE_ADDRESS": "100000/60",
        "ESCALATION_MAX_OPEN_CASES_PER_CLIENT": "1000",
        "ESCALATION_MAX_CASES_PER_CLIENT": "1000",
        **extra,
    }


def callback_credentials(workdir: Path, inbox_port: int) -> Path:
    """credentials.yml with the project's channels (as in production: the callback channel
    takes messages only from the gateway), whose answers go to the test inbox (the users'
    devices)."""
    path = workdir / "credentials.yml"
    path.write_text(
        "bot.rasa_plugins.channels.rest.ValidatedRestInput:\n"
        "bot.rasa_plugins.channels.callback.GatewayCallbackInput:\n"
        f'  url: "http://127.0.0.1:{inbox_port}/callback"\n', encoding="utf-8")
    return path


def gateway_headers(keys: dict[str, str]) -> dict[str, str]:
    """What the gateway sends with each post to Rasa's callback webhook: its secret."""
    return {CALLBACK_HEADER: keys["GATEWAY_CALLBACK_TOKEN"]}


def gateway_message(sender: str, text: str) -> dict[str, object]:
    """A message as the gateway posts it: with the client it names (one per test user, as
    real users on their own devices; else every user here is loopback, one client, and the
    limit on open cases per client would refuse the sixth coach case)."""
    return {"sender": sender, "message": text, "metadata": {"client": f"test-{sender}"[:64]}}


def create_coaches(profile: ProductionProfile, coaches: dict[str, str]) -> None:
    from bot.db.engine import make_engine
    from bot.escalation.security import hash_password
    from bot.escalation.store import Store

    engine = make_engine(profile.app_db_url)
    store = Store(engine)
    for name, password in coaches.items():
        store.create_coach(name, hash_password(password), "coach")
    engine.dispose()


@dataclass
class Coach:
    name: str
    http: aiohttp.ClientSession
    csrf: str = ""


async def login(base: str, name: str, password: str) -> Coach:
    """Log in to the console like a browser: login form, session cookie, CSRF token."""
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                 timeout=aiohttp.ClientTimeout(total=60))
    page = await (await http.get(f"{base}/login")).text()
    token = CSRF_INPUT.search(page)
    assert token
    async with http.post(f"{base}/login", allow_redirects=False, data={
            "username": name, "password": password, "csrf_token": token.group(1),
            "next": "/queue"}) as resp:
        assert resp.status == 302, await resp.text()
    meta = CSRF_META.search(await (await http.get(f"{base}/queue")).text())
    assert meta
    return Coach(name, http, meta.group(1))


# ---- the young people's devices: the web chat and SMS through nginx -----------------------


@dataclass
class Providers:
    """The simulated Twilio API (tests/gateway/helpers.py) the gateway instances send to."""

    fake: Any
    url: str

    @property
    def env(self) -> dict[str, str]:
        from tests.gateway.helpers import TWILIO_SID, TWILIO_TOKEN

        return {"TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
                "TWILIO_API_URL": self.url}


def start_providers() -> tuple[Providers, Callable[[], None]]:
    """Serve the fake SMS provider from a thread of its own (the profile's fixture is
    synchronous); returns it and a function that stops it."""
    from aiohttp import web

    from tests.gateway.helpers import FakeProviders
    from tests.support.stack import free_port

    fake, port = FakeProviders(), free_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    runner = web.AppRunner(fake.make_app())

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait(10)

    def stop() -> None:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)

    return Providers(fake, f"http://127.0.0.1:{port}"), stop


@dataclass
class WebUser:
    token: str
    ws: aiohttp.ClientWebSocketResponse | None = None
    got: list[dict[str, Any]] = field(default_factory=list)
    answered: int = 0  # the gateway's "typing off" after each message Rasa took
    unavailable: int = 0  # "the chat is not answering, try again" notices
    task: asyncio.Task[None] | None = None


class Devices:
    """Every test user's device, by conversation id: a browser tab on the web chat (its
    WebSocket through nginx, so on either gateway instance) or a phone texting the Twilio
    webhook through nginx. `texts(sender)` is what the user has received."""

    def __init__(self, profile: ProductionProfile, keys: dict[str, str],
                 providers: Providers) -> None:
        self.profile, self.keys, self.providers = profile, keys, providers
        self.web: dict[str, WebUser] = {}
        self.numbers: dict[str, str] = {}  # sender -> phone number

    def web_user(self) -> str:
        from bot.gateway.vault import WEB_PREFIX, pseudonym

        token = secrets.token_urlsafe(32)
        sender = pseudonym(self.keys["GATEWAY_SECRET"], token, WEB_PREFIX)
        self.web[sender] = WebUser(token)
        return sender

    def sms_user(self) -> str:
        from bot.gateway.vault import SMS_PREFIX, pseudonym

        number = "+4670" + "".join(secrets.choice("0123456789") for _ in range(7))
        sender = pseudonym(self.keys["GATEWAY_SECRET"], number, SMS_PREFIX)
        self.numbers[sender] = number
        return sender

    def is_sms(self, sender: str) -> bool:
        return sender in self.numbers

    async def open(self, http: aiohttp.ClientSession, sender: str, timeout: float = 60) -> None:
        """Open the chat page's socket (web) and say hello, as the page does."""
        user = self.web.get(sender)
        if user is None:
            return
        url = self.profile.gateway_url.replace("http://", "ws://") + "/ws"
        user.ws = await http.ws_connect(url, heartbeat=20)

        async def read() -> None:
            assert user.ws is not None
            async for msg in user.ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                data = msg.json()
                user.got.append(data)
                if data.get("type") == "typing" and not data.get("on") and not data.get("who"):
                    user.answered += 1
                elif data.get("type") == "notice_text" and data.get("code") == "unavailable":
                    user.unavailable += 1

        user.task = asyncio.create_task(read())
        await user.ws.send_json({"type": "hello", "token": user.token, "fresh": True})
        deadline = time.monotonic() + timeout
        while not any(m.get("type") == "history" for m in user.got):
            assert time.monotonic() < deadline, "the chat page's hello was not answered"
            await asyncio.sleep(0.05)

    async def say(self, http: aiohttp.ClientSession, sender: str, text: str,
                  timeout: float = 150) -> int | None:
        """Send one message; 200 once Rasa took it, 502 when the gateway told the user to try
        again (Rasa unreachable), None when nothing came back in time (lost)."""
        if sender in self.numbers:
            from tests.gateway.helpers import twilio_post

            url = f"{self.profile.gateway_url}/sms/twilio"
            body, headers = twilio_post(url, self.numbers[sender], text)
            try:
                async with http.post(url, data=body, headers=headers,
                                     timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
                    await resp.read()
                    return resp.status
            except (aiohttp.ClientError, asyncio.TimeoutError):
                return None
        user = self.web[sender]
        answered, unavailable = user.answered, user.unavailable
        assert user.ws is not None
        await user.ws.send_json({"type": "message", "text": text})
        deadline = time.monotonic() + timeout
        while user.answered == answered:
            if time.monotonic() > deadline or user.ws.closed:
                return None
            await asyncio.sleep(0.02)
        return 502 if user.unavailable > unavailable else 200

    def texts(self, sender: str) -> list[str]:
        if sender in self.numbers:
            return self.providers.fake.bodies(self.numbers[sender])
        user = self.web.get(sender)
        return [] if user is None else [m.get("text") or "" for m in user.got
                                        if m.get("type") == "bot"]

    async def close(self, sender: str) -> None:
        user = self.web.get(sender)
        if user is None or user.ws is None:
            return
        await user.ws.close()
        if user.task is not None:
            await user.task

    async def close_all(self) -> None:
        for sender in list(self.web):
            await self.close(sender)
