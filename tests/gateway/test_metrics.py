"""The gateway's /metrics: the numbers move when a web chat or an SMS message comes in, is
refused, or cannot reach Rasa; no id, phone number or address in any label; only for loopback
or private peers not behind a proxy, or with METRICS_TOKEN."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.gateway.conftest import GatewayEnv
from tests.gateway.helpers import twilio_post, wait_until
from tests.support.metrics import label_values, sample

NUMBER = "+46701234999"


async def scrape(gw: GatewayEnv, headers: dict[str, str] | None = None) -> str:
    resp = await gw.client.get("/metrics", headers=headers or {})
    assert resp.status == 200, await resp.text()
    assert resp.headers["Content-Type"].startswith("text/plain")
    return await resp.text()


async def web_message(gw: GatewayEnv, token: str, text: str) -> list[dict[str, Any]]:
    """One message on a fresh socket; what came back up to the end of the typing dots."""
    got = []
    async with gw.client.ws_connect("/ws") as ws:
        await ws.send_json({"type": "hello", "token": token, "fresh": True})
        await ws.receive_json(timeout=5)
        await ws.send_json({"type": "message", "text": text})
        while True:
            msg = await ws.receive_json(timeout=5)
            got.append(msg)
            if msg["type"] == "notice_text" or (msg["type"] == "typing" and not msg["on"]):
                return got


@pytest.mark.parametrize("settings_overrides", [{"rate_conversation": (1, 60)}])
async def test_web_chat_messages_refusals_and_failures_are_counted(gw: GatewayEnv) -> None:
    before = await scrape(gw)
    token = secrets.token_urlsafe(32)
    await web_message(gw, token, "jag heter Kim, 070-123 45 67")
    after = await scrape(gw)
    assert sample(after, "sluta_messages_total", channel="web") == \
        sample(before, "sluta_messages_total", channel="web") + 1
    assert sample(after, "sluta_message_seconds_count", channel="web") == \
        sample(before, "sluta_message_seconds_count", channel="web") + 1
    # the second message of the conversation within a minute is refused
    assert (await web_message(gw, token, "igen"))[-1]["code"] == "rate_limited"
    refused = await scrape(gw)
    assert sample(refused, "sluta_messages_refused_total", channel="web") == \
        sample(after, "sluta_messages_refused_total", channel="web") + 1
    # Rasa down: the message is not delivered, and that is counted
    gw.rasa.fail = True
    assert (await web_message(gw, secrets.token_urlsafe(32), "hej"))[-1]["code"] == \
        "unavailable"
    failed = await scrape(gw)
    assert sample(failed, "sluta_delivery_failures_total", channel="web",
                  reason="rasa_unavailable") == sample(
        refused, "sluta_delivery_failures_total", channel="web", reason="rasa_unavailable") + 1
    labels = label_values(failed)
    assert not any(token in v or "Kim" in v or "070" in v or "127.0.0.1" in v for v in labels)
    assert {"web"} <= labels


async def test_sms_messages_are_counted_without_the_number(gw: GatewayEnv) -> None:
    before = await scrape(gw)
    data, headers = twilio_post(gw.url("/sms/twilio"), NUMBER, "hej")
    assert (await gw.client.post("/sms/twilio", data=data, headers=headers)).status == 200
    await wait_until(lambda: gw.providers.bodies(NUMBER))
    after = await scrape(gw)
    assert sample(after, "sluta_messages_total", channel="sms") == \
        sample(before, "sluta_messages_total", channel="sms") + 1
    assert NUMBER not in after and NUMBER[1:] not in after


async def test_metrics_are_refused_through_a_proxy(gw: GatewayEnv) -> None:
    """nginx adds X-Forwarded-For: a relayed request is refused, even from loopback."""
    for header in ({"X-Forwarded-For": "198.51.100.4"}, {"X-Real-IP": "198.51.100.4"},
                   {"Forwarded": "for=198.51.100.4"}):
        assert (await gw.client.get("/metrics", headers=header)).status == 403
    assert (await gw.client.get("/metrics")).status == 200


@pytest.mark.parametrize("settings_overrides", [{"metrics_token": "m" * 32}])
async def test_with_a_metrics_token_only_the_token_counts(gw: GatewayEnv) -> None:
    assert (await gw.client.get("/metrics")).status == 403
    assert (await gw.client.get("/metrics", headers={"Authorization": "Bearer wrong"})
            ).status == 403
    text = await scrape(gw, {"Authorization": "Bearer " + "m" * 32,
                             "X-Forwarded-For": "198.51.100.4"})
    assert "sluta_messages" in text
