"""End to end: a user message reaches the coach live although its relay is lost.

The real Rasa server's relay broker posts to a closed port, so every relay it tries is
refused (as when the Rasa process that took a message is killed right after answering, its
queued relay gone). The message is in Rasa's tracker store before Rasa answers; the real
escalation service's reconciliation finds it there and the coach's console socket gets it,
once, within the reconciliation interval (plus the grace time it leaves the broker).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.escalation.reconcile import GRACE_SECONDS
from tests.support.stack import Stack, free_port

pytestmark = [pytest.mark.model, pytest.mark.slow]
RECONCILE_SECONDS = 1.0
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


@pytest.fixture(scope="module")
def system(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The whole stack, with the broker's relays going nowhere (nothing listens there)."""
    with Stack(trained_model, tmp_path_factory.mktemp("relay"),
               broker_url=f"http://127.0.0.1:{free_port()}",
               settings={"ESCALATION_RECONCILE_INTERVAL_SECONDS": str(RECONCILE_SECONDS)},
               ) as stack:
        yield stack


def _internal(system: Stack, method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        system.console_url + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {system.internal_token}",
                 "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.loads(resp.read())


async def _coach_session(system: Stack, http: aiohttp.ClientSession) -> str:
    """Log the coach in through the form (presence online); the session's CSRF token."""
    page = await (await http.get(f"{system.console_url}/login")).text()
    token = CSRF_INPUT.search(page)
    assert token
    resp = await http.post(f"{system.console_url}/login", data={
        "username": "anna", "password": system.coaches["anna"], "csrf_token": token.group(1),
        "next": "/queue"})
    meta = CSRF_META.search(await resp.text())
    assert resp.status == 200 and meta and meta.group(1)
    return meta.group(1)


async def _user_events(ws: aiohttp.ClientWebSocketResponse, seconds: float) -> list[dict]:
    """The user messages the console socket gets within `seconds`."""
    got: list[dict] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            msg = await asyncio.wait_for(ws.receive_json(), timeout=left)
        except asyncio.TimeoutError:
            break
        if msg.get("type") == "event" and msg["event"]["kind"] == "user":
            got.append(msg["event"])
    return got


async def test_a_lost_relay_reaches_the_coach_live_once(system: Stack) -> None:
    inbox = system.inbox
    assert inbox is not None
    sender = uuid.uuid4().hex
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        csrf = await _coach_session(system, http)
        system.user_says(sender, "hej, ja vill prata me en riktig människa")
        inbox.wait_for(sender, "Coachen ser den här konversationen")
        system.user_says(sender, "ja")
        inbox.wait_for(sender, "Din förfrågan har gått till en coach")
        case_id = _internal(system, "GET", f"/internal/conversations/{sender}/case")["case_id"]
        claimed = await http.post(f"{system.console_url}/api/cases/{case_id}/claim",
                                  headers={"X-CSRF-Token": csrf})
        assert claimed.status == 200
        ws = await http.ws_connect(f"{system.console_url}/ws/cases/{case_id}?csrf={csrf}")

        # a coach talks now; what the young person writes reaches the coach only through
        # the reconciliation, as the broker's relay is refused
        text = "ja e rädd, dom vet var ja bor"
        await asyncio.to_thread(system.user_says, sender, text)
        said = time.monotonic()
        wait = RECONCILE_SECONDS + GRACE_SECONDS + 10  # slack for a busy machine
        live: list[dict] = []
        while time.monotonic() - said < wait and text not in [e["text"] for e in live]:
            live += await _user_events(ws, 0.5)
        took = time.monotonic() - said
        print(f"  the lost relay reached the coach's socket {took:.1f} s after the answer")
        assert [e["text"] for e in live].count(text) == 1, live
        assert next(e for e in live if e["text"] == text)["data"]["late"] is True

        # the broker's relay, were it to come after all, is the same message: stored once
        tracker = await asyncio.to_thread(_tracker, system, sender)
        event = next(e for e in tracker["events"] if e.get("text") == text)
        again = _internal(system, "POST", f"/internal/conversations/{sender}/messages", {
            "text": text, "intent": None, "timestamp": event["timestamp"],
            "message_id": event["message_id"]})
        assert again["duplicate"] is True
        live += await _user_events(ws, RECONCILE_SECONDS + GRACE_SECONDS + 1)
        assert [e["text"] for e in live].count(text) == 1, live
        case = await (await http.get(f"{system.console_url}/api/cases/{case_id}")).json()
        users = [e["text"] for e in case["events"] if e["kind"] == "user"]
        # the message that led to the case, then the one to the coach: each once, in order
        assert users == ["ja", text], users
        await ws.close()


def _tracker(system: Stack, sender: str) -> dict[str, Any]:
    url = f"{system.rasa_url}/conversations/{sender}/tracker?token={system.rasa_token}"
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.loads(resp.read())
