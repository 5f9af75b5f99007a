"""What the escalation service shares with the web gateway: the chat page's coach status and
typing dots both ways. Only with GATEWAY_CALLBACK_TOKEN, never with the internal token."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from escalation_helpers import Env, login

from bot.escalation import keys
from bot.gateway.settings import CALLBACK_HEADER

GW_TOKEN = "test-gateway-token"
GATEWAY = {CALLBACK_HEADER: GW_TOKEN}


async def _receive(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        msg = await ws.receive_json(timeout=5)
        if msg.get("type") == kind:
            return msg


@pytest.fixture
async def gateway(aiohttp_server: Any) -> tuple[list[dict[str, Any]], str]:
    """A stand-in for the gateway's POST /escalation/typing that records what it got."""
    got: list[dict[str, Any]] = []

    async def typing(request: web.Request) -> web.Response:
        got.append({"token": request.headers.get(CALLBACK_HEADER), **await request.json()})
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/escalation/typing", typing)
    server = await aiohttp_server(app)
    return got, str(server.make_url("")).rstrip("/")


@pytest.mark.parametrize("settings_overrides", [{"gateway_token": GW_TOKEN}])
async def test_availability_needs_the_gateway_token_and_gives_real_hours(env: Env) -> None:
    client = await env.make_client()
    path = "/internal/gateway/availability"
    assert (await client.get(path)).status == 401
    assert (await client.get(path, headers={CALLBACK_HEADER: "wrong"})).status == 401
    assert (await env.internal(client, "GET", path)).status == 401  # the internal token: no
    body = await (await client.get(path, headers=GATEWAY)).json()
    assert body["accepting"] is False and body["in_hours"] is True  # nobody logged in
    assert body["hours"]["sv"] == "Coacherna svarar mån–sön dygnet runt."
    assert body["hours"]["en"] == "Coaches answer Mon–Sun day and night."
    assert "coaches_online" not in body  # whether, never how many
    await env.create_coach("anna")
    await login(client, "anna")
    body = await (await client.get(path, headers=GATEWAY)).json()
    assert body["accepting"] is True


async def test_gateway_token_unset_refuses_every_gateway_call(env: Env) -> None:
    client = await env.make_client()
    resp = await client.get("/internal/gateway/availability", headers={CALLBACK_HEADER: ""})
    assert resp.status == 401


@pytest.mark.parametrize("settings_overrides", [{"gateway_token": GW_TOKEN}])
async def test_typing_both_ways_only_for_the_coach_holding_the_case(
        env: Env, gateway: tuple[list[dict[str, Any]], str]) -> None:
    got, gateway_url = gateway
    env.app[keys.GATEWAY].base_url = gateway_url
    await env.create_coach("anna")
    client = await env.make_client()
    csrf = await login(client, "anna")
    opened = await env.open_case(client, "web-abc")
    cid = opened["case_id"]
    path = "/internal/gateway/conversations/web-abc/typing"
    # not claimed yet: nobody to show it to
    resp = await client.post(path, json={"on": True}, headers=GATEWAY)
    assert (await resp.json()) == {"shown": False}
    assert (await client.post(path, json={"on": True})).status == 401
    assert (await client.post(f"/api/cases/{cid}/claim",
                              headers={"X-CSRF-Token": csrf})).status == 200
    ws = await client.ws_connect(f"/ws/cases/{cid}?csrf={csrf}")
    await _receive(ws, "ready")
    # young person -> coach
    assert (await (await client.post(path, json={"on": True}, headers=GATEWAY)).json())[
        "shown"] is True
    assert await _receive(ws, "typing") == {"type": "typing", "on": True}
    # coach -> young person, through the gateway, with the gateway token
    await ws.send_json({"type": "typing", "on": True})
    await ws.send_json({"type": "ping"})
    await _receive(ws, "pong")
    assert got == [{"token": GW_TOKEN, "recipient_id": "web-abc", "on": True}]
    bad = await client.post(path, data=b"{not json", headers=GATEWAY)
    assert bad.status == 400
    await ws.close()
