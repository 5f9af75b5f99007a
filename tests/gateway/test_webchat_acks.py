"""The web chat's acknowledgements: each message with the page's id is acknowledged once Rasa
has it and forwarded once however often it comes (a resend after a reconnect, a second
instance), a message whose socket closes mid-forward still arrives, bad ids get a clear error,
and pages without ids work as before. The real gateway app between FakeRasa's callback channel
and aiohttp test sockets (tests/gateway/conftest.py); Redis is the real one at TEST_REDIS_URL.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.gateway import keys, texts
from bot.gateway.app import create_app
from bot.gateway.vault import WEB_PREFIX, pseudonym
from bot.protocol import WEB_MESSAGE_ID_KEY
from tests.gateway.conftest import GatewayEnv
from tests.gateway.helpers import wait_until

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_id() -> str:
    return str(uuid.uuid4())


async def hello(ws: Any, token: str, fresh: bool = True) -> list[dict[str, Any]]:
    await ws.send_json({"type": "hello", "token": token, "fresh": fresh})
    reply = await ws.receive_json(timeout=5)
    assert reply["type"] == "history"
    return list(reply["items"])


async def until(ws: Any, kind: str, timeout: float = 5) -> list[dict[str, Any]]:
    """Frames up to and including the first of type `kind`."""
    got: list[dict[str, Any]] = []
    while True:
        got.append(await ws.receive_json(timeout=timeout))
        if got[-1]["type"] == kind:
            return got


async def quiet(ws: Any, seconds: float = 0.4) -> list[dict[str, Any]]:
    """Whatever arrives within `seconds` (nothing, when all is settled)."""
    got: list[dict[str, Any]] = []
    try:
        while True:
            got.append(await ws.receive_json(timeout=seconds))
    except asyncio.TimeoutError:
        return got


async def test_the_same_id_twice_is_forwarded_once_and_acknowledged_twice(
        gw: GatewayEnv) -> None:
    message_id = new_id()
    async with gw.client.ws_connect("/ws") as ws:
        await hello(ws, new_token())
        await ws.send_json({"type": "message", "id": message_id, "text": "hej"})
        first = await until(ws, "ack")
        # the same frame again (a page that never saw the ack): the store alone decides
        await ws.send_json({"type": "message", "id": message_id, "text": "hej"})
        second = await until(ws, "ack")
        assert await quiet(ws) == []  # no typing, no answer: nothing was forwarded
    assert [r[1] for r in gw.rasa.received] == ["hej"]
    assert gw.rasa.metadata[0][WEB_MESSAGE_ID_KEY] == message_id  # kept with the message
    # the first: typing, the answer, the ack (then typing off); the repeat: only the ack
    assert [f["type"] for f in first] == ["typing", "bot", "ack"]
    assert first[-1] == {"type": "ack", "id": message_id}
    assert second == [{"type": "typing", "on": False}, {"type": "ack", "id": message_id}]


async def test_a_resend_on_the_next_socket_is_answered_from_the_first_forward(
        gw: GatewayEnv) -> None:
    """The socket closes while Rasa still handles the message: the message still arrives
    (once), and the page's resend with the same id on its new socket gets the ack."""
    gw.rasa.delay = 0.8
    token, message_id = new_token(), new_id()
    async with gw.client.ws_connect("/ws") as ws:
        await hello(ws, token)
        await ws.send_json({"type": "message", "id": message_id, "text": "är jag anonym?"})
        await wait_until(lambda: len(gw.rasa.received) == 1)
    # the old socket is gone before any ack; a new one, as the page reconnects
    async with gw.client.ws_connect("/ws") as ws:
        await hello(ws, token, fresh=False)
        await ws.send_json({"type": "message", "id": message_id, "text": "är jag anonym?"})
        got = await until(ws, "ack")
    assert got[-1] == {"type": "ack", "id": message_id}
    # the answer reached the page live (its socket was registered by the hello)
    assert "Svar: är jag anonym?" in [f.get("text") for f in got]
    assert [r[1] for r in gw.rasa.received] == ["är jag anonym?"]


async def test_a_message_read_just_before_its_socket_closes_still_arrives_once(
        gw: GatewayEnv) -> None:
    token, message_id = new_token(), new_id()
    async with gw.client.ws_connect("/ws") as ws:
        await hello(ws, token)
        await ws.send_json({"type": "message", "id": message_id, "text": "hej"})
        await ws.close()  # right behind the frame: the gateway reads both at once
    await wait_until(lambda: len(gw.rasa.received) == 1)
    async with gw.client.ws_connect("/ws") as ws:
        items = await hello(ws, token, fresh=False)
        assert [i.get("id") for i in items if i["type"] == "user"] == [message_id]
        # a page that missed the history's answer too sends it again: only the ack
        await ws.send_json({"type": "message", "id": message_id, "text": "hej",
                            "resend": True})
        assert await ws.receive_json(timeout=5) == {"type": "ack", "id": message_id}
    assert [r[1] for r in gw.rasa.received] == ["hej"]


