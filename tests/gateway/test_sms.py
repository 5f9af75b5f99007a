"""SMS through the real gateway app: signed Twilio posts (twilio's RequestValidator),
46elks posts, outbound API calls checked by the simulated providers."""

from __future__ import annotations

from typing import Any

import pytest

from bot.gateway import keys, texts
from bot.gateway.vault import SMS_PREFIX, pseudonym
from tests.gateway.conftest import GatewayEnv
from tests.gateway.helpers import (
    ELKS_SECRET,
    OUR_NUMBER,
    TWILIO_TOKEN,
    elks_post,
    twilio_post,
    wait_until,
)

NUMBER = "+46701234567"


async def twilio_says(gw: GatewayEnv, body: str, number: str = NUMBER, **kw: Any) -> Any:
    url = gw.url("/sms/twilio")
    data, headers = twilio_post(url, number, body, **kw)
    return await gw.client.post("/sms/twilio", data=data, headers=headers)


async def elks_says(gw: GatewayEnv, body: str, number: str = NUMBER) -> Any:
    data, headers = elks_post(number, body)
    return await gw.client.post(f"/sms/46elks/{ELKS_SECRET}", data=data, headers=headers)


async def test_twilio_signed_message_gets_a_reply_through_the_rest_api(gw: GatewayEnv) -> None:
    resp = await twilio_says(gw, "hej")
    assert resp.status == 200
    assert "<Response></Response>" in await resp.text()
    await wait_until(lambda: gw.providers.sent)
    sent = gw.providers.sent[0]
    assert sent == {**sent, "provider": "twilio", "to": NUMBER, "from": OUR_NUMBER,
                    "body": "Svar: hej"}
    # Rasa saw only the keyed hash, never the number
    sender, text = gw.rasa.received[0]
    assert sender == pseudonym(gw.settings.secret, NUMBER, SMS_PREFIX)
    assert "701234567" not in sender and text == "hej"
    gw.app[keys.VAULT].engine.dispose()
    assert b"701234567" not in gw.vault_path.read_bytes()


