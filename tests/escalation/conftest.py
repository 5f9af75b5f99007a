"""Fixtures for the escalation service tests.

Service-level tests: a real aiohttp server, a real database (SQLite in tmp; PostgreSQL too when
TEST_DATABASE_URL is set, in a throw-away schema) and FakeRasa, a small HTTP server on loopback
that stands in for Rasa's HTTP API and records every call. The end-to-end test against a real
Rasa is separate.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher
from escalation_helpers import Env, FakeRasa, make_settings
from sqlalchemy import text
from sqlalchemy.future import create_engine

from bot.escalation import login, security
from bot.escalation.app import create_app

PG_URL = os.environ.get("TEST_DATABASE_URL", "")

DB_PARAMS = [pytest.param("sqlite", id="sqlite")]
if PG_URL:
    DB_PARAMS.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres))


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with minimal cost: the tests log in often; production keeps the defaults."""
    monkeypatch.setattr(
        security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    monkeypatch.setattr(login, "_dummy_hash", None)


@pytest.fixture(params=DB_PARAMS)
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """A fresh, empty database: an SQLite file, or a new PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/app.db"
        return
    schema = "esc_test_" + uuid.uuid4().hex[:10]
    admin = create_engine(PG_URL, future=True)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
async def fake_rasa(aiohttp_server: Any) -> AsyncIterator[tuple[FakeRasa, str]]:
    fake = FakeRasa()
    server = await aiohttp_server(fake.make_app())
    yield fake, str(server.make_url("")).rstrip("/")


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override with indirect parametrisation to change settings for one test."""
    return {}


@pytest.fixture
async def env(
    db_url: str,
    fake_rasa: tuple[FakeRasa, str],
    aiohttp_server: Any,
    aiohttp_client: Any,
    settings_overrides: dict[str, Any],
) -> AsyncIterator[Env]:
    """The running service on a fresh database, talking to FakeRasa."""
    fake, rasa_url = fake_rasa
    clock: dict[str, datetime | None] = {"now": None}

    def now() -> datetime:
        return clock["now"] or datetime.now(timezone.utc)

    app = create_app(make_settings(db_url, rasa_url, **settings_overrides), clock=now)
    server = await aiohttp_server(app)

    async def make_client() -> TestClient:
        return await aiohttp_client(server)

    yield Env(app=app, server=server, rasa=fake, make_client=make_client, clock=clock)
