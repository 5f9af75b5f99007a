"""The web chat's server side: page headers, WebSocket protocol, callback routing."""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

import aiohttp
import pytest

from bot.gateway import texts
from bot.gateway.vault import WEB_PREFIX, pseudonym
from bot.protocol import CALLBACK_HEADER, HANDED_BACK, handoff_ended
from tests.gateway.conftest import GatewayEnv


def new_token() -> str:
    return secrets.token_urlsafe(32)


async def receive_until(ws: Any, kind: str, timeout: float = 5) -> list[dict[str, Any]]:
    """Messages up to and including the first of type `kind`."""
    got: list[dict[str, Any]] = []
    while True:
        msg = await ws.receive_json(timeout=timeout)
        got.append(msg)
        if msg["type"] == kind:
            return got


async def test_page_is_strict_local_and_cookieless(gw: GatewayEnv) -> None:
    resp = await gw.client.get("/")
    html = await resp.text()
    assert resp.status == 200
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "Set-Cookie" not in resp.headers
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert '<html lang="sv">' in html and texts.text("utter_web_quick_exit", "sv") in html
    # every script is a local file or a JSON data block; no inline code, no other origin
    for tag in re.findall(r"<script[^>]*>", html):
        assert 'src="/static/' in tag or 'type="application/json"' in tag
    assert "http://" not in html.replace(gw.settings.exit_url, "")
    assert 'for="message"' in html  # the input has a label
    en = await (await gw.client.get("/?lang=en")).text()
    assert '<html lang="en">' in en and texts.text("utter_web_send", "en") in en
    static = await gw.client.get("/static/chat.js")
    assert static.status == 200 and "localStorage" in await static.text()


async def test_message_reply_typing_and_history_after_reload(gw: GatewayEnv) -> None:
    token = new_token()
    async with gw.client.ws_connect("/ws") as ws:
        await ws.send_json({"type": "hello", "token": token, "fresh": True})
        assert (await ws.receive_json())["type"] == "history"
        await ws.send_json({"type": "message", "text": "knappar"})
        got = await receive_until(ws, "bot")
        assert got[0] == {"type": "typing", "on": True}
        assert got[-1]["text"] == "Vad vill du veta?" and len(got[-1]["buttons"]) == 3
        assert await ws.receive_json() == {"type": "typing", "on": False}
        # a quick reply sends the payload, the page shows the title
        await ws.send_json({"type": "message", "text": "Är jag anonym?",
                            "payload": "/ask_anonymity"})
        got = await receive_until(ws, "bot")
        assert got[-1]["text"] == "Svar: /ask_anonymity"
    sender = pseudonym(gw.settings.secret, token, WEB_PREFIX)
    assert gw.rasa.received[0] == (sender, "knappar") and token not in sender
    # reload: a new socket with the same token gets the conversation back from the tracker
    async with gw.client.ws_connect("/ws") as ws:
        await ws.send_json({"type": "hello", "token": token})
        history = (await ws.receive_json())["items"]
    assert [i["type"] for i in history] == ["user", "bot", "user", "bot"]
    assert history[2]["text"] == "Är jag anonym?"


async def test_coach_messages_arrive_live_with_joined_and_left_notices(gw: GatewayEnv) -> None:
    """"A coach has joined" before the first coach message; "the coach has left" once: the
    service's goodbye itself (marked handoff: ended), no second notice after it."""
    token = new_token()
    sender = pseudonym(gw.settings.secret, token, WEB_PREFIX)
    async with gw.client.ws_connect("/ws") as ws, gw.client.ws_connect("/ws") as tab2:
        for sock in (ws, tab2):
            await sock.send_json({"type": "hello", "token": token, "fresh": True})
            await sock.receive_json()
        await gw.rasa.push(sender, "Hej, jag heter Anna.", coach=True)
        for sock in (ws, tab2):
            assert await sock.receive_json() == {"type": "notice", "kind": "coach_joined"}
            msg = await sock.receive_json()
            assert msg["coach"] is True and msg["text"] == "Hej, jag heter Anna."
        goodbye = texts.text("utter_coach_handed_back", "sv")
        # the content's hand-back text alone is an ordinary bot message
        await gw.rasa.push(sender, goodbye)
        assert "handoff" not in await ws.receive_json()
        await gw.rasa.push(sender, goodbye, metadata=handoff_ended(HANDED_BACK))
        assert await ws.receive_json() == {"type": "bot", "text": goodbye, "coach": False,
                                           "handoff": "ended"}
        await gw.rasa.push(sender, "Vad vill du veta?")
        assert (await ws.receive_json())["text"] == "Vad vill du veta?"  # nothing in between
    # a reload shows the goodbye once as well
    async with gw.client.ws_connect("/ws") as ws:
        await ws.send_json({"type": "hello", "token": token})
        items = (await ws.receive_json())["items"]
    assert [i["text"] for i in items if i.get("handoff")] == [goodbye]
    assert not [i for i in items if i.get("kind") == "coach_left"]


