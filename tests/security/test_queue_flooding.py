"""Nobody fills the coach queue: a "/intent" payload reaches Rasa only if the bot offered it
(Rasa's real REST and callback channel blueprints on a real Sanic server, with a tracker
store), and the escalation service limits new cases per conversation and open cases per
client (the real service over HTTP)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import aiohttp
import pytest
from escalation_helpers import Env, case_payload
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.escalation import keys
from bot.protocol import CALLBACK_HEADER, WEB_MESSAGE_ID_KEY
from bot.rasa_plugins.channels.callback import GatewayCallbackInput
from bot.rasa_plugins.channels.rest import ValidatedRestInput, client_key, daily_client
from tests.sanic_channels import serve_channels
from tests.security.conftest import tried

REST = "/webhooks/rest/webhook"
CALLBACK = "/webhooks/callback/webhook"
SECRET = "gateway-callback-secret-for-tests"
# only the gateway posts on callback; Sanic also routes ".../webhook/" to the webhook
HEADERS = {REST: {}, CALLBACK: {CALLBACK_HEADER: SECRET}, REST + "/": {},
           CALLBACK + "/": {CALLBACK_HEADER: SECRET}}
FORGED = ["/emergency_danger", "/crisis_suicidal", " /request_human", "//emergency_danger",
          '/emergency_danger{"x": 1}', "/affirm", "/restart"]


async def _with_offer(store: InMemoryTrackerStore, sender: str, payloads: list[str]) -> None:
    """The bot's last turn in `sender`'s conversation offered these buttons."""
    tracker = DialogueStateTracker(sender, slots=[])
    tracker.update(UserUttered("ja vill dö", {"name": "crisis_suicidal"}))
    tracker.update(ActionExecuted("utter_ask_safe_now"))
    tracker.update(BotUttered("Är du i säkerhet just nu?", data={
        "buttons": [{"title": p, "payload": p} for p in payloads]}))
    await store.save(tracker)


@pytest.fixture(autouse=True)
def _limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REST_RATE_PER_CONVERSATION", "1000/60")
    monkeypatch.setenv("REST_RATE_PER_ADDRESS", "1000/60")
    monkeypatch.setenv("GATEWAY_CALLBACK_TOKEN", SECRET)


async def test_payloads_pass_only_when_the_bot_offered_them(receiver: str) -> None:
    callback = GatewayCallbackInput(EndpointConfig(receiver))
    async with serve_channels([ValidatedRestInput(), callback]) as served, \
            aiohttp.ClientSession() as http:
        store = InMemoryTrackerStore(Domain.empty())
        served.app.ctx.agent.tracker_store = store
        await _with_offer(store, "offered", ["/affirm", "/deny", "/unsure"])
        for path in HEADERS:
            for text in FORGED:
                async with http.post(served.url + path, headers=HEADERS[path],
                                     json={"sender": "fresh", "message": text}) as resp:
                    got = served.agent.received[-1].text
                    tried(f"{path} never-offered {text!r}", f"{resp.status}, Rasa got {got!r}")
                    assert resp.status == 200 and not got.lstrip().startswith("/")
            async with http.post(served.url + path, headers=HEADERS[path],
                                 json={"sender": "offered", "message": "/emergency_danger"}):
                got = served.agent.received[-1].text
                tried(f"{path} /emergency_danger when /affirm,/deny,/unsure were offered", got)
                assert not got.startswith("/")
            async with http.post(served.url + path, headers=HEADERS[path],
                                 json={"sender": "offered", "message": "/affirm"}):
                assert served.agent.received[-1].text == "/affirm"  # a real button press
        async with http.post(served.url + REST,
                             json={"sender": "fresh", "message": "/switch_to_english"}):
            assert served.agent.received[-1].text == "/switch_to_english"
    print("  nothing got through: no payload the bot did not offer reached Rasa as one")


async def test_the_client_key_cannot_be_chosen_by_the_client(receiver: str) -> None:
    callback = GatewayCallbackInput(EndpointConfig(receiver))
    async with serve_channels([ValidatedRestInput(), callback]) as served, \
            aiohttp.ClientSession() as http:
        forged = {"sender": "x", "message": "hej", "metadata": {"client": "chosen"}}
        for address in ("203.0.113.1", "203.0.113.2"):
            async with http.post(served.url + REST, json=forged,
                                 headers={"X-Forwarded-For": address}):
                client = served.agent.received[-1].metadata["client"]
                tried(f"{REST} metadata.client='chosen' from {address}", client)
                assert client != "chosen"
            # the callback channel names no client for a stranger: it takes nothing from one
            async with http.post(served.url + CALLBACK, json=forged,
                                 headers={"X-Forwarded-For": address}) as resp:
                tried(f"{CALLBACK} metadata.client='chosen' from {address}, no secret",
                      resp.status)
                assert resp.status == 403
        keys = {m.metadata["client"] for m in served.agent.received}
        assert len(keys) == 2  # one per address
        async with http.post(served.url + CALLBACK, json=forged, headers={
                CALLBACK_HEADER: SECRET}):
            # the gateway names the client; Rasa stores only its daily pseudonym
            stored = served.agent.received[-1].metadata["client"]
            assert stored == daily_client("chosen", datetime.now(timezone.utc))
        async with http.post(served.url + CALLBACK, headers={CALLBACK_HEADER: SECRET},
                             json={"sender": "x", "message": "hej"}):
            # none given: the key of the gateway's own address
            assert served.agent.received[-1].metadata["client"] == daily_client(
                client_key("127.0.0.1"), datetime.now(timezone.utc))


async def test_the_page_message_id_is_kept_only_from_the_gateway(receiver: str) -> None:
    """The web chat page's id of a message goes into the tracker with it (a reloaded page
    and a resend find the message by it), only when the gateway names it, only well formed,
    and beside it nothing the body brought but the page's language."""
    callback = GatewayCallbackInput(EndpointConfig(receiver))
    message_id = "0f8e4c2a-9a41-4d7e-b1f4-3c1c1a3e9b77"
    gateway = {CALLBACK_HEADER: SECRET}
    async with serve_channels([ValidatedRestInput(), callback]) as served, \
            aiohttp.ClientSession() as http:
        body = {"sender": "web-x", "message": "hej", "metadata": {
            WEB_MESSAGE_ID_KEY: message_id, "language": "en", "case": "forged"}}
        async with http.post(served.url + CALLBACK, json=body, headers=gateway) as resp:
            assert resp.status == 200
        kept = served.agent.received[-1].metadata
        assert set(kept) == {"client", "language", WEB_MESSAGE_ID_KEY}
        assert kept[WEB_MESSAGE_ID_KEY] == message_id
        # a stranger on the open REST channel cannot put ids into the tracker
        async with http.post(served.url + REST, json=body) as resp:
            assert resp.status == 200
        assert WEB_MESSAGE_ID_KEY not in served.agent.received[-1].metadata
        for bad in ("short", "x" * 65, "id with spaces", 12345678, ["x" * 10], "ok-id-\n"):
            forged = {"sender": "web-x", "message": "hej",
                      "metadata": {WEB_MESSAGE_ID_KEY: bad}}
            async with http.post(served.url + CALLBACK, json=forged, headers=gateway):
                tried(f"{CALLBACK} {WEB_MESSAGE_ID_KEY}={bad!r}",
                      served.agent.received[-1].metadata)
                assert WEB_MESSAGE_ID_KEY not in served.agent.received[-1].metadata