async def test_history_names_each_message_by_its_id(gw: GatewayEnv) -> None:
    token, ids = new_token(), [new_id(), new_id()]
    async with gw.client.ws_connect("/ws") as ws:
        await hello(ws, token)
        for message_id, text in zip(ids, ("hej", "knappar"), strict=True):
            await ws.send_json({"type": "message", "id": message_id, "text": text})
            await until(ws, "ack")
        await ws.send_json({"type": "message", "text": "utan id"})  # an old page's message
        await until(ws, "bot")
    async with gw.client.ws_connect("/ws") as ws:
        items = await hello(ws, token, fresh=False)
    users = [i for i in items if i["type"] == "user"]
    assert [(u["text"], u.get("id")) for u in users] == [
        ("hej", ids[0]), ("knappar", ids[1]), ("utan id", None)]


async def test_messages_without_an_id_work_as_before_without_an_ack(gw: GatewayEnv) -> None:
    async with gw.client.ws_connect("/ws") as ws:
        await hello(ws, new_token())
        for _ in range(2):
            await ws.send_json({"type": "message", "text": "hej"})
            got = await until(ws, "bot")
            assert got[-1]["text"] == "Svar: hej"
        assert await quiet(ws) == [{"type": "typing", "on": False}]
    assert [r[1] for r in gw.rasa.received] == ["hej", "hej"]  # no id: nothing to dedup
    assert all(WEB_MESSAGE_ID_KEY not in m for m in gw.rasa.metadata)


@pytest.mark.parametrize("bad", [None, "", 12345678, ["x" * 10], {"id": "x" * 10}, "short",
                                 "x" * 65, "has space in it", "../../../../etc", "ok-id-\n",
                                 "åäöåäöåäö"])
async def test_a_bad_id_gets_a_clear_error_and_nothing_is_forwarded(gw: GatewayEnv,
                                                                    bad: object) -> None:
    async with gw.client.ws_connect("/ws") as ws:
        await hello(ws, new_token())
        await ws.send_json({"type": "message", "id": bad, "text": "hej"})
        reply = await ws.receive_json(timeout=5)
        assert reply["type"] == "error" and reply["code"] == "bad_id"
        assert "8 to 64" in reply["detail"]
        await ws.send_json({"type": "ping"})  # the socket lives on
        assert (await ws.receive_json(timeout=5))["type"] == "pong"
    assert gw.rasa.received == []


async def test_refusals_name_the_message_so_the_page_stops_waiting(gw: GatewayEnv) -> None:
    message_id, long_id = new_id(), new_id()
    async with gw.client.ws_connect("/ws") as ws:
        await hello(ws, new_token())
        await ws.send_json({"type": "message", "id": long_id, "text": "x" * 2001})
        reply = await ws.receive_json(timeout=5)
        assert (reply["code"], reply["id"]) == ("too_long", long_id)
        await ws.send_json({"type": "message", "id": new_id(), "text": "  "})
        assert (await ws.receive_json(timeout=5))["code"] == "empty"
        # Rasa down: "try again" with the text given back, and the id not used up
        gw.rasa.fail = True
        await ws.send_json({"type": "message", "id": message_id, "text": "hej"})
        refused = (await until(ws, "notice_text"))[-1]
        assert (refused["code"], refused["id"], refused["restore"]) == (
            "unavailable", message_id, "hej")
        assert refused["text"] == texts.text("utter_gateway_unavailable", "sv")
        gw.rasa.fail = False
        await ws.send_json({"type": "message", "id": message_id, "text": "hej",
                            "resend": True})
        assert (await until(ws, "ack"))[-1]["id"] == message_id
    assert [r[1] for r in gw.rasa.received] == ["hej"]


