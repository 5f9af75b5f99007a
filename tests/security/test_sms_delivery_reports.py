"""An SMS the provider accepted but could not deliver reaches the coach: the real escalation
service, the real gateway (Twilio status callback, 46elks delivery report) and Rasa's real
callback output channel between them; the simulated providers send the reports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from escalation_helpers import Env, login, wait_for
from rasa.utils.endpoints import EndpointConfig

from bot.gateway import keys
from bot.gateway.app import create_app
from bot.gateway.rasa_channel import GatewayCallbackOutput
from bot.gateway.settings import CALLBACK_HEADER
from bot.gateway.vault import SMS_PREFIX, pseudonym
from tests.conftest import free_port
from tests.gateway.conftest import base_settings
from tests.gateway.helpers import ELKS_SECRET, FakeProviders, FakeRasa, elks_post, twilio_post
from tests.security.conftest import tried

NUMBER = "+46701234567"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """The escalation service knows the gateway's callback token (base_settings' value)."""
    return {"gateway_token": "test-callback-token"}


@pytest.fixture
async def system(env: Env, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    """The gateway, told where the escalation service is, with a public URL for reports."""
    rasa, providers = FakeRasa(), FakeProviders()
    rasa_server = TestServer(rasa.make_app(), host="127.0.0.1")
    prov_server = TestServer(providers.make_app(), host="127.0.0.1")
    await rasa_server.start_server()
    await prov_server.start_server()
    port = free_port()
    settings = replace(
        base_settings(str(rasa_server.make_url("")).rstrip("/"),
                      str(prov_server.make_url("")).rstrip("/"), tmp_path / "vault.db"),
        public_url=f"http://127.0.0.1:{port}",
        escalation_url=str(env.server.make_url("")).rstrip("/"))
    gateway = TestClient(TestServer(create_app(settings), host="127.0.0.1", port=port))
    await gateway.start_server()
    rasa.callback_url = str(gateway.make_url("/rasa/callback"))
    rasa.callback_headers = {CALLBACK_HEADER: settings.callback_token}
    try:
        yield {"gateway": gateway, "providers": providers, "settings": settings,
               "vault": tmp_path / "vault.db"}
    finally:
        await gateway.server.app[keys.SMS].drain()
        await gateway.close()
        await rasa_server.close()
        await prov_server.close()


async def _coach_case(env: Env, sender: str) -> tuple[TestClient, str, dict[str, str]]:
    await env.create_coach("anna")
    client = await env.make_client()
    csrf = await login(client, "anna")
    case_id = (await env.open_case(client, sender))["case_id"]
    headers = {"X-CSRF-Token": csrf}
    assert (await client.post(f"/api/cases/{case_id}/claim", headers=headers)).status == 200
    return client, case_id, headers


async def _coach_sms(env: Env, system: dict[str, Any], client: TestClient, case_id: str,
                     headers: dict[str, str], sender: str, text: str) -> dict[str, str]:
    """The coach writes; Rasa's callback output (the real class) carries it to the gateway,
    which sends it to the provider: the provider's record of that SMS."""
    resp = await client.post(f"/api/cases/{case_id}/messages", json={"text": text},
                             headers=headers)
    assert resp.status == 201
    event = [e for e in env.rasa.events(sender) if e.get("event") == "bot"][-1]
    output = GatewayCallbackOutput(EndpointConfig(
        str(system["gateway"].make_url("/rasa/callback")),
        headers={CALLBACK_HEADER: system["settings"].callback_token}))
    await output.send_response(sender, {"text": event["text"], **event["metadata"]})
    providers: FakeProviders = system["providers"]
    await wait_for(lambda: any(text in m["body"] for m in providers.sent), 5)
    return [m for m in providers.sent if text in m["body"]][-1]


async def _case(client: TestClient, case_id: str) -> tuple[list[dict], list[dict]]:
    events = (await (await client.get(f"/api/cases/{case_id}")).json())["events"]
    transcript = (await (await client.get(f"/api/cases/{case_id}/transcript")).json())
    return events, transcript["transcript"]