async def test_language_switch_goes_to_rasa_without_a_user_bubble(gw: GatewayEnv) -> None:
    token = new_token()
    async with gw.client.ws_connect("/ws") as ws:
        await ws.send_json({"type": "hello", "token": token, "fresh": True})
        await ws.receive_json()
        await ws.send_json({"type": "language", "lang": "en"})
        await receive_until(ws, "bot")
    assert gw.rasa.received[-1][1] == "/switch_to_english"


async def test_the_language_chosen_on_the_page_goes_with_the_message(gw: GatewayEnv) -> None:
    token = new_token()
    async with gw.client.ws_connect("/ws") as ws:
        await ws.send_json({"type": "hello", "token": token, "fresh": True})
        await ws.receive_json()
        for extra in ({"language": "en"}, {}, {"language": "de"}):
            await ws.send_json({"type": "message", "text": "ja", "lang": "en", **extra})
            await receive_until(ws, "bot")
        await ws.send_json({"type": "language", "lang": "sv"})
        await receive_until(ws, "bot")
    # only a chosen, valid language is passed on; the switch itself names its language
    assert [m.get("language") for m in gw.rasa.metadata] == ["en", None, None, "sv"]


@pytest.mark.parametrize("settings_overrides", [{"rate_conversation": (2, 60)}])
async def test_flood_gets_a_friendly_message_and_the_text_back(gw: GatewayEnv) -> None:
    async with gw.client.ws_connect("/ws") as ws:
        await ws.send_json({"type": "hello", "token": new_token(), "fresh": True})
        await ws.receive_json()
        for i in range(2):
            await ws.send_json({"type": "message", "text": f"m{i}"})
            await receive_until(ws, "bot")
        await ws.send_json({"type": "message", "text": "en gång till"})
        got = await receive_until(ws, "notice_text")
    assert got[-1]["code"] == "rate_limited"
    assert got[-1]["text"] == texts.text("utter_gateway_rate_limited", "sv")
    assert got[-1]["restore"] == "en gång till"
    assert len(gw.rasa.received) == 2


async def test_bad_websocket_input_is_answered_not_crashed(gw: GatewayEnv) -> None:
    async with gw.client.ws_connect("/ws") as ws:
        await ws.send_str("{not json")
        assert (await ws.receive_json())["code"] == "bad_json"
        await ws.send_json({"type": "message", "text": "hej"})
        assert (await ws.receive_json())["code"] == "no_hello"
        await ws.send_json({"type": "hello", "token": "short"})
        assert (await ws.receive_json())["code"] == "bad_token"
        await ws.send_json({"type": "hello", "token": new_token(), "fresh": True})
        await ws.receive_json()
        await ws.send_json({"type": "message", "text": "x" * 2001})
        assert (await ws.receive_json())["code"] == "too_long"
        await ws.send_json({"type": "message", "text": "   "})
        assert (await ws.receive_json())["code"] == "empty"
        await ws.send_json({"type": "nonsense"})
        assert (await ws.receive_json())["code"] == "unknown_type"
        await ws.send_bytes(b"\xff\xfe")  # binary frames are ignored
        await ws.send_json({"type": "ping"})
        assert (await ws.receive_json())["type"] == "pong"
        # a frame beyond the size limit closes this socket, the server lives on
        await ws.send_str("x" * 20_000)
        msg = await ws.receive(timeout=5)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                            aiohttp.WSMsgType.ERROR)
    # invalid UTF-8 in a text frame: the connection is closed with an error, no crash
    async with gw.client.ws_connect("/ws") as ws:
        # a raw frame (aiohttp's writer: send_frame since 3.10, _send_frame before)
        writer = ws._writer
        send = getattr(writer, "send_frame", None) or writer._send_frame
        await send(b"\xff\xfe", aiohttp.WSMsgType.TEXT)
        msg = await ws.receive(timeout=5)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                            aiohttp.WSMsgType.ERROR)
    assert (await gw.client.get("/healthz")).status == 200


