"""A coach reads a case only while it is theirs to read, checked on every event, not only
when the socket opens (the real console over HTTP and WebSockets)."""

from __future__ import annotations

import asyncio
import io
import sys
import time
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from escalation_helpers import Env, login

from bot.escalation import cli, keys
from tests.security.conftest import tried

CLOSED_CODES = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED)


async def _coach(env: Env, username: str, role: str = "coach") -> tuple[TestClient, str]:
    await env.create_coach(username, role)
    client = await env.make_client()
    return client, await login(client, username)


async def _post(client: TestClient, path: str, csrf: str, json: Any = None) -> Any:
    return await client.post(path, json=json, headers={"X-CSRF-Token": csrf})


async def _user_says(env: Env, client: TestClient, conversation: str, text: str) -> int:
    resp = await env.internal(client, "POST", f"/internal/conversations/{conversation}/messages",
                              {"text": text, "intent": "chitchat"})
    return resp.status


async def _messages_until_closed(ws: aiohttp.ClientWebSocketResponse,
                                 timeout: float = 3.0) -> tuple[list[Any], int | None]:
    """Everything the socket still receives, and its close code (None: still open)."""
    got: list[Any] = []
    while True:
        try:
            msg = await ws.receive(timeout=timeout)
        except asyncio.TimeoutError:
            return got, None
        if msg.type in CLOSED_CODES:
            return got, ws.close_code
        if msg.type == aiohttp.WSMsgType.TEXT:
            got.append(msg.json())


def _texts(messages: list[Any]) -> list[str]:
    return [m["event"]["text"] for m in messages if m.get("type") == "event"]


async def test_claim_by_another_coach_ends_the_socket(env: Env) -> None:
    anna, csrf_a = await _coach(env, "anna")
    bo, csrf_b = await _coach(env, "bo")
    cid = (await env.open_case(anna, "conv-claim"))["case_id"]
    ws = await bo.ws_connect(f"/ws/cases/{cid}?csrf={csrf_b}")
    assert (await ws.receive_json(timeout=3))["type"] == "ready"
    assert (await _post(anna, f"/api/cases/{cid}/claim", csrf_a)).status == 200
    await _user_says(env, anna, "conv-claim", "mitt riktiga namn är Kim")
    got, code = await _messages_until_closed(ws)
    tried("bo watches a waiting case, anna claims it, the user writes",
          f"bo's socket closed {code}, texts seen {_texts(got)}")
    assert code is not None and code >= 4000
    assert "mitt riktiga namn är Kim" not in _texts(got)
    with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
        await bo.ws_connect(f"/ws/cases/{cid}?csrf={csrf_b}")
    tried("bo reconnects", exc.value.status)
    assert exc.value.status == 403


@pytest.mark.parametrize("action", ["handback", "close"])
async def test_hand_back_and_close_end_sockets_and_the_transcript(env: Env, action: str) -> None:
    anna, csrf_a = await _coach(env, "anna")
    cid = (await env.open_case(anna, "conv-end"))["case_id"]
    assert (await _post(anna, f"/api/cases/{cid}/claim", csrf_a)).status == 200
    ws = await anna.ws_connect(f"/ws/cases/{cid}?csrf={csrf_a}")
    assert (await ws.receive_json(timeout=3))["type"] == "ready"
    before = time.time() - 5
    body = {"outcome": "information_given"} if action == "close" else None
    assert (await _post(anna, f"/api/cases/{cid}/{action}", csrf_a, body)).status == 200
    _, code = await _messages_until_closed(ws)
    tried(f"{action}, then watch the socket", f"closed {code}")
    assert code is not None and code >= 4000
    # the young person talks to the bot again; Rasa's tracker keeps it with its time
    tracker = env.rasa.trackers.setdefault("conv-end", [])
    tracker.insert(0, {"event": "user", "text": "hej coach", "timestamp": before})
    tracker.append({"event": "user", "text": "jag heter Kim och bor på Hageby",
                    "timestamp": time.time() + 1})
    resp = await anna.get(f"/api/cases/{cid}/transcript")
    texts = [m["text"] for m in (await resp.json())["transcript"]]
    tried(f"read the transcript after {action}", texts)
    assert resp.status == 200 and "hej coach" in texts
    assert "jag heter Kim och bor på Hageby" not in texts
    with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
        await anna.ws_connect(f"/ws/cases/{cid}?csrf={csrf_a}")
    assert exc.value.status == 409


