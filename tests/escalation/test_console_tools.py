"""Coach tools and the walls around them: the young person's presence (internal API, explicit
fields), private notes, transfer to a colleague, the scrubbed export, closing a handed-back
case, canned defaults from the content file and plain labels instead of raw names."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from escalation_helpers import Env, coach_client, post_json

from bot import content
from bot.escalation import labels
from bot.gateway.settings import CALLBACK_HEADER

GW_TOKEN = "tools-gateway-token"
# the gateway's calls (presence) carry GATEWAY_CALLBACK_TOKEN, never the internal token
pytestmark = pytest.mark.parametrize("settings_overrides", [{"gateway_token": GW_TOKEN}])


async def _presence(client: TestClient, conversation: str, body: Any,
                    token: str | None = GW_TOKEN) -> Any:
    headers = {CALLBACK_HEADER: token} if token else {}
    return await client.post(f"/internal/gateway/conversations/{conversation}/presence",
                             json=body, headers=headers)

_coach, _post = coach_client, post_json


async def _claimed(env: Env, client: TestClient, csrf: str, conversation: str,
                   **kwargs: Any) -> str:
    cid = (await env.open_case(client, conversation, **kwargs))["case_id"]
    assert (await _post(client, f"/api/cases/{cid}/claim", csrf)).status == 200
    return cid


async def _events(client: TestClient, cid: str) -> list[dict[str, Any]]:
    resp = await client.get(f"/api/cases/{cid}")
    assert resp.status == 200
    return (await resp.json())["events"]


# ---- the young person's presence -------------------------------------------------------------


async def test_presence_reports_need_the_gateway_token_and_a_known_reason(env: Env) -> None:
    client, csrf = await _coach(env, "anna")
    cid = await _claimed(env, client, csrf, "web-p1")
    assert (await _presence(client, "web-p1", {"reason": "no_page"}, token=None)).status == 401
    assert (await _presence(client, "web-p1", {"reason": "no_page"}, token="x")).status == 401
    # the internal token (the Rasa side's) is not the gateway's
    assert (await env.internal(client, "POST", "/internal/gateway/conversations/web-p1/presence",
                               {"reason": "no_page"})).status == 401
    # a console session is no gateway token either
    assert (await _post(client, "/internal/gateway/conversations/web-p1/presence", csrf,
                        {"reason": "no_page"})).status == 401
    for bad in ({"reason": "gone"}, {"reason": ["no_page"]}, {}, []):
        assert (await _presence(client, "web-p1", bad)).status == 400, bad
    assert (await _presence(client, "web-none", {"reason": "no_page"})).status == 404
    resp = await _presence(client, "web-p1", {"reason": "no_page"})
    assert resp.status == 202 and (await resp.json())["presence"] == "offline"
    # the same report twice is shown once; coming back is shown
    await _presence(client, "web-p1", {"reason": "no_page"})
    await _presence(client, "web-p1", {"reason": "page_open"})
    shown = [e for e in await _events(client, cid) if e["data"].get("presence")]
    assert [e["data"]["reason"] for e in shown] == ["no_page", "page_open"]
    assert shown[0]["text"] == labels.PRESENCE_LABELS["no_page"]


async def test_quick_exit_is_shown_and_the_case_stays_for_an_outcome(env: Env) -> None:
    client, csrf = await _coach(env, "anna")
    cid = await _claimed(env, client, csrf, "web-q1")
    assert (await _presence(client, "web-q1", {"reason": "quick_exit"})).status == 202
    left = [e for e in await _events(client, cid) if e["data"].get("presence") == "left"]
    assert left and "snabbutgång" in left[0]["text"]
    case = (await (await client.get(f"/api/cases/{cid}")).json())["case"]
    assert case["status"] == "claimed"  # the coach closes it with an outcome


async def test_sms_stop_closes_the_case_through_the_explicit_field(env: Env) -> None:
    client, csrf = await _coach(env, "anna")
    cid = await _claimed(env, client, csrf, "sms-s1")
    resp = await _presence(client, "sms-s1", {"reason": "sms_stop"})
    assert resp.status == 202 and (await resp.json())["status"] == "closed"
    case = (await (await client.get(f"/api/cases/{cid}")).json())["case"]
    assert case["status"] == "closed" and case["outcome"] == "user_left"
    assert env.rasa.events("sms-s1")[-1]["metadata"] == {"handoff": "coach_left"}
    reasons = [e["data"].get("reason") for e in await _events(client, cid)]
    assert "sms_stop" in reasons


# ---- private notes ---------------------------------------------------------------------------


async def test_notes_are_the_holders_only_and_never_reach_the_young_person(env: Env) -> None:
    anna, csrf_a = await _coach(env, "anna")
    berit, csrf_b = await _coach(env, "berit")
    cid = await _claimed(env, anna, csrf_a, "web-n1")
    secret = "Anteckning: verkar rädd för sin bror"
    path = f"/api/cases/{cid}/notes"
    assert (await anna.post(path, json={"text": secret})).status == 403  # no CSRF token
    assert (await (await env.make_client()).post(path, json={"text": secret})).status == 401
    assert (await _post(berit, path, csrf_b, {"text": secret})).status == 403
    for bad in ({"text": ""}, {"text": "  "}, {"text": 5}, {"text": "x" * 4001}, {}):
        assert (await _post(anna, path, csrf_a, bad)).status == 400, bad
    assert (await anna.post(path, data=b"{", headers={"X-CSRF-Token": csrf_a,
                                                       "Content-Type": "application/json"})
            ).status == 400
    resp = await _post(anna, path, csrf_a, {"text": secret})
    assert resp.status == 201
    note = (await resp.json())["event"]
    assert note["kind"] == "note" and note["coach"] == "anna"
    assert [e["text"] for e in await _events(anna, cid) if e["kind"] == "note"] == [secret]
    # stored scrubbed: no phone number or e-mail in clear on disk, even in a coach's note
    resp = await _post(anna, path, csrf_a, {"text": "ring 070-123 45 67 eller a.b@example.com"})
    stored = (await resp.json())["event"]["text"]
    assert "070-123 45 67" not in stored and "a.b@example.com" not in stored
    assert (await berit.get(f"/api/cases/{cid}")).status == 403
    # nothing of it went to Rasa (the only way anything reaches the young person)
    assert all(secret not in str(call) for call in env.rasa.calls)
    assert (await _post(anna, "/api/cases/nope/notes", csrf_a, {"text": "x"})).status == 404


# ---- transfer --------------------------------------------------------------------------------


async def test_transfer_moves_the_case_to_an_online_colleague_and_is_audited(env: Env) -> None:
    anna, csrf_a = await _coach(env, "anna")
    berit, csrf_b = await _coach(env, "berit")
    cid = await _claimed(env, anna, csrf_a, "web-t1")
    path = f"/api/cases/{cid}/transfer"
    assert (await anna.post(path, json={"to": "berit"})).status == 403  # no CSRF token
    assert (await _post(berit, path, csrf_b, {"to": "berit"})).status == 403  # not the holder
    for bad in ({"to": ""}, {"to": 3}, {"to": "nobody"}, {"to": "anna"}, {}):
        assert (await _post(anna, path, csrf_a, bad)).status == 400, bad
    colleagues = await (await anna.get("/api/colleagues")).json()
    assert colleagues == {"colleagues": ["berit"]}
    # a colleague who is away is not offered and cannot be chosen
    await _post(berit, "/api/presence", csrf_b, {"status": "away"})
    assert (await _post(anna, path, csrf_a, {"to": "berit"})).status == 400
    await _post(berit, "/api/presence", csrf_b, {"status": "online"})
    resp = await _post(anna, path, csrf_a, {"to": "berit"})
    assert resp.status == 200 and (await resp.json())["case"]["claimed_by"] == "berit"
    # only the new holder reads and writes now
    assert (await anna.get(f"/api/cases/{cid}")).status == 403
    assert (await _post(anna, f"/api/cases/{cid}/messages", csrf_a, {"text": "hej"})).status \
        == 403
    assert (await _post(anna, path, csrf_a, {"to": "anna"})).status == 403
    assert (await _post(berit, f"/api/cases/{cid}/messages", csrf_b, {"text": "hej"})).status \
        == 201
    audit = [e for e in await _events(berit, cid) if e["text"] == "transferred"]
    assert audit and audit[0]["coach"] == "anna"
    assert audit[0]["data"]["to"] != audit[0]["data"]["from"]


# ---- export ----------------------------------------------------------------------------------


async def test_export_is_scrubbed_for_the_holder_only_and_recorded(env: Env) -> None:
    anna, csrf_a = await _coach(env, "anna")
    berit, csrf_b = await _coach(env, "berit")
    cid = await _claimed(env, anna, csrf_a, "web-e1")
    env.rasa.trackers["web-e1"] = [
        {"event": "bot", "text": "Vill du prata med en coach?", "timestamp": 1.0,
         "data": {"buttons": [{"title": "Ja, koppla mig", "payload": "/affirm"}]}},
        {"event": "user", "text": "/affirm", "timestamp": 2.0},
        {"event": "user", "timestamp": 3.0,
         "text": "mitt nummer är 070-123 45 67, pnr 200501021234, mejl kalle@example.com"},
    ]
    await _post(anna, f"/api/cases/{cid}/notes", csrf_a, {"text": "ring 0701234567 sen"})
    path = f"/api/cases/{cid}/export"
    assert (await anna.post(path)).status == 403  # no CSRF token
    assert (await _post(berit, path, csrf_b)).status == 403
    resp = await anna.post(path, data={"csrf_token": csrf_a})  # the page's form
    assert resp.status == 200
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    text = await resp.text()
    for raw in ("070-123 45 67", "0701234567", "200501021234", "kalle@example.com"):
        assert raw not in text
    assert "tryckte: Ja, koppla mig" in text and "/affirm" not in text
    assert "bad om en människa" in text and "webbchatt" in text
    assert "Coachens anteckningar" in text
    exported = [e for e in await _events(anna, cid) if e["text"] == "exported"]
    assert exported and exported[0]["coach"] == "anna"


# ---- hand back, then close -------------------------------------------------------------------


async def test_a_handed_back_case_can_still_be_closed_with_an_outcome(env: Env) -> None:
    anna, csrf_a = await _coach(env, "anna")
    berit, csrf_b = await _coach(env, "berit")
    cid = await _claimed(env, anna, csrf_a, "web-h1")
    assert (await _post(anna, f"/api/cases/{cid}/handback", csrf_a)).status == 200
    page = await (await anna.get(f"/cases/{cid}")).text()
    assert 'id="close"' in page and 'id="handback"' not in page  # the outcome is still asked
    posts = len(env.rasa.posted("web-h1"))
    assert (await _post(berit, f"/api/cases/{cid}/close", csrf_b,
                        {"outcome": "information_given"})).status == 403
    assert (await _post(anna, f"/api/cases/{cid}/close", csrf_a,
                        {"outcome": "user_left"})).status == 400
    resp = await _post(anna, f"/api/cases/{cid}/close", csrf_a, {"outcome": "information_given"})
    assert resp.status == 200 and (await resp.json())["outcome"] == "information_given"
    assert len(env.rasa.posted("web-h1")) == posts  # no second goodbye to the young person
    again = await _post(anna, f"/api/cases/{cid}/close", csrf_a, {"outcome": "other"})
    assert again.status == 409
    assert 'id="close"' not in await (await anna.get(f"/cases/{cid}")).text()


# ---- labels and canned defaults --------------------------------------------------------------


async def test_console_shows_words_not_raw_names(env: Env) -> None:
    anna, csrf_a = await _coach(env, "anna")
    cid = await _claimed(env, anna, csrf_a, "sms-l1", trigger="fear_retaliation")
    page = await (await anna.get(f"/cases/{cid}")).text()
    assert "Orsak: rädd för hämnd" in page and "Kanal: sms" in page
    assert "Språk: svenska" in page and "request_human" not in page
    assert "Kanal: callback" not in page and "fear_retaliation" not in page
    # a button press while the case is open: the broker sends the button's title
    resp = await env.internal(anna, "POST", "/internal/conversations/sms-l1/messages",
                              {"text": "/affirm", "intent": "affirm", "button_title": "Ja"})
    assert resp.status == 202
    users = [e for e in await _events(anna, cid) if e["kind"] == "user"]
    assert users[-1]["text"] == "tryckte: Ja"
    await env.internal(anna, "POST", "/internal/conversations/sms-l1/messages",
                       {"text": "/deny", "intent": "deny"})
    users = [e for e in await _events(anna, cid) if e["kind"] == "user"]
    assert users[-1]["text"] == "tryckte på en knapp (svarade nej)"
    queue = await (await anna.get("/api/queue")).json()
    mine = queue["claimed"][0]
    assert mine["trigger_label"] == "rädd för hämnd" and mine["user_messages"] == 2


async def test_canned_defaults_come_from_the_content_file(env: Env) -> None:
    anna, _ = await _coach(env, "anna")
    replies = (await (await anna.get("/api/canned")).json())["replies"]
    defaults = [r for r in replies if r["source"] == "content"]
    assert {r["language"] for r in defaults} == {"sv", "en"}
    numbers = next(r for r in defaults if r["id"] == "utter_coach_canned_numbers:sv")
    assert numbers["text"] == content.text("utter_coach_canned_numbers", "sv")
    assert content.load().fact("mind_phone", "sv") in numbers["text"]


async def test_desk_page_needs_a_login_and_shows_only_own_cases(env: Env) -> None:
    anna, csrf_a = await _coach(env, "anna")
    berit, csrf_b = await _coach(env, "berit")
    mine = await _claimed(env, anna, csrf_a, "web-d1")
    theirs = await _claimed(env, berit, csrf_b, "web-d2")
    stranger = await env.make_client()
    resp = await stranger.get("/desk", allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"].startswith("/login")
    page = await (await anna.get("/desk")).text()
    assert mine in page and theirs not in page