async def test_rasa_down_is_a_polite_notice(gw: GatewayEnv) -> None:
    gw.rasa.fail = True
    async with gw.client.ws_connect("/ws") as ws:
        await ws.send_json({"type": "hello", "token": new_token(), "fresh": True})
        await ws.receive_json()
        await ws.send_json({"type": "message", "text": "hej"})
        got = await receive_until(ws, "notice_text")
    assert got[-1]["code"] == "unavailable" and got[-1]["restore"] == "hej"


@pytest.mark.parametrize("settings_overrides", [{"callback_token": "cb-secret"}])
async def test_callback_needs_its_token_and_a_recipient(gw: GatewayEnv) -> None:
    body = {"recipient_id": "web-x", "text": "hej"}
    good = {CALLBACK_HEADER: "cb-secret"}
    assert (await gw.client.post("/rasa/callback", json=body)).status == 403
    assert (await gw.client.post("/rasa/callback?token=cb-secret", json=body)).status == 403
    assert (await gw.client.post("/rasa/callback", json=body,
                                 headers={CALLBACK_HEADER: "nope"})).status == 403
    ok = await gw.client.post("/rasa/callback", json=body, headers=good)
    assert ok.status == 200
    bad = await gw.client.post("/rasa/callback", data=b"\xff{", headers=good)
    assert bad.status == 400
    missing = await gw.client.post("/rasa/callback", json={"text": "x"}, headers=good)
    assert missing.status == 400


@pytest.mark.parametrize("settings_overrides", [{"callback_token": "cb-secret",
                                                 "escalation_url": "http://127.0.0.1:9"}])
async def test_coach_typing_reaches_the_page_and_user_typing_never_breaks_it(
        gw: GatewayEnv) -> None:
    token = new_token()
    sender = pseudonym(gw.settings.secret, token, WEB_PREFIX)
    body = {"recipient_id": sender, "on": True}
    assert (await gw.client.post("/escalation/typing", json=body)).status == 403
    async with gw.client.ws_connect("/ws") as ws:
        await ws.send_json({"type": "hello", "token": token, "fresh": True})
        await ws.receive_json()
        ok = await gw.client.post("/escalation/typing", json=body,
                                  headers={CALLBACK_HEADER: "cb-secret"})
        assert ok.status == 200 and (await ok.json())["tabs"] == 1
        assert await ws.receive_json() == {"type": "typing", "on": True, "who": "coach"}
        # the young person types; the escalation service is down: nothing breaks, no answer
        await ws.send_json({"type": "typing", "on": True})
        await ws.send_json({"type": "typing", "on": False})
        await ws.send_json({"type": "ping"})
        assert (await ws.receive_json())["type"] == "pong"
    for bad in ({"recipient_id": "sms-x", "on": True}, {"on": True}):
        resp = await gw.client.post("/escalation/typing", json=bad,
                                    headers={CALLBACK_HEADER: "cb-secret"})
        assert resp.status == 400
    # the status line without the escalation service: "unknown", never an error
    status = await gw.client.get("/status")
    assert status.status == 200 and await status.json() == {"known": False}
    assert gw.rasa.received == []  # typing never reaches the assistant


async def test_page_carries_starters_button_titles_and_the_numbers_to_link(
        gw: GatewayEnv) -> None:
    html = await (await gw.client.get("/")).text()
    links = json.loads(re.search(r'<script type="application/json" id="links">(.*?)</script>',
                                 html, re.S).group(1))  # type: ignore[union-attr]
    assert {"112", "90101", "116 111", "114 14"} <= set(links["numbers"])
    assert {"mind.se", "bris.se"} <= set(links["sites"])
    page_texts = json.loads(re.search(r'id="i18n">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    assert page_texts["sv"]["starter_buttons"][0] == "Hur hoppar jag av?"
    assert page_texts["en"]["button_titles"]["Ja, koppla mig"] == "Yes, connect me"
    assert page_texts["sv"]["button_titles"]["Yes"] == "Ja"
    assert "Esc" not in page_texts["sv"]["web_quick_exit_hint"]