async def test_case_closed_unclaimed_is_for_admins_only(env: Env) -> None:
    anna, _ = await _coach(env, "anna")
    boss, csrf_boss = await _coach(env, "boss", role="admin")
    cid = (await env.open_case(anna, "conv-unclaimed"))["case_id"]
    closed = await _post(boss, f"/api/cases/{cid}/close", csrf_boss, {"outcome": "no_contact"})
    assert closed.status == 200
    for path in (f"/api/cases/{cid}", f"/api/cases/{cid}/transcript", f"/cases/{cid}"):
        resp = await anna.get(path)
        tried(f"coach GET {path} of a case closed unclaimed", resp.status)
        assert resp.status == 403
    assert (await boss.get(f"/api/cases/{cid}")).status == 200


@pytest.mark.parametrize("settings_overrides", [{"ws_recheck_seconds": 0.2}])
@pytest.mark.parametrize("command", ["set-password", "disable"])
async def test_cli_ends_sessions_and_sockets_at_once(env: Env, command: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    anna, csrf_a = await _coach(env, "anna")
    cid = (await env.open_case(anna, "conv-cli"))["case_id"]
    queue_ws = await anna.ws_connect(f"/ws/queue?csrf={csrf_a}")
    case_ws = await anna.ws_connect(f"/ws/cases/{cid}?csrf={csrf_a}")
    assert (await case_ws.receive_json(timeout=3))["type"] == "ready"
    monkeypatch.setenv("DATABASE_URL", env.app[keys.SETTINGS].database_url)
    argv = [command, "anna"] + (["--password-stdin"] if command == "set-password" else [])
    monkeypatch.setattr(sys, "stdin", io.StringIO("a brand new long password\n"))
    assert await asyncio.to_thread(cli.main, argv) == 0
    page = await anna.get("/api/queue")
    _, queue_code = await _messages_until_closed(queue_ws, 3)
    _, case_code = await _messages_until_closed(case_ws, 3)
    tried(f"coach {command} while logged in with two sockets open",
          f"/api/queue {page.status}, queue socket {queue_code}, case socket {case_code}")
    assert page.status == 401
    assert queue_code is not None and case_code is not None



async def test_a_new_case_does_not_show_what_was_said_in_the_previous_one(env: Env) -> None:
    anna, csrf_a = await _coach(env, "anna")
    bo, csrf_b = await _coach(env, "bo")
    first = (await env.open_case(anna, "conv-twice"))["case_id"]
    assert (await _post(anna, f"/api/cases/{first}/claim", csrf_a)).status == 200
    tracker = env.rasa.trackers.setdefault("conv-twice", [])
    tracker.append({"event": "user", "text": "till Anna: jag heter Kim", "timestamp": time.time()})
    await asyncio.sleep(0.05)
    closed = await _post(anna, f"/api/cases/{first}/close", csrf_a, {"outcome": "other"})
    assert closed.status == 200
    await asyncio.sleep(0.05)
    tracker.append({"event": "user", "text": "ja vill prata me nån igen",
                    "timestamp": time.time()})
    second = (await env.open_case(bo, "conv-twice"))["case_id"]
    assert second != first
    assert (await _post(bo, f"/api/cases/{second}/claim", csrf_b)).status == 200
    texts = [m["text"] for m in (await (await bo.get(
        f"/api/cases/{second}/transcript")).json())["transcript"]]
    tried("bo reads the second case of a conversation", texts)
    assert "ja vill prata me nån igen" in texts
    assert "till Anna: jag heter Kim" not in texts
