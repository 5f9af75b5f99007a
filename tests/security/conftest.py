"""Security tests run the real services: the escalation app (SQLite, and PostgreSQL with
TEST_DATABASE_URL) and the gateway app, over HTTP and WebSockets through aiohttp's test
servers. The fixtures of tests/escalation and tests/gateway are reused, not copied."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

ESCALATION_TESTS = Path(__file__).resolve().parent.parent / "escalation"
sys.path.insert(0, str(ESCALATION_TESTS))

from tests.escalation.conftest import (  # noqa: E402,F401  (fixtures)
    db_url,
    env,
    fake_rasa,
    fast_password_hashing,
    settings_overrides,
)
from tests.gateway.conftest import gw  # noqa: E402,F401  (fixture)


def tried(what: str, result: object) -> None:
    """One line per attempt, so `pytest -s` shows what was tried and what came back."""
    print(f"  tried: {what:<70} -> {result}")


@pytest.fixture
async def receiver(aiohttp_server: Any) -> str:
    """Where the callback channel posts the bot's answers (the gateway's place)."""
    app = web.Application()

    async def ok(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_post("/rasa/callback", ok)
    return str((await aiohttp_server(app)).make_url("/rasa/callback"))
