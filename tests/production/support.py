"""Helpers shared by the production-profile tests: secrets, credentials, coaches, console login.

Kept here so the load test and the fault-injection test start the profile the same way.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

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
