"""Coach console: login/logout, auth (401/403), CSRF, queue order, claim race, live relay,
hand back and close (with the Rasa events they must send), canned replies, headers."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from escalation_helpers import (
    CSRF_INPUT,
    CSRF_META,
    RASA_TOKEN,
    Env,
    coach_client,
    post_json,
    wait_for,
)

from bot import content
from bot.escalation import texts

_coach, _post = coach_client, post_json


# ---- authentication ------------------------------------------------------------------------


async def test_unauthenticated_gets_401_or_login_redirect(env: Env) -> None:
    client = await env.make_client()
    opened = await env.open_case(client, "conv-a")
    cid = opened["case_id"]
    for path in ("/api/queue", f"/api/cases/{cid}", f"/api/cases/{cid}/transcript", "/api/canned"):
        resp = await client.get(path)
        assert resp.status == 401, path
        assert (await resp.json())["error"] == "unauthorized"
    for path in (f"/api/cases/{cid}/claim", f"/api/cases/{cid}/close", "/api/presence"):
        resp = await client.post(path, json={})
        assert resp.status == 401, path
    for path in ("/queue", f"/cases/{cid}", "/admin/canned"):
        resp = await client.get(path, allow_redirects=False)
        assert resp.status == 302 and resp.headers["Location"].startswith("/login?next="), path
    with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
        await client.ws_connect(f"/ws/cases/{cid}")
    assert exc.value.status == 401
    with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
        await client.ws_connect("/ws/queue")
    assert exc.value.status == 401
    # nothing about the case leaked into the redirect or error bodies
    assert "Vill prata" not in await (await client.get("/api/queue")).text()


async def test_login_sets_strict_httponly_cookie_and_logout_ends_session(env: Env) -> None:
    await env.create_coach("anna")
    client = await env.make_client()
    page = await client.get("/login")
    assert page.status == 200 and "Logga in" in await page.text()
    token = CSRF_INPUT.search(await page.text()).group(1)  # type: ignore[union-attr]
    bad = await client.post(
        "/login",
        data={"username": "anna", "password": "wrong", "csrf_token": token},
        allow_redirects=False,
    )
    assert bad.status == 401 and "Fel användarnamn eller lösenord" in await bad.text()
    token = CSRF_INPUT.search(await bad.text()).group(1)  # type: ignore[union-attr]
    ok = await client.post(
        "/login",
        data={"username": "anna", "password": "correct horse battery", "csrf_token": token},
        allow_redirects=False,
    )
    assert ok.status == 302
    cookie = next(v for v in ok.headers.getall("Set-Cookie") if v.startswith("coach_session="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    old_cookie = cookie.split(";")[0]
    csrf = CSRF_META.search(await (await client.get("/queue")).text()).group(1)  # type: ignore[union-attr]
    assert (await client.get("/api/queue")).status == 200
    # logout without CSRF token is refused
    assert (await client.post("/logout", data={}, allow_redirects=False)).status == 403
    out = await client.post("/logout", data={"csrf_token": csrf}, allow_redirects=False)
    assert out.status == 302 and out.headers["Location"] == "/login"
    assert (await client.get("/api/queue")).status == 401
    # the old cookie is dead server-side too (replay after logout)
    replay = await env.make_client()
    resp = await replay.get("/api/queue", headers={"Cookie": old_cookie})
    assert resp.status == 401


async def test_login_requires_csrf_and_unknown_user_fails(env: Env) -> None:
    await env.create_coach("anna")
    client = await env.make_client()
    resp = await client.post(
        "/login", data={"username": "anna", "password": "correct horse battery"}
    )
    assert resp.status == 403
    page = await client.get("/login")
    token = CSRF_INPUT.search(await page.text()).group(1)  # type: ignore[union-attr]
    resp = await client.post(
        "/login", data={"username": "nobody", "password": "x", "csrf_token": token}
    )
    assert resp.status == 401


async def test_forged_session_cookie_is_rejected(env: Env) -> None:
    client = await env.make_client()
    resp = await client.get("/api/queue", headers={"Cookie": "coach_session=abc.def"})
    assert resp.status == 401


async def test_disabled_coach_is_logged_out(env: Env) -> None:
    client, _ = await _coach(env, "anna")
    await env.store.run(env.store.set_coach_active, "anna", False)
    assert (await client.get("/api/queue")).status == 401


# ---- CSRF ----------------------------------------------------------------------------------


async def test_state_changing_requests_need_csrf_token(env: Env) -> None:
    client, csrf = await _coach(env, "anna")
    opened = await env.open_case(client, "conv-csrf")
    path = f"/api/cases/{opened['case_id']}/claim"
    assert (await _post(client, path, None)).status == 403
    resp = await _post(client, path, "wrong-token")
    assert resp.status == 403 and (await resp.json())["error"] == "csrf"
    assert (await _post(client, "/api/presence", None, {"status": "away"})).status == 403
    assert (await _post(client, path, csrf)).status == 200
    # WebSocket needs the token too
    with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
        await client.ws_connect(f"/ws/cases/{opened['case_id']}")
    assert exc.value.status == 403
    with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
        await client.ws_connect(
            f"/ws/cases/{opened['case_id']}?csrf={csrf}", headers={"Origin": "https://evil.example"}
        )
    assert exc.value.status == 403


# ---- queue, claim, permissions -------------------------------------------------------------


async def test_queue_orders_by_priority_then_waiting_time(env: Env) -> None:
    client, _ = await _coach(env, "anna")
    for conv, trigger in [
        ("q-fallback", "fallback"),
        ("q-human", "request_human"),
        ("q-fear", "fear_retaliation"),
        ("q-crisis", "crisis_suicidal"),
        ("q-emergency", "emergency_danger"),
    ]:
        await env.open_case(client, conv, trigger=trigger)
        await asyncio.sleep(0.01)
    queue = await (await client.get("/api/queue")).json()
    order = [c["conversation_id"] for c in queue["waiting"]]
    assert order == ["q-crisis", "q-emergency", "q-fear", "q-fallback", "q-human"]
    assert queue["waiting"][0]["summary"] == "Vill prata med någon"
    page = await client.get("/queue")
    html = await page.text()
    assert "Väntande ärenden" in html and "Ta ärendet" in html


async def test_claim_race_exactly_one_wins(env: Env) -> None:
    anna, csrf_a = await _coach(env, "anna")
    bo, csrf_b = await _coach(env, "bo")
    opened = await env.open_case(anna, "conv-race")
    path = f"/api/cases/{opened['case_id']}/claim"
    r1, r2 = await asyncio.gather(_post(anna, path, csrf_a), _post(bo, path, csrf_b))
    assert sorted([r1.status, r2.status]) == [200, 409]
    loser = r1 if r1.status == 409 else r2
    assert (await loser.json())["error"] == "already_claimed"
    case = await env.store.run(env.store.get_case, opened["case_id"])
    assert case.status == "claimed"
    winner = "anna" if r1.status == 200 else "bo"
    assert (await env.store.run(env.store.coach_names))[case.claimed_by] == winner
    assert env.rasa.events("conv-race") == [{"event": "pause"}]  # only the winner pauses


async def test_other_coach_cannot_read_claimed_case_but_admin_can(env: Env) -> None:
    anna, csrf_a = await _coach(env, "anna")
    bo, csrf_b = await _coach(env, "bo")
    boss, _ = await _coach(env, "boss", role="admin")
    opened = await env.open_case(anna, "conv-private")
    cid = opened["case_id"]
    # waiting: every coach can read it to decide
    assert (await bo.get(f"/api/cases/{cid}")).status == 200
    assert (await _post(anna, f"/api/cases/{cid}/claim", csrf_a)).status == 200
    for path in (f"/api/cases/{cid}", f"/api/cases/{cid}/transcript"):
        assert (await bo.get(path)).status == 403, path
    page = await bo.get(f"/cases/{cid}")
    assert page.status == 403 and "Åtkomst nekad" in await page.text()
    with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
        await bo.ws_connect(f"/ws/cases/{cid}?csrf={csrf_b}")
    assert exc.value.status == 403
    assert (await _post(bo, f"/api/cases/{cid}/messages", csrf_b, {"text": "hej"})).status == 403
    assert (await _post(bo, f"/api/cases/{cid}/handback", csrf_b)).status == 403
    assert (await bo.get("/api/queue")).status == 200
    assert not (await (await bo.get("/api/queue")).json())["claimed"]
    assert (await boss.get(f"/api/cases/{cid}")).status == 200
    assert (await (await boss.get("/api/queue")).json())["claimed"][0]["case_id"] == cid


async def test_unknown_case_and_closed_case_give_clear_4xx(env: Env) -> None:
    client, csrf = await _coach(env, "anna")
    for path in ("/api/cases/doesnotexist", "/api/cases/doesnotexist/transcript"):
        resp = await client.get(path)
        assert resp.status == 404 and (await resp.json())["error"] == "not_found"
    resp = await _post(client, "/api/cases/doesnotexist/claim", csrf)
    assert resp.status == 404
    assert (await client.get("/cases/doesnotexist")).status == 404
    opened = await env.open_case(client, "conv-closed")
    cid = opened["case_id"]
    await _post(client, f"/api/cases/{cid}/claim", csrf)
    resp = await _post(client, f"/api/cases/{cid}/close", csrf, {"outcome": "bogus"})
    assert resp.status == 400
    resp = await _post(client, f"/api/cases/{cid}/close", csrf, {"outcome": "information_given"})
    assert resp.status == 200
    for action, body in (
        ("close", {"outcome": "other"}),
        ("handback", None),
        ("messages", {"text": "hej"}),
        ("claim", None),
    ):
        resp = await _post(client, f"/api/cases/{cid}/{action}", csrf, body)
        assert resp.status == 409, action
        assert (await resp.json())["error"] == "case_closed"
    # malformed JSON and oversize bodies from a logged-in coach
    resp = await client.post(
        f"/api/cases/{cid}/close",
        data=b"{oops",
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
    )
    assert resp.status == 400 and (await resp.json())["error"] == "invalid_json"
    resp = await client.post(
        "/api/presence",
        data=b"x" * (100 * 1024),
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
    )
    assert resp.status == 413
    resp = await _post(client, "/api/presence", csrf, {"status": "sleeping"})
    assert resp.status == 400


# ---- live relay, hand back, close ----------------------------------------------------------


async def _receive(ws: aiohttp.ClientWebSocketResponse, kind: str) -> dict[str, Any]:
    while True:
        msg = await asyncio.wait_for(ws.receive_json(), timeout=3)
        if msg["type"] == kind:
            return msg


async def test_websocket_relay_both_ways_and_hand_back(env: Env) -> None:
    client, csrf = await _coach(env, "anna")
    opened = await env.open_case(client, "conv-live")
    cid = opened["case_id"]
    assert (await _post(client, f"/api/cases/{cid}/claim", csrf)).status == 200
    # claiming pauses the bot through Rasa's tracker events API
    pause = [c for c in env.rasa.calls if c["method"] == "POST"][-1]
    assert pause["conversation_id"] == "conv-live" and pause["json"] == [{"event": "pause"}]
    assert pause["query"]["token"] == RASA_TOKEN
    ws = await client.ws_connect(f"/ws/cases/{cid}?csrf={csrf}")
    await _receive(ws, "ready")

    # user -> coach: arrives live on the socket
    resp = await env.internal(
        client,
        "POST",
        "/internal/conversations/conv-live/messages",
        {"text": "e nån där?", "intent": None, "timestamp": 1.0},
    )
    assert resp.status == 202
    event = (await _receive(ws, "event"))["event"]
    assert event["kind"] == "user" and event["text"] == "e nån där?"

    # coach -> user: through Rasa's tracker events API, with the contract's query and body
    await ws.send_json({"type": "message", "text": "Hej, jag heter Anna och är coach."})
    event = (await _receive(ws, "event"))["event"]
    assert event["kind"] == "coach" and event["coach"] == "anna"
    post = [c for c in env.rasa.calls if c["method"] == "POST"][-1]
    assert post["conversation_id"] == "conv-live"
    assert post["query"] == {
        "token": RASA_TOKEN,
        "execute_side_effects": "true",
        "output_channel": "callback",  # the case's own channel, never "latest"
    }
    [sent] = post["json"]
    assert sent["event"] == "bot" and sent["text"] == "Hej, jag heter Anna och är coach."
    # the coach flag, and the id a later SMS delivery report names the message by
    assert sent["metadata"]["coach"] is True and len(sent["metadata"]["message_id"]) == 32

    # transcript so far comes from the tracker
    env.rasa.trackers["conv-live"].insert(0, {"event": "user", "text": "ja vill prata me nån"})
    transcript = await (await client.get(f"/api/cases/{cid}/transcript")).json()
    assert [(m["who"], m["text"]) for m in transcript["transcript"]] == [
        ("user", "ja vill prata me nån"),
        ("coach", "Hej, jag heter Anna och är coach."),
    ]

    # bad socket input gets an error message, not a dropped connection
    await ws.send_str("not json")
    assert (await _receive(ws, "error"))["message"]
    await ws.send_json({"type": "message", "text": "   "})
    assert (await _receive(ws, "error"))["code"] == "invalid_field"

    # hand back: resume + a bot text, case no longer open
    resp = await _post(client, f"/api/cases/{cid}/handback", csrf)
    assert resp.status == 200 and (await resp.json())["status"] == "handed_back"
    body = env.rasa.posted("conv-live")[-1]
    assert body == [
        {"event": "resume"},
        {"event": "action", "name": "action_listen"},
        {"event": "bot", "text": content.text("utter_coach_handed_back", "sv"),
         "metadata": {"handoff": "coach_left"}},
    ]
    update = await _receive(ws, "case")
    assert update["case"]["status"] == "handed_back"
    await ws.close()
    resp = await env.internal(client, "GET", "/internal/conversations/conv-live/case")
    assert resp.status == 404
    resp = await env.internal(
        client,
        "POST",
        "/internal/conversations/conv-live/messages",
        {"text": "hej igen", "intent": None, "timestamp": 2.0},
    )
    assert resp.status == 404
    # a new escalation of the same conversation is a new case
    again = await env.open_case(client, "conv-live")
    assert again["case_id"] != cid


async def test_close_with_outcome_resumes_bot_in_users_language(env: Env) -> None:
    client, csrf = await _coach(env, "anna")
    opened = await env.open_case(client, "conv-en", language="en")
    cid = opened["case_id"]
    await _post(client, f"/api/cases/{cid}/claim", csrf)
    resp = await _post(client, f"/api/cases/{cid}/messages", csrf, {"text": "Hi!"})
    assert resp.status == 201
    resp = await _post(client, f"/api/cases/{cid}/close", csrf, {"outcome": "wants_callback"})
    assert resp.status == 200 and (await resp.json())["outcome"] == "wants_callback"
    body = env.rasa.posted("conv-en")[-1]
    assert body == [
        {"event": "resume"},
        {"event": "action", "name": "action_listen"},
        {"event": "bot", "text": content.text("utter_coach_closed", "en"),
         "metadata": {"handoff": "coach_left"}},
    ]
    assert "112" in body[2]["text"]  # the emergency number fact, rendered
    case = await env.store.run(env.store.get_case, cid)
    assert case.status == "closed" and case.outcome == "wants_callback"


async def test_queue_socket_is_told_about_new_cases(env: Env) -> None:
    client, csrf = await _coach(env, "anna")
    ws = await client.ws_connect(f"/ws/queue?csrf={csrf}")
    await ws.send_json({"type": "ping"})
    assert (await _receive(ws, "pong"))["type"] == "pong"
    await env.open_case(client, "conv-new")
    assert (await _receive(ws, "queue_changed"))["type"] == "queue_changed"
    await ws.close()


async def test_rasa_down_gives_502_and_case_stays_open(env: Env) -> None:
    client, csrf = await _coach(env, "anna")
    opened = await env.open_case(client, "conv-down")
    cid = opened["case_id"]
    await _post(client, f"/api/cases/{cid}/claim", csrf)
    env.rasa.fail = True
    resp = await _post(client, f"/api/cases/{cid}/messages", csrf, {"text": "hej"})
    assert resp.status == 502 and (await resp.json())["error"] == "rasa_unavailable"
    resp = await _post(client, f"/api/cases/{cid}/handback", csrf)
    assert resp.status == 502
    assert (await env.store.run(env.store.get_case, cid)).status == "claimed"
    assert (await client.get(f"/api/cases/{cid}/transcript")).status == 502


async def test_claim_survives_rasa_down_with_a_warning_to_the_coach(env: Env) -> None:
    client, csrf = await _coach(env, "anna")
    opened = await env.open_case(client, "conv-nopause")
    cid = opened["case_id"]
    ws = await client.ws_connect(f"/ws/cases/{cid}?csrf={csrf}")
    await _receive(ws, "ready")
    env.rasa.fail = True
    resp = await _post(client, f"/api/cases/{cid}/claim", csrf)
    assert resp.status == 200 and (await resp.json())["case"]["status"] == "claimed"
    assert env.rasa.posted("conv-nopause") == [[{"event": "pause"}]]  # tried, refused
    event = (await _receive(ws, "event"))["event"]
    assert event["kind"] == "system" and event["text"] == texts.PAUSE_FAILED
    assert event["data"] == {"warning": "pause_failed"}
    await ws.close()
    data = await (await client.get(f"/api/cases/{cid}")).json()
    assert data["case"]["status"] == "claimed"
    assert any(e["data"].get("warning") == "pause_failed" for e in data["events"])


async def test_coach_cannot_pick_user_left_outcome(env: Env) -> None:
    client, csrf = await _coach(env, "anna")
    opened = await env.open_case(client, "conv-pick")
    cid = opened["case_id"]
    await _post(client, f"/api/cases/{cid}/claim", csrf)
    html = await (await client.get(f"/cases/{cid}")).text()
    assert 'value="user_left"' not in html and 'value="wants_callback"' in html
    resp = await _post(client, f"/api/cases/{cid}/close", csrf, {"outcome": "user_left"})
    assert resp.status == 400


@pytest.mark.parametrize("word", ["avsluta", "  STOP ", "Stopp", "sluta chatta", "Sluta  Chatta"])
async def test_user_leaving_closes_case_and_resumes_bot(env: Env, word: str) -> None:
    client, csrf = await _coach(env, "anna")
    opened = await env.open_case(client, "conv-leave", language="en")
    cid = opened["case_id"]
    await _post(client, f"/api/cases/{cid}/claim", csrf)
    ws = await client.ws_connect(f"/ws/cases/{cid}?csrf={csrf}")
    await _receive(ws, "ready")
    resp = await env.internal(
        client,
        "POST",
        "/internal/conversations/conv-leave/messages",
        {"text": word, "intent": None, "timestamp": 1.0},
    )
    assert resp.status == 202
    assert (await resp.json())["left"] is True
    # the coach sees it live: the message, the system note, the closed case
    assert (await _receive(ws, "event"))["event"]["text"] == word
    note = (await _receive(ws, "event"))["event"]
    assert note["kind"] == "system" and "lämnat coachchatten" in note["text"]
    update = await _receive(ws, "case")
    assert update["case"]["status"] == "closed" and update["case"]["outcome"] == "user_left"
    await ws.close()
    assert env.rasa.posted("conv-leave")[-1] == [
        {"event": "resume"},
        {"event": "action", "name": "action_listen"},
        {"event": "bot", "text": content.text("utter_coach_user_left", "en"),
         "metadata": {"handoff": "coach_left"}},
    ]
    case = await env.store.run(env.store.get_case, cid)
    assert case.status == "closed" and case.outcome == "user_left"
    resp = await env.internal(client, "GET", "/internal/conversations/conv-leave/case")
    assert resp.status == 404
    page = await client.get(f"/cases/{cid}")
    assert page.status == 200


async def test_leave_word_must_be_the_whole_message(env: Env) -> None:
    client, csrf = await _coach(env, "anna")
    opened = await env.open_case(client, "conv-stay")
    await _post(client, f"/api/cases/{opened['case_id']}/claim", csrf)
    for text in ("jag vill inte avsluta", "stop it", "avsluta!"):
        resp = await env.internal(
            client,
            "POST",
            "/internal/conversations/conv-stay/messages",
            {"text": text, "intent": None, "timestamp": 1.0},
        )
        assert resp.status == 202 and (await resp.json())["left"] is False, text
    assert (await env.store.run(env.store.get_case, opened["case_id"])).status == "claimed"
    assert env.rasa.events("conv-stay") == [{"event": "pause"}]


async def test_user_leaving_while_rasa_down_keeps_case_for_coach(env: Env) -> None:
    client, csrf = await _coach(env, "anna")
    opened = await env.open_case(client, "conv-leave-down")
    cid = opened["case_id"]
    await _post(client, f"/api/cases/{cid}/claim", csrf)
    env.rasa.fail = True
    resp = await env.internal(
        client,
        "POST",
        "/internal/conversations/conv-leave-down/messages",
        {"text": "avsluta", "intent": None, "timestamp": 1.0},
    )
    assert resp.status == 502 and (await resp.json())["error"] == "rasa_unavailable"
    data = await (await client.get(f"/api/cases/{cid}")).json()
    assert data["case"]["status"] == "claimed"
    assert any(e["data"].get("warning") == "resume_failed" for e in data["events"])
    env.rasa.fail = False  # the coach closes it when Rasa is back: that resumes the bot
    resp = await _post(client, f"/api/cases/{cid}/close", csrf, {"outcome": "no_contact"})
    assert resp.status == 200
    assert env.rasa.posted("conv-leave-down")[-1][0] == {"event": "resume"}


# ---- presence, canned replies, pages, headers ----------------------------------------------


async def test_presence_drives_coaches_online(env: Env) -> None:
    client, csrf = await _coach(env, "anna")
    assert (await env.open_case(client, "p1"))["coaches_online"] == 1
    assert (await _post(client, "/api/presence", csrf, {"status": "away"})).status == 200
    away = await env.open_case(client, "p2")
    assert away["coaches_online"] == 0 and away["accepting"] is False
    await _post(client, "/api/presence", csrf, {"status": "online"})
    assert (await env.open_case(client, "p3"))["accepting"] is True


async def test_admin_edits_canned_replies_coach_cannot(env: Env) -> None:
    admin, csrf_admin = await _coach(env, "boss", role="admin")
    coach, csrf_coach = await _coach(env, "anna")
    resp = await admin.post(
        "/admin/canned",
        data={
            "csrf_token": csrf_admin,
            "title": "Hälsning",
            "text": "Hej! Jag är coach.",
            "language": "sv",
            "position": "1",
        },
        allow_redirects=False,
    )
    assert resp.status == 302
    replies = (await (await coach.get("/api/canned")).json())["replies"]
    assert [r["title"] for r in replies if r["source"] == "admin"] == ["Hälsning"]
    rid = replies[0]["id"]
    resp = await admin.post(
        f"/admin/canned/{rid}",
        data={
            "csrf_token": csrf_admin,
            "title": "Hälsning",
            "text": "Hej, jag heter Anna.",
            "language": "sv",
            "position": "1",
        },
        allow_redirects=False,
    )
    assert resp.status == 302
    assert (await (await coach.get("/api/canned")).json())["replies"][0]["text"].endswith("Anna.")
    assert (await coach.get("/admin/canned")).status == 403
    resp = await coach.post(
        "/admin/canned",
        data={"csrf_token": csrf_coach, "title": "x", "text": "y", "language": "sv"},
    )
    assert resp.status == 403
    resp = await admin.post(
        "/admin/canned", data={"csrf_token": csrf_admin, "title": "", "text": "", "language": "sv"}
    )
    assert resp.status == 400
    resp = await admin.post(
        f"/admin/canned/{rid}/delete", data={"csrf_token": csrf_admin}, allow_redirects=False
    )
    assert resp.status == 302
    replies = (await (await coach.get("/api/canned")).json())["replies"]
    assert [r for r in replies if r["source"] == "admin"] == []


async def test_case_page_renders_escaped_summary(env: Env) -> None:
    client, _ = await _coach(env, "anna")
    opened = await env.open_case(client, "conv-xss", summary="<script>alert(1)</script>")
    page = await client.get(f"/cases/{opened['case_id']}")
    html = await page.text()
    assert page.status == 200 and "<script>alert" not in html and "&lt;script&gt;" in html
    assert "Ta ärendet" in html


async def test_security_headers_on_every_response(env: Env) -> None:
    client, _ = await _coach(env, "anna")
    anon = await env.make_client()
    responses = [
        await client.get("/queue"),
        await anon.get("/login"),
        await anon.get("/api/queue"),
        await anon.get("/no/such/page"),
        await anon.get("/static/console.js"),
        await anon.get("/static/console.css"),
        await env.internal(anon, "GET", "/internal/conversations/x/case"),
    ]
    for resp in responses:
        assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["Referrer-Policy"] == "no-referrer"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    js = responses[4]
    assert js.status == 200 and "javascript" in js.headers["Content-Type"]
    html = await responses[0].text()
    assert "<script>" not in html and "https://" not in html  # no inline script, no CDN


async def test_login_next_is_local_only(env: Env) -> None:
    await env.create_coach("anna")
    client = await env.make_client()
    page = await client.get("/login?next=//evil.example/x")
    assert 'value="/queue"' in await page.text()
    token = CSRF_INPUT.search(await page.text()).group(1)  # type: ignore[union-attr]
    resp = await client.post(
        "/login",
        data={
            "username": "anna",
            "csrf_token": token,
            "password": "correct horse battery",
            "next": "https://evil.example",
        },
        allow_redirects=False,
    )
    assert resp.headers["Location"] == "/queue"


async def test_queue_socket_hears_presence_changes(env: Env) -> None:
    """The queue socket also hears about presence changes (drives the online counter)."""
    client, csrf = await _coach(env, "anna")
    ws = await client.ws_connect(f"/ws/queue?csrf={csrf}")
    got: list[str] = []

    async def reader() -> None:
        async for msg in ws:
            got.append(msg.json()["type"])

    task = asyncio.create_task(reader())
    await _post(client, "/api/presence", csrf, {"status": "away"})
    await wait_for(lambda: "queue_changed" in got)
    await ws.close()
    await task
