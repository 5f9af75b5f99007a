"""Only the gateway posts to Rasa's callback channel (and, with RASA_REST_GATEWAY_ONLY=1, to
the REST channel): the real channel blueprints, mounted by Rasa's own `register` on a real
Sanic server (tests/sanic_channels.py), behind an agent that writes every message it is
given into a tracker store as a user event, as Rasa's would.

Without the secret, or with a wrong one, a post gets a 403 and the tracker stays empty; with
GATEWAY_CALLBACK_TOKEN in X-Gateway-Callback-Token it is a 200; with no secret configured
every post is refused."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.utils.endpoints import EndpointConfig

from bot.protocol import CALLBACK_HEADER
from bot.rasa_plugins.channels.callback import GatewayCallbackInput
from bot.rasa_plugins.channels.rest import ValidatedRestInput
from tests.sanic_channels import Served, serve_channels
from tests.security.conftest import tried

REST = "/webhooks/rest/webhook"
CALLBACK = "/webhooks/callback/webhook"
SECRET = "gateway-callback-secret-for-the-wall-tests"
STRANGERS = [("no header", {}), ("wrong secret", {CALLBACK_HEADER: "guessed-secret"}),
             ("empty secret", {CALLBACK_HEADER: ""}),
             ("secret with a prefix", {CALLBACK_HEADER: "x" + SECRET})]
GATEWAY = {CALLBACK_HEADER: SECRET}


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REST_RATE_PER_CONVERSATION", "1000/60")
    monkeypatch.setenv("REST_RATE_PER_ADDRESS", "1000/60")
    monkeypatch.setenv("GATEWAY_CALLBACK_TOKEN", SECRET)
    monkeypatch.delenv("RASA_REST_GATEWAY_ONLY", raising=False)


@asynccontextmanager
async def channels(*chosen: InputChannel) -> AsyncIterator[tuple[Served, InMemoryTrackerStore]]:
    """The channels on a real server; every message that reaches the agent is stored."""
    store = InMemoryTrackerStore(Domain.empty())
    async with serve_channels(list(chosen)) as served:
        echo = served.agent.handle_message

        async def handle_message(message: UserMessage) -> None:
            tracker = await store.get_or_create_tracker(message.sender_id)
            tracker.update(UserUttered(message.text))
            await store.save(tracker)
            await echo(message)

        served.agent.handle_message = handle_message  # type: ignore[method-assign]
        served.app.ctx.agent.tracker_store = store
        yield served, store


async def user_events(store: InMemoryTrackerStore, sender: str) -> int:
    tracker = await store.retrieve(sender)
    return 0 if tracker is None else sum(1 for e in tracker.events if e.type_name == "user")


async def post(http: aiohttp.ClientSession, url: str, sender: str,
               headers: dict[str, str]) -> tuple[int, Any]:
    async with http.post(url, headers=headers,
                         json={"sender": sender, "message": "/emergency_danger"}) as resp:
        text = await resp.text()
        return resp.status, json.loads(text) if resp.status == 403 else text


async def test_the_callback_webhook_takes_messages_only_from_the_gateway(receiver: str) -> None:
    async with channels(GatewayCallbackInput(EndpointConfig(receiver))) as (served, store), \
            aiohttp.ClientSession() as http:
        for what, headers in STRANGERS:
            for forwarded, path in (({}, CALLBACK), ({"X-Forwarded-For": "203.0.113.7"}, CALLBACK),
                                    ({}, CALLBACK + "/"), ({}, CALLBACK + "?stream=true")):
                sender = f"victim-{len(what)}-{len(forwarded)}-{len(path)}"
                status, body = await post(http, served.url + path, sender,
                                          {**headers, **forwarded})
                stored = await user_events(store, sender)
                tried(f"POST {path} {what}{' via nginx' if forwarded else ''}",
                      f"{status}, user events in the tracker: {stored}")
                assert status == 403 and "forbidden" in body["error"]
                assert stored == 0
        assert served.agent.received == []
        status, _ = await post(http, served.url + CALLBACK, "victim-gw", GATEWAY)
        tried(f"POST {CALLBACK} with GATEWAY_CALLBACK_TOKEN", status)
        assert status == 200 and await user_events(store, "victim-gw") == 1


async def test_no_secret_configured_refuses_every_callback_post(
    receiver: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv("GATEWAY_CALLBACK_TOKEN")
    with caplog.at_level(logging.WARNING, logger="bot.rasa_plugins.channels.rest"):
        async with channels(GatewayCallbackInput(EndpointConfig(receiver))) as (served, store), \
                aiohttp.ClientSession() as http:
            for what, headers in [*STRANGERS, ("the usual secret", GATEWAY)]:
                status, _ = await post(http, served.url + CALLBACK, "someone", headers)
                tried(f"no GATEWAY_CALLBACK_TOKEN configured, POST {CALLBACK} {what}", status)
                assert status == 403
            assert await user_events(store, "someone") == 0
    why = [r.getMessage() for r in caplog.records if "GATEWAY_CALLBACK_TOKEN" in r.getMessage()]
    tried("log lines saying why", why)
    assert len(why) == 1 and "refuses every post" in why[0]


async def test_the_rest_webhook_is_gateway_only_with_the_flag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RASA_REST_GATEWAY_ONLY", "1")
    async with channels(ValidatedRestInput()) as (served, store), aiohttp.ClientSession() as http:
        for what, headers in STRANGERS:
            for path in (REST, REST + "/"):
                status, _ = await post(http, served.url + path, "rest-victim", headers)
                tried(f"RASA_REST_GATEWAY_ONLY=1, POST {path} {what}", status)
                assert status == 403
        assert await user_events(store, "rest-victim") == 0
        status, _ = await post(http, served.url + REST, "rest-victim", GATEWAY)
        tried(f"RASA_REST_GATEWAY_ONLY=1, POST {REST} with the secret", status)
        assert status == 200 and await user_events(store, "rest-victim") == 1


async def test_the_rest_webhook_stays_open_without_the_flag() -> None:
    async with channels(ValidatedRestInput()) as (served, store), aiohttp.ClientSession() as http:
        status, _ = await post(http, served.url + REST, "dev-user", {})
        tried(f"no RASA_REST_GATEWAY_ONLY (./dev run), POST {REST} without a secret", status)
        assert status == 200 and await user_events(store, "dev-user") == 1
