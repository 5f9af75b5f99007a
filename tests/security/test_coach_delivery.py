"""Coach messages go to the case's own channel, and a message that does not reach the user
is shown to the coach as not delivered (the real escalation service with FakeRasa, Rasa's
real channel blueprints and output channel, the real gateway)."""

from __future__ import annotations

import aiohttp
import pytest
from escalation_helpers import Env, login
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot.protocol import CALLBACK_HEADER
from bot.rasa_plugins.channels.callback import GatewayCallbackOutput
from bot.rasa_plugins.channels.rest import ValidatedRestInput
from tests.gateway.conftest import GatewayEnv
from tests.sanic_channels import serve_channels
from tests.security.conftest import tried


async def _coach_writes(env: Env, channel: str, text: str) -> tuple[int, dict, list[dict]]:
    await env.create_coach("anna")
    client = await env.make_client()
    csrf = await login(client, "anna")
    cid = (await env.open_case(client, f"conv-{channel}", channel=channel))["case_id"]
    headers = {"X-CSRF-Token": csrf}
    assert (await client.post(f"/api/cases/{cid}/claim", headers=headers)).status == 200
    resp = await client.post(f"/api/cases/{cid}/messages", json={"text": text},
                             headers=headers)
    body = await resp.json()
    events = (await (await client.get(f"/api/cases/{cid}")).json())["events"]
    return resp.status, body, events


async def test_coach_message_goes_to_the_case_channel_not_the_latest(env: Env) -> None:
    status, body, _ = await _coach_writes(env, "callback", "Hej, jag heter Anna.")
    post = [c for c in env.rasa.calls if c["method"] == "POST"][-1]
    tried("coach writes in a case opened on the callback channel",
          f"{status}, output_channel={post['query'].get('output_channel')!r}")
    assert status == 201 and post["query"].get("output_channel") == "callback"
    assert body["event"]["data"]["delivered"] is True


async def test_coach_is_told_when_the_channel_cannot_push(env: Env) -> None:
    status, body, events = await _coach_writes(env, "rest", "Hej, jag heter Anna.")
    post = [c for c in env.rasa.calls if c["method"] == "POST"][-1]
    warnings = [e for e in events if e["data"].get("warning") == "not_delivered"]
    tried("coach writes in a case opened on the REST channel",
          f"{status}, output_channel={post['query'].get('output_channel')!r}, "
          f"warnings={len(warnings)}")
    assert "output_channel" not in post["query"]  # stored in the tracker, pushed nowhere
    assert body["event"]["data"]["delivered"] is False
    assert len(warnings) == 1 and "rest" in warnings[0]["text"]


async def test_a_rest_client_cannot_name_its_input_channel(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REST_RATE_PER_ADDRESS", "1000/60")
    async with serve_channels([ValidatedRestInput()]) as served, aiohttp.ClientSession() as http:
        for channel in ("callback", "twilio", "=cmd"):
            async with http.post(served.url + "/webhooks/rest/webhook", json={
                    "sender": "web-someone", "message": "hej", "input_channel": channel}):
                got = served.agent.received[-1].input_channel
                tried(f"REST body input_channel={channel!r}", got)
                assert got == "rest"


async def test_a_refused_coach_message_is_not_hidden(gw: GatewayEnv) -> None:
    """The gateway refuses a post (here: no secret); Rasa's stock output only logged that.
    Ours raises for coach messages, so the tracker API fails and the coach sees it."""
    url = gw.url("/rasa/callback")
    unsigned = GatewayCallbackOutput(EndpointConfig(url))
    with pytest.raises(ClientResponseError) as exc:
        await unsigned.send_text_message("web-x", "Hej från coachen", coach=True)
    tried("coach message to a gateway that refuses it", f"raised {exc.value.status}")
    assert exc.value.status == 403
    await unsigned.send_text_message("web-x", "vanligt bot-svar")  # bot replies: only logged
    signed = GatewayCallbackOutput(EndpointConfig(
        url, headers={CALLBACK_HEADER: gw.settings.callback_token}))
    await signed.send_text_message("web-x", "Hej från coachen", coach=True)  # delivered