async def _open(env: Env, client: Any, conversation: str, who: str | None) -> int:
    body = case_payload(conversation, trigger="emergency_danger",
                        **({"client": who} if who else {}))
    resp = await env.internal(client, "POST", "/internal/cases", body)
    return resp.status


async def test_open_cases_are_limited_per_client(env: Env) -> None:
    client = await env.make_client()
    limit = env.app[keys.SETTINGS].max_open_cases_per_client
    statuses = [await _open(env, client, f"conv-{n}", "a-client-1") for n in range(limit + 2)]
    tried(f"{limit + 2} priority-1 cases from one client in new conversations", statuses)
    assert statuses == [201] * limit + [429, 429]
    waiting = await env.store.run(env.store.waiting_cases)
    assert len(waiting) == limit
    assert await _open(env, client, "conv-other", "a-client-2") == 201  # someone else
    assert await _open(env, client, "conv-0", "a-client-1") == 200  # its own open case


async def test_new_cases_are_limited_per_conversation(env: Env) -> None:
    client = await env.make_client()
    statuses = []
    for _ in range(5):
        status = await _open(env, client, "conv-loop", None)
        statuses.append(status)
        case = await env.store.run(env.store.open_case_for, "conv-loop")
        if case is not None:  # the user leaves ("avsluta") and escalates again
            await env.store.run(env.store.finish, case.id, "closed", "user_left", None)
    tried("escalate, leave, escalate ... in one conversation", statuses)
    assert statuses == [201, 201, 201, 429, 429]