@pytest.mark.parametrize("settings_overrides", [{"rate_conversation": (1, 60)}])
async def test_a_flood_refusal_names_the_message_and_a_repeat_is_not_refused(
        gw: GatewayEnv) -> None:
    first, second = new_id(), new_id()
    async with gw.client.ws_connect("/ws") as ws:
        await hello(ws, new_token())
        await ws.send_json({"type": "message", "id": first, "text": "ett"})
        await until(ws, "ack")
        await ws.send_json({"type": "message", "id": second, "text": "två"})
        refused = (await until(ws, "notice_text"))[-1]
        assert (refused["code"], refused["id"], refused["restore"]) == (
            "rate_limited", second, "två")
        # the first again (its ack was lost): acknowledged, not refused, not forwarded
        await ws.send_json({"type": "message", "id": first, "text": "ett", "resend": True})
        assert await ws.receive_json(timeout=5) == {"type": "ack", "id": first}
    assert [r[1] for r in gw.rasa.received] == ["ett"]


async def test_a_resend_that_rasa_already_has_is_not_forwarded_again(gw: GatewayEnv) -> None:
    """The claim is gone (the instance that forwarded it was killed and its memory with
    it): a resend looks in Rasa's tracker first."""
    token, message_id = new_token(), new_id()
    async with gw.client.ws_connect("/ws") as ws:
        await hello(ws, token)
        await ws.send_json({"type": "message", "id": message_id, "text": "hej"})
        await until(ws, "ack")
    gw.app[keys.MESSAGE_IDS].local._entries.clear()  # a restarted instance knows nothing
    async with gw.client.ws_connect("/ws") as ws:
        await hello(ws, token, fresh=False)
        await ws.send_json({"type": "message", "id": message_id, "text": "hej",
                            "resend": True})
        assert await ws.receive_json(timeout=5) == {"type": "ack", "id": message_id}
        # a first send (not marked as a resend) of a new id is not looked up: forwarded
        await ws.send_json({"type": "message", "id": new_id(), "text": "hej"})
        await until(ws, "ack")
    assert [r[1] for r in gw.rasa.received] == ["hej", "hej"]


@pytest.fixture
async def second_instance(gw: GatewayEnv) -> AsyncIterator[TestClient]:
    """Another gateway on the same Rasa, sharing Redis with the first (as behind nginx);
    the test's Redis keys are deleted afterwards, also when it fails."""
    client = TestClient(TestServer(create_app(gw.settings), host="127.0.0.1"))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()
        import redis

        store = redis.Redis.from_url(REDIS_URL)
        for key in store.scan_iter(f"{gw.settings.redis_prefix}:*"):
            store.delete(key)
        store.close()


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set")
@pytest.mark.parametrize("settings_overrides", [{
    "redis_url": REDIS_URL, "redis_prefix": f"test-acks-{uuid.uuid4().hex[:8]}"}])
async def test_two_instances_forward_an_id_once(gw: GatewayEnv,
                                                second_instance: TestClient) -> None:
    """The page's socket dies on instance A while Rasa handles its message; it reconnects
    through nginx to instance B and sends the message again: B waits for A's forward and
    acknowledges it, Rasa gets it once."""
    gw.rasa.delay = 0.8
    token, message_id = new_token(), new_id()
    sender = pseudonym(gw.settings.secret, token, WEB_PREFIX)
    async with gw.client.ws_connect("/ws") as ws:
        await hello(ws, token)
        await ws.send_json({"type": "message", "id": message_id, "text": "hej"})
        await wait_until(lambda: len(gw.rasa.received) == 1)
    async with second_instance.ws_connect("/ws") as ws:
        await hello(ws, token, fresh=False)
        await ws.send_json({"type": "message", "id": message_id, "text": "hej"})
        got = await until(ws, "ack")
        assert got[-1] == {"type": "ack", "id": message_id}
        # a third send on B, after the forward: acknowledged from Redis at once
        await ws.send_json({"type": "message", "id": message_id, "text": "hej",
                            "resend": True})
        assert await ws.receive_json(timeout=5) == {"type": "ack", "id": message_id}
    assert gw.rasa.received == [(sender, "hej")]
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        prefix = gw.settings.redis_prefix
        stored = [k.decode() for k in client.scan_iter(f"{prefix}:gateway:msgid:*")]
        assert len(stored) == 1 and sender not in stored[0] and message_id not in stored[0]
    finally:
        client.close()


async def test_settings_reach_the_store(gw: GatewayEnv) -> None:
    ids = gw.app[keys.MESSAGE_IDS]
    assert ids.ttl_seconds == gw.settings.message_id_ttl_seconds == 24 * 3600
    assert ids.busy_seconds > gw.settings.rasa_timeout_seconds  # outlives any forward
    changed = replace(gw.settings, message_id_ttl_seconds=60.0)
    assert create_app(changed)[keys.MESSAGE_IDS].ttl_seconds == 60.0