@pytest.mark.parametrize("tamper", ["forged", "unsigned", "other-token", "changed-body"])
async def test_twilio_forged_or_unsigned_is_403_and_nothing_stored(gw: GatewayEnv,
                                                                   tamper: str) -> None:
    url = gw.url("/sms/twilio")
    token = "wrong-token" if tamper == "other-token" else TWILIO_TOKEN
    data, headers = twilio_post(url, NUMBER, "hej", token=token)
    if tamper == "forged":
        headers["X-Twilio-Signature"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
    elif tamper == "unsigned":
        del headers["X-Twilio-Signature"]
    elif tamper == "changed-body":
        data = data.replace(b"hej", b"haj")
    resp = await gw.client.post("/sms/twilio", data=data, headers=headers)
    assert resp.status == 403
    assert gw.rasa.received == []
    assert gw.app[keys.VAULT].count() == 0
    assert gw.providers.sent == []


async def test_46elks_reply_via_api_with_basic_auth_and_empty_webhook_answer(
        gw: GatewayEnv) -> None:
    resp = await elks_says(gw, "hej")
    assert resp.status == 200 and await resp.text() == ""
    await wait_until(lambda: gw.providers.sent)
    assert gw.providers.sent[0]["provider"] == "46elks"
    assert gw.providers.sent[0]["to"] == NUMBER and gw.providers.sent[0]["from"] == OUR_NUMBER
    assert gw.providers.rejected == 0


async def test_46elks_wrong_secret_is_403_and_nothing_stored(gw: GatewayEnv) -> None:
    data, headers = elks_post(NUMBER, "hej")
    resp = await gw.client.post("/sms/46elks/not-the-secret", data=data, headers=headers)
    assert resp.status == 403
    assert gw.rasa.received == [] and gw.app[keys.VAULT].count() == 0


async def test_buttons_become_numbered_choices_and_a_digit_picks_one(gw: GatewayEnv) -> None:
    await elks_says(gw, "knappar")
    await wait_until(lambda: gw.providers.sent)
    body = gw.providers.sent[0]["body"]
    assert "1. Hur man hoppar av\n2. Är jag anonym?\n3. Vilken hjälp finns" in body
    assert body.endswith("Svara 1, 2 eller 3.")
    await elks_says(gw, "2")
    assert gw.rasa.received[-1][1] == "/ask_anonymity"
    # the choice is used up: another "2" is just text
    await elks_says(gw, "2")
    assert gw.rasa.received[-1][1] == "2"


async def test_long_reply_is_split_into_ordered_parts(gw: GatewayEnv) -> None:
    await twilio_says(gw, "lång")
    await wait_until(lambda: len(gw.providers.sent) >= 2)
    await gw.app[keys.SMS].drain()
    bodies = gw.providers.bodies(NUMBER)
    assert all(len(b) <= gw.settings.sms_max_chars for b in bodies)
    assert [b.rsplit("(", 1)[1] for b in bodies] == [f"{i}/{len(bodies)})"
                                                   for i in range(1, len(bodies) + 1)]


async def test_coach_message_later_goes_out_as_sms_with_a_label(gw: GatewayEnv) -> None:
    await elks_says(gw, "hej")
    await wait_until(lambda: gw.providers.sent)
    sender = gw.rasa.received[0][0]
    await gw.rasa.push(sender, "Hej, jag heter Anna och är coach.", coach=True)
    await wait_until(lambda: len(gw.providers.sent) == 2)
    label = texts.text("utter_web_coach_label", "sv")
    assert gw.providers.sent[1]["body"] == f"{label}: Hej, jag heter Anna och är coach."


@pytest.mark.parametrize("word", ["STOP", "Sluta", "stopp"])
async def test_stop_deletes_the_number_and_confirms(gw: GatewayEnv, word: str) -> None:
    await twilio_says(gw, "hej")
    await wait_until(lambda: gw.providers.sent)
    sender = gw.rasa.received[0][0]
    assert gw.app[keys.VAULT].count() == 1
    await twilio_says(gw, word)
    assert gw.app[keys.VAULT].count() == 0
    await wait_until(lambda: len(gw.providers.sent) == 2)
    assert gw.providers.sent[1]["body"] == texts.text("utter_sms_stopped", "sv")
    assert gw.rasa.received[-1] == (sender, "stop")  # closes an open coach case
    # a later coach message cannot reach the deleted number
    await gw.rasa.push(sender, "Är du kvar?", coach=True)
    await gw.app[keys.SMS].drain()
    assert len(gw.providers.sent) == 2
    assert all("Är du kvar" not in b for b in gw.providers.bodies())


@pytest.mark.parametrize("settings_overrides", [{"rate_conversation": (3, 60)}])
async def test_flood_from_one_number_gets_one_polite_answer(gw: GatewayEnv) -> None:
    for i in range(8):
        resp = await elks_says(gw, f"meddelande {i}")
        assert resp.status == 200
    await gw.app[keys.SMS].drain()
    assert len(gw.rasa.received) == 3
    limited = texts.text("utter_gateway_rate_limited", "sv")
    assert gw.providers.bodies().count(limited) == 1


async def test_bad_input_is_a_clear_4xx(gw: GatewayEnv) -> None:
    url = gw.url("/sms/twilio")
    # signed, but no From
    data, headers = twilio_post(url, NUMBER, "hej")
    params = dict(p.split("=", 1) for p in data.decode().split("&"))
    del params["From"]
    from urllib.parse import unquote_plus, urlencode

    from twilio.request_validator import RequestValidator
    clean = {k: unquote_plus(v) for k, v in params.items()}
    headers["X-Twilio-Signature"] = RequestValidator("twilio-test-auth-token"
                                                     ).compute_signature(url, clean)
    resp = await gw.client.post("/sms/twilio", data=urlencode(clean), headers=headers)
    assert resp.status == 400
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    # invalid UTF-8 (raw and percent-encoded)
    resp = await gw.client.post(f"/sms/46elks/{ELKS_SECRET}", data=b"from=%2B46701234567&to=1"
                                b"&message=\xff\xfe", headers=form)
    assert resp.status == 400
    resp = await gw.client.post(f"/sms/46elks/{ELKS_SECRET}",
                                data=b"from=%2B46701234567&message=%FF", headers=form)
    assert resp.status == 400
    # huge body
    resp = await gw.client.post(f"/sms/46elks/{ELKS_SECRET}", data=b"message=" + b"a" * 200_000,
                                headers=form)
    assert resp.status == 413
    # not a form, missing fields, not a phone number
    resp = await gw.client.post(f"/sms/46elks/{ELKS_SECRET}", json={"from": NUMBER})
    assert resp.status == 415
    resp = await gw.client.post(f"/sms/46elks/{ELKS_SECRET}", data=b"from=%2B46701234567",
                                headers=form)
    assert resp.status == 400
    resp = await gw.client.post(f"/sms/46elks/{ELKS_SECRET}", data=b"from=abc&message=hej",
                                headers=form)
    assert resp.status == 400
    assert gw.rasa.received == [] and gw.app[keys.VAULT].count() == 0


async def test_rasa_down_gets_a_polite_sms(gw: GatewayEnv) -> None:
    gw.rasa.fail = True
    resp = await elks_says(gw, "hej")
    assert resp.status == 200
    await wait_until(lambda: gw.providers.sent)
    assert gw.providers.sent[0]["body"] == texts.text("utter_gateway_unavailable", "sv")
