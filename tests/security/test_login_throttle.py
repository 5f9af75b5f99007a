"""Login throttling through the real console: a growing delay per account and per client
address (password spraying), and the real coach's own browser is never kept out by
someone else's wrong guesses; shared between instances through Redis."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from escalation_helpers import CSRF_INPUT, Env, make_settings

from bot.escalation.app import create_app
from bot.escalation.login import ACCOUNT_LIMIT, ADDRESS_LIMIT, LoginThrottle, delay_for
from tests.security.conftest import tried

RIGHT = "correct horse battery"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


async def attempt(client: TestClient, username: str, password: str, address: str) -> int:
    """One login through the form, as a browser behind nginx at `address` would send it
    (a browser that logged in before keeps its cookies, except the session: logged out)."""
    client.session.cookie_jar.clear(lambda morsel: morsel.key == "coach_session")
    page = await client.get("/login")
    token = CSRF_INPUT.search(await page.text())
    assert token
    resp = await client.post("/login", data={
        "username": username, "password": password, "csrf_token": token.group(1),
        "next": "/queue"}, headers={"X-Forwarded-For": address}, allow_redirects=False)
    return resp.status


async def test_guessing_does_not_lock_the_coach_out_of_her_own_browser(env: Env) -> None:
    await env.create_coach("anna")
    annas_browser = await env.make_client()
    assert await attempt(annas_browser, "anna", RIGHT, "198.51.100.7") == 302
    attacker = await env.make_client()
    statuses = [await attempt(attacker, "anna", f"guess {n}", "203.0.113.9")
                for n in range(ACCOUNT_LIMIT + 3)]
    tried(f"{len(statuses)} wrong passwords for anna from another address", statuses)
    assert statuses[:ACCOUNT_LIMIT] == [401] * ACCOUNT_LIMIT
    assert set(statuses[ACCOUNT_LIMIT:]) == {429}
    # the attacker is now delayed even with the right password (an unknown browser)
    stranger = await attempt(attacker, "anna", RIGHT, "203.0.113.9")
    tried("the right password from the attacker's browser", stranger)
    assert stranger == 429
    own = await attempt(annas_browser, "anna", RIGHT, "198.51.100.7")
    tried("the right password from anna's own browser", own)
    assert own == 302
    same_nat = await attempt(annas_browser, "anna", RIGHT, "203.0.113.9")
    tried("anna's browser behind the attacker's address", same_nat)
    assert same_nat == 302


async def test_a_stolen_device_cookie_does_not_give_unlimited_guesses(env: Env) -> None:
    await env.create_coach("anna")
    browser = await env.make_client()
    assert await attempt(browser, "anna", RIGHT, "198.51.100.7") == 302
    statuses = [await attempt(browser, "anna", f"guess {n}", "198.51.100.7")
                for n in range(ACCOUNT_LIMIT + 2)]
    tried("wrong passwords from a browser with anna's device cookie", statuses)
    assert 429 in statuses


async def test_password_spraying_from_one_address_is_delayed(env: Env) -> None:
    for n in range(ADDRESS_LIMIT + 5):
        await env.create_coach(f"coach{n}")
    sprayer = await env.make_client()
    statuses = [await attempt(sprayer, f"coach{n}", "Sommar2026!", "203.0.113.50")
                for n in range(ADDRESS_LIMIT + 3)]
    tried(f"one common password on {len(statuses)} accounts from one address",
          f"{statuses.count(401)}x401, {statuses.count(429)}x429")
    assert statuses[:ADDRESS_LIMIT] == [401] * ADDRESS_LIMIT
    assert set(statuses[ADDRESS_LIMIT:]) == {429}
    # a fresh account, right password, same address, unknown browser: still delayed
    last = await attempt(sprayer, f"coach{ADDRESS_LIMIT + 4}", RIGHT, "203.0.113.50")
    tried("then a right password from that address", last)
    assert last == 429
    # another address is not affected
    other = await env.make_client()
    assert await attempt(other, f"coach{ADDRESS_LIMIT + 4}", RIGHT, "198.51.100.8") == 302


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set")
async def test_counts_are_shared_between_instances_in_redis(
        db_url: str, fake_rasa: Any, aiohttp_server: Any, aiohttp_client: Any) -> None:
    prefix = f"sec-test-{uuid.uuid4().hex[:8]}"
    settings = make_settings(db_url, fake_rasa[1], redis_url=REDIS_URL, redis_prefix=prefix)
    apps = [create_app(settings), create_app(settings)]
    servers = [await aiohttp_server(app) for app in apps]
    clients = [await aiohttp_client(server) for server in servers]
    from bot.escalation import keys, security

    store = apps[0][keys.STORE]
    for n in range(ADDRESS_LIMIT + 1):
        await store.run(store.create_coach, f"coach{n}", security.hash_password(RIGHT), "coach")
    statuses = [await attempt(clients[n % 2], f"coach{n}", "Sommar2026!", "203.0.113.51")
                for n in range(ADDRESS_LIMIT + 1)]
    tried("spraying alternately over two instances sharing Redis",
          f"{statuses.count(401)}x401, {statuses.count(429)}x429")
    assert statuses[:ADDRESS_LIMIT] == [401] * ADDRESS_LIMIT and statuses[-1] == 429


# ---- the module on its own (bot/escalation/login.py): what each attempt comes to ----------


@dataclass
class Row:
    """A coach row as the store returns it (the fields the check reads)."""

    id: int
    password_hash: str
    active: bool = True


async def test_attempt_decides_wrong_right_and_delayed_in_one_place() -> None:
    from bot.escalation import security

    guard = LoginThrottle("a-session-secret")
    anna = Row(7, security.hash_password(RIGHT))
    wrong = [await guard.attempt("203.0.113.9", "anna", "guess", anna, None)
             for _ in range(ACCOUNT_LIMIT)]
    assert all(a.coach is None and a.wait == 0 for a in wrong)
    delayed = await guard.attempt("203.0.113.9", "anna", RIGHT, anna, None)
    assert delayed.coach is None and delayed.wait > 0  # not even the right password now
    other = LoginThrottle("a-session-secret")
    first = await other.attempt("198.51.100.7", "anna", RIGHT, anna, None)
    assert first.coach is anna and first.device_cookie  # a new browser is remembered
    again = await other.attempt("198.51.100.7", "anna", RIGHT, anna, first.device_cookie)
    assert again.coach is anna and again.device_cookie is None  # known: no new cookie


async def test_unknown_and_disabled_accounts_fail_like_a_wrong_password() -> None:
    from bot.escalation import login, security

    guard = LoginThrottle("a-session-secret")
    disabled = Row(8, security.hash_password(RIGHT), active=False)
    assert (await guard.attempt("203.0.113.9", "bo", RIGHT, disabled, None)).coach is None
    assert (await guard.attempt("203.0.113.9", "nobody", RIGHT, None, None)).coach is None
    assert login._dummy_hash is not None  # the unknown name was checked against a real hash
    # both count towards the address's limit like any wrong password
    for n in range(ADDRESS_LIMIT - 2):
        await guard.attempt("203.0.113.9", f"nobody{n}", RIGHT, None, None)
    assert (await guard.attempt("203.0.113.9", "x", RIGHT, None, None)).wait > 0


def test_a_device_cookie_counts_only_for_its_coach_and_secret() -> None:
    guard = LoginThrottle("a-session-secret")
    cookie = guard.new_device_cookie(7)
    assert guard.device_of(cookie, 7) is not None
    assert guard.device_of(cookie, 8) is None
    assert LoginThrottle("another-secret").device_of(cookie, 7) is None
    assert guard.device_of(cookie + "x", 7) is None
    assert delay_for(ACCOUNT_LIMIT - 1, ACCOUNT_LIMIT) == 0
    assert delay_for(ACCOUNT_LIMIT, ACCOUNT_LIMIT) == 30
    assert delay_for(ACCOUNT_LIMIT + 1, ACCOUNT_LIMIT) == 60
    assert delay_for(ACCOUNT_LIMIT + 50, ACCOUNT_LIMIT) == 900