async def _inbound(system: dict[str, Any], provider: str) -> None:
    gateway: TestClient = system["gateway"]
    if provider == "twilio":
        data, headers = twilio_post(str(gateway.make_url("/sms/twilio")), NUMBER, "hej")
        path = "/sms/twilio"
    else:
        data, headers = elks_post(NUMBER, "hej")
        path = f"/sms/46elks/{ELKS_SECRET}"
    assert (await gateway.post(path, data=data, headers=headers)).status == 200


@pytest.mark.parametrize(("provider", "status", "code"),
                         [("twilio", "undelivered", "30003"), ("46elks", "failed", "")])
async def test_a_failed_sms_is_shown_to_the_coach(env: Env, system: dict[str, Any],
                                                  provider: str, status: str,
                                                  code: str) -> None:
    await _inbound(system, provider)
    sender = pseudonym(system["settings"].secret, NUMBER, SMS_PREFIX)
    client, case_id, headers = await _coach_case(env, sender)
    sent = await _coach_sms(env, system, client, case_id, headers, sender, "Hej, jag är Anna.")
    assert sent["report_url"], "the gateway asks the provider for delivery reports"
    gateway: TestClient = system["gateway"]
    providers: FakeProviders = system["providers"]

    # forged reports: wrong signature, wrong secret path
    forged = sent["report_url"].replace(ELKS_SECRET, "guessed-secret-000000")
    bad = await providers.report(sent, status, code, token="not-the-token", url=forged)
    tried(f"{provider}: forged '{status}' report", bad)
    assert bad == 403
    events, _ = await _case(client, case_id)
    assert not [e for e in events if e["data"].get("warning") == "sms_not_delivered"]

    # an ordinary report first ("delivered" / "sent"): nothing to show
    assert await providers.report(sent, "sent") in (200, 204)
    answers = [await providers.report(sent, status, code) for _ in range(3)]  # with replays
    tried(f"{provider}: '{status}' report, then the same twice more", answers)
    assert all(a in (200, 204) for a in answers)
    events, transcript = await _case(client, case_id)
    coach = [e for e in events if e["kind"] == "coach"][-1]
    warnings = [e for e in events if e["data"].get("warning") == "sms_not_delivered"]
    in_transcript = [m for m in transcript if m["who"] == "coach"]
    tried(f"{provider}: what the coach's case API shows",
          f"message delivery={coach['data'].get('delivery')!r}, warnings={len(warnings)}, "
          f"transcript delivery={in_transcript[-1].get('delivery')!r}")
    assert coach["data"]["delivery"] == "failed"
    assert len(warnings) == 1 and status in warnings[0]["text"]
    assert in_transcript[-1]["delivery"] == "failed"

    # a report for an SMS this gateway never sent is answered and changes nothing
    unknown = dict(sent, id=sent["id"][:-4] + "beef")
    assert await providers.report(unknown, status, code) in (200, 204)
    assert len([e for e in (await _case(client, case_id))[0]
                if e["data"].get("warning") == "sms_not_delivered"]) == 1

    # the number is nowhere in clear: not in the vault's bytes, not in the service's answers
    await gateway.server.app[keys.SMS].drain()
    raw = b"".join(p.read_bytes() for p in system["vault"].parent.glob("vault.db*"))
    assert NUMBER.encode() not in raw and NUMBER[1:].encode() not in raw
    assert NUMBER[1:] not in str(events)


async def test_a_failed_bot_reply_warns_on_the_open_case(env: Env,
                                                         system: dict[str, Any]) -> None:
    await _inbound(system, "46elks")
    sender = pseudonym(system["settings"].secret, NUMBER, SMS_PREFIX)
    client, case_id, _ = await _coach_case(env, sender)
    providers: FakeProviders = system["providers"]
    reply = [m for m in providers.sent if m["body"].startswith("Svar: hej")][-1]
    assert await providers.report(reply, "failed") == 200
    events, _ = await _case(client, case_id)
    warnings = [e for e in events if e["data"].get("warning") == "sms_not_delivered"]
    tried("46elks: the bot's reply reported failed while a case is open", len(warnings))
    assert len(warnings) == 1 and "chattboten" in warnings[0]["text"]
