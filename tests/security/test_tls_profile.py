"""Production sits behind TLS: the console's cookies are Secure and both services send HSTS.
The settings come from the environment as in production (`from_env`), the apps are real."""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient, TestServer
from escalation_helpers import CSRF_INPUT, FakeRasa

from bot.escalation import security
from bot.escalation.app import create_app
from bot.escalation.settings import Settings
from bot.gateway.app import create_app as create_gateway
from bot.gateway.settings import GatewaySettings
from tests.security.conftest import tried


def production_env(**extra: str) -> dict[str, str]:
    strong = {k: secrets.token_urlsafe(32) for k in
              ("SESSION_SECRET", "ESCALATION_INTERNAL_TOKEN", "RASA_TOKEN")}
    return {"APP_ENV": "production", "ESCALATION_URL": "http://127.0.0.1:8080", **strong,
            **extra}


async def _login_cookies(settings: Settings, aiohttp_server: Any, aiohttp_client: Any,
                         env_fixture: Any) -> tuple[Any, Any]:
    app = create_app(settings)
    server = await aiohttp_server(app)
    # the browser behind TLS: Secure cookies go back to this origin (test server is HTTP)
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[server.make_url("/")])
    client: TestClient = await aiohttp_client(server, cookie_jar=jar)
    await env_fixture(app)
    page = await client.get("/login")
    csrf = CSRF_INPUT.search(await page.text())
    assert csrf
    resp = await client.post("/login", data={
        "username": "anna", "password": "correct horse battery", "csrf_token": csrf.group(1),
        "next": "/queue"}, allow_redirects=False)
    return page, resp


async def test_production_console_cookies_are_secure_and_hsts_is_sent(
        db_url: str, fake_rasa: tuple[FakeRasa, str], aiohttp_server: Any,
        aiohttp_client: Any) -> None:
    settings = replace(Settings.from_env(production_env()), database_url=db_url,
                       rasa_url=fake_rasa[1])

    async def add_coach(app: Any) -> None:
        from bot.escalation import keys

        store = app[keys.STORE]
        await store.run(store.create_coach, "anna",
                        security.hash_password("correct horse battery"), "coach")

    page, resp = await _login_cookies(settings, aiohttp_server, aiohttp_client, add_coach)
    session = resp.cookies.get(security.SESSION_COOKIE)
    login_csrf = page.cookies.get(security.LOGIN_CSRF_COOKIE)
    tried("APP_ENV=production login over the console",
          f"{resp.status}, session Secure={session['secure'] if session else None}, "
          f"HSTS={resp.headers.get('Strict-Transport-Security')}")
    assert resp.status == 302 and session is not None and login_csrf is not None
    assert session["secure"] and login_csrf["secure"]
    assert session["httponly"] and session["samesite"] == "Strict"
    for answer in (page, resp):
        assert "max-age=" in answer.headers.get("Strict-Transport-Security", "")


def test_cookie_secure_setting() -> None:
    assert Settings.from_env(production_env()).cookie_secure
    assert not Settings.from_env(production_env(ESCALATION_COOKIE_SECURE="0")).cookie_secure
    assert not Settings.from_env({"ESCALATION_URL": "http://127.0.0.1:8080"}).cookie_secure
    assert Settings.from_env({"ESCALATION_URL": "https://coach.example"}).cookie_secure


async def test_gateway_sends_hsts_in_production_only(tmp_path: Path) -> None:
    for env, expected in (({"APP_ENV": "production"}, True), ({}, False)):
        settings = replace(GatewaySettings.from_env(env),
                           vault_url=f"sqlite:///{tmp_path}/vault-{expected}.db")
        client = TestClient(TestServer(create_gateway(settings), host="127.0.0.1"))
        await client.start_server()
        try:
            resp = await client.get("/")
            hsts = resp.headers.get("Strict-Transport-Security")
            tried(f"gateway GET / with {env or 'development'}", f"HSTS {hsts!r}")
            assert (hsts is not None and "max-age=" in hsts) is expected
        finally:
            await client.close()
