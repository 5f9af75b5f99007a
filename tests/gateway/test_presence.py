"""The gateway tells the escalation service when the young person leaves or comes back
without a message: quick exit, no chat page open (after a grace period), page open again,
SMS STOP. Through the service's gateway API (GATEWAY_CALLBACK_TOKEN) with an explicit reason,
never a text."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.gateway import keys
from bot.gateway.settings import CALLBACK_HEADER
from bot.gateway.vault import WEB_PREFIX, pseudonym
from tests.gateway.conftest import GatewayEnv
from tests.gateway.helpers import twilio_post, wait_until

TOKEN = "test-callback-token"  # = tests/gateway/conftest.py base_settings


class FakeEscalation:
    """The escalation service's presence endpoint: checks the token, records reports."""

    def __init__(self) -> None:
        self.reports: list[tuple[str, str]] = []
        self.refused = 0

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/internal/gateway/conversations/{cid}/presence", self._presence)
        return app

    async def _presence(self, request: web.Request) -> web.Response:
        if request.headers.get(CALLBACK_HEADER) != TOKEN:
            self.refused += 1
            return web.json_response({"error": "unauthorized"}, status=401)
        body = await request.json()
        self.reports.append((request.match_info["cid"], body["reason"]))
        return web.json_response({"status": "claimed"}, status=202)


@pytest.fixture
async def escalation() -> AsyncIterator[tuple[FakeEscalation, str]]:
    fake = FakeEscalation()
    server = TestServer(fake.make_app(), host="127.0.0.1")
    await server.start_server()
    yield fake, str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
def settings_overrides(escalation: tuple[FakeEscalation, str]) -> dict[str, Any]:
    return {"escalation_url": escalation[1]}


async def _hello(gw: GatewayEnv, token: str) -> Any:
    ws = await gw.client.ws_connect("/ws")
    await ws.send_json({"type": "hello", "token": token, "fresh": True})
    await ws.receive_json()
    return ws


async def test_quick_exit_is_reported_at_once_and_not_as_a_closed_page(
        gw: GatewayEnv, escalation: tuple[FakeEscalation, str]) -> None:
    fake, _ = escalation
    gw.app[keys.PRESENCE].grace = 0.2
    token = secrets.token_urlsafe(32)
    sender = pseudonym(gw.settings.secret, token, WEB_PREFIX)
    ws = await _hello(gw, token)
    await ws.send_json({"type": "leave", "reason": "quick_exit"})
    await ws.close()  # the page closes the socket right after, as chat.js does
    await wait_until(lambda: fake.reports)
    await gw.app[keys.PRESENCE].close()
    assert fake.reports == [(sender, "quick_exit")]


async def test_a_closed_page_is_reported_after_the_grace_and_its_return_too(
        gw: GatewayEnv, escalation: tuple[FakeEscalation, str]) -> None:
    fake, _ = escalation
    gw.app[keys.PRESENCE].grace = 0.3
    token = secrets.token_urlsafe(32)
    sender = pseudonym(gw.settings.secret, token, WEB_PREFIX)
    # a reload within the grace is nothing to report
    ws = await _hello(gw, token)
    await ws.close()
    ws = await _hello(gw, token)
    await ws.close()
    await wait_until(lambda: fake.reports)
    assert fake.reports == [(sender, "no_page")]
    ws = await _hello(gw, token)
    await wait_until(lambda: len(fake.reports) == 2)
    assert fake.reports[-1] == (sender, "page_open")
    await ws.close()


async def test_unknown_leave_reasons_are_ignored(
        gw: GatewayEnv, escalation: tuple[FakeEscalation, str]) -> None:
    fake, _ = escalation
    gw.app[keys.PRESENCE].grace = 60
    ws = await _hello(gw, secrets.token_urlsafe(32))
    await ws.send_json({"type": "leave", "reason": "sms_stop"})  # not the page's to say
    await ws.send_json({"type": "leave"})
    await ws.send_json({"type": "ping"})
    assert (await ws.receive_json())["type"] == "pong"
    await ws.close()
    await gw.app[keys.PRESENCE].close()
    assert fake.reports == []


async def test_sms_stop_is_an_explicit_report_not_a_stop_message(
        gw: GatewayEnv, escalation: tuple[FakeEscalation, str]) -> None:
    fake, _ = escalation
    url = gw.url("/sms/twilio")
    data, headers = twilio_post(url, "+46701234567", "hej")
    assert (await gw.client.post("/sms/twilio", data=data, headers=headers)).status == 200
    sender = gw.rasa.received[0][0]
    data, headers = twilio_post(url, "+46701234567", "STOP")
    assert (await gw.client.post("/sms/twilio", data=data, headers=headers)).status == 200
    await wait_until(lambda: fake.reports)
    assert fake.reports == [(sender, "sms_stop")]
    assert (sender, "stop") not in gw.rasa.received
    assert fake.refused == 0
