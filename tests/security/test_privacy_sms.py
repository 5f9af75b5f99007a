"""SMS privacy through the real gateway app: provider errors never put a number in the log,
and a replayed Twilio webhook (same MessageSid) is answered 200 and handled once."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from twilio.request_validator import RequestValidator

from bot.gateway import keys
from bot.gateway.app import create_app
from bot.gateway.sms import provider_failure
from tests.gateway.conftest import base_settings
from tests.gateway.helpers import (
    ELKS_SECRET,
    OUR_NUMBER,
    TWILIO_SID,
    TWILIO_TOKEN,
    FakeProviders,
    FakeRasa,
    elks_post,
    twilio_post,
)

NUMBER = "+46701234567"
# every way the number can come back from a provider
ECHOES = [NUMBER, "46701234567", "0701234567", "070-123 45 67", "+46 70 123 45 67"]


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


class RefusingProviders(FakeProviders):
    """Both providers refuse every message with an error body that echoes the number."""

    async def _twilio(self, request: web.Request) -> web.Response:
        form = await request.post()
        return web.json_response(
            {"code": 21211, "status": 400, "more_info": "https://www.twilio.com/docs/errors/21211",
             "message": f"The 'To' number {form['To']} (070-123 45 67) is not a valid phone "
                        f"number. Body was: jag heter Kalle, ring mig"}, status=400)

    async def _elks(self, request: web.Request) -> web.Response:
        form = await request.post()
        return web.Response(status=403, text=f"Invalid to number: {form['to']} / +46 70 123 45 67"
                                             f" kalle.anka@example.com")


async def _gateway(tmp_path: Path, providers: FakeProviders) -> AsyncIterator[dict[str, Any]]:
    rasa = FakeRasa()
    rasa_server = TestServer(rasa.make_app(), host="127.0.0.1")
    prov_server = TestServer(providers.make_app(), host="127.0.0.1")
    await rasa_server.start_server()
    await prov_server.start_server()
    settings = base_settings(str(rasa_server.make_url("")).rstrip("/"),
                             str(prov_server.make_url("")).rstrip("/"), tmp_path / "vault.db")
    client = TestClient(TestServer(create_app(settings), host="127.0.0.1"))
    await client.start_server()
    rasa.callback_url = str(client.make_url("/rasa/callback"))
    try:
        yield {"client": client, "rasa": rasa, "providers": providers, "settings": settings}
    finally:
        await client.server.app[keys.SMS].drain()
        await client.close()
        await rasa_server.close()
        await prov_server.close()


@pytest.fixture
async def refusing(tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    async for env in _gateway(tmp_path, RefusingProviders()):
        yield env


@pytest.fixture
async def normal(tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    async for env in _gateway(tmp_path, FakeProviders()):
        yield env


async def test_provider_error_bodies_never_reach_the_log(refusing: dict[str, Any],
                                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client: TestClient = refusing["client"]
    url = str(client.make_url("/sms/twilio"))
    data, headers = twilio_post(url, NUMBER, "hej")
    assert (await client.post("/sms/twilio", data=data, headers=headers)).status == 200
    data, headers = elks_post(NUMBER, "hej")
    assert (await client.post(f"/sms/46elks/{ELKS_SECRET}", data=data,
                              headers=headers)).status == 200
    await client.server.app[keys.SMS].drain()
    log = "\n".join(r.getMessage() for r in caplog.records)
    failures = [line for line in log.splitlines() if "answered" in line]
    print("tried: Twilio 400 and 46elks 403 bodies echoing", ECHOES[:1],
          "plus a name and an e-mail; logged:")
    for line in failures:
        print("   ", line)
    assert any("Twilio answered 400 (code 21211)" in line for line in failures), log
    assert any("46elks answered 403" in line for line in failures), log
    for echo in ECHOES:
        assert _digits(echo)[-7:] not in _digits(log), echo
    assert "Kalle" not in log and "kalle.anka" not in log
    print("nothing of the number, the name or the e-mail is in the log")


@pytest.mark.parametrize("body", [
    '{"code": 21211, "message": "The \'To\' number +358 40 123 4567 is not valid"}',
    "Invalid 'to': 46701234567",
    "number 070 - 123 45 67 blocked",
    "",
    "not json {",
])
def test_provider_failure_keeps_status_and_code_only(body: str) -> None:
    line = provider_failure("Twilio", 400, body)
    print(f"{body!r} -> {line!r}")
    assert line.startswith("Twilio answered 400")
    assert not re.search(r"\d[\d\s-]{5,}\d", line.replace("21211", "")), line


async def test_replayed_twilio_webhook_is_answered_and_handled_once(
        normal: dict[str, Any], tmp_path: Path) -> None:
    client: TestClient = normal["client"]
    url = str(client.make_url("/sms/twilio"))
    data, headers = twilio_post(url, NUMBER, "hej", extra={"MessageSid": "SM" + "7" * 32})
    answers = [(await client.post("/sms/twilio", data=data, headers=headers)).status
               for _ in range(3)]
    await client.server.app[keys.SMS].drain()
    print(f"same signed webhook posted 3 times: answers {answers}, Rasa got "
          f"{len(normal['rasa'].received)}, replies sent {len(normal['providers'].sent)}")
    assert answers == [200, 200, 200]
    assert len(normal["rasa"].received) == 1
    assert len(normal["providers"].sent) == 1
    # a new message from the same number is handled
    data2, headers2 = twilio_post(url, NUMBER, "hej igen")
    assert (await client.post("/sms/twilio", data=data2, headers=headers2)).status == 200
    assert len(normal["rasa"].received) == 2
    # a replay after a restart of the gateway (same vault) is still recognised
    port = client.port  # the signed URL names it
    app2 = create_app(replace(normal["settings"]))
    client2 = TestClient(TestServer(app2, host="127.0.0.1", port=port))
    await client.close()
    await client2.start_server()
    try:
        assert (await client2.post("/sms/twilio", data=data, headers=headers)).status == 200
        assert len(normal["rasa"].received) == 2
        print("replayed after a restart: 200, not handled")
    finally:
        await client2.close()
    # and a signed request without a MessageSid is a clear 400
    params = {"AccountSid": TWILIO_SID, "From": NUMBER, "To": OUR_NUMBER, "Body": "hej"}
    data3 = urlencode(params).encode()
    headers3 = {"X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(
        url, params), "Content-Type": "application/x-www-form-urlencoded"}
    client3 = TestClient(TestServer(create_app(normal["settings"]), host="127.0.0.1",
                                    port=port))
    await client3.start_server()
    try:
        resp3 = await client3.post("/sms/twilio", data=data3, headers=headers3)
        print("no MessageSid:", resp3.status, await resp3.text())
        assert resp3.status == 400
    finally:
        await client3.close()
