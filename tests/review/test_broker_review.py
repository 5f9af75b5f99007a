"""The relay broker's review capture: which user events go to POST /internal/review."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from bot.rasa_plugins.relay_broker import EscalationRelayBroker, review_reason


def _user(text: str, intent: str, conf: float, **extra: Any) -> dict[str, Any]:
    return {"event": "user", "sender_id": "conv-1", "text": text, "timestamp": 1.7e9,
            "parse_data": {"intent": {"name": intent, "confidence": conf},
                           "intent_ranking": [{"name": intent, "confidence": conf},
                                              {"name": "greet", "confidence": 0.2}],
                           "entities": [{"entity": "language", "value": "sv"}], **extra}}


def test_reason_rules() -> None:
    assert review_reason({"intent": {"name": "nlu_fallback", "confidence": 0.4}}, 0.6) == \
        "fallback"
    assert review_reason({"intent": {"name": "greet", "confidence": 0.5}}, 0.6) == \
        "low_confidence"
    assert review_reason({"intent": {"name": "greet", "confidence": 0.9}}, 0.6) is None
    assert review_reason({"intent": {"name": "crisis_suicidal", "confidence": 0.3},
                          "safety_rule": "x"}, 0.6) is None


async def _broker(aiohttp_server: Any,
                  posted: list[tuple[str, dict]]) -> EscalationRelayBroker:
    """A broker whose escalation service records every post and has no open case."""

    async def record(request: web.Request) -> web.Response:
        posted.append((request.path, await request.json()))
        # no open case for this conversation: only then may its messages go to review
        return web.json_response({}, status=202 if request.path == "/internal/review" else 404)

    app = web.Application()
    app.router.add_post("/internal/review", record)
    app.router.add_post("/internal/conversations/{cid}/messages", record)
    server = await aiohttp_server(app)
    return EscalationRelayBroker(str(server.make_url("")), "tok", "http://127.0.0.1:9", "rasa")


async def test_broker_posts_qualifying_events_without_sender(aiohttp_server: Any) -> None:
    posted: list[tuple[str, dict]] = []
    broker = await _broker(aiohttp_server, posted)
    broker.publish(_user("vad e det här", "nlu_fallback", 0.3))
    broker.publish(_user("hej", "greet", 0.95))
    broker.publish({"event": "action", "sender_id": "conv-1", "name": "utter_greet"})
    broker.publish(_user("bla bla ja vet inte", "ask_money", 0.8))
    broker.publish({"event": "action", "sender_id": "conv-1", "name": "utter_ask_rephrase"})
    for _ in range(100):
        if len([p for p in posted if p[0] == "/internal/review"]) >= 2 and len(posted) >= 5:
            break
        await asyncio.sleep(0.05)
    await broker.close()
    reviews = [body for path, body in posted if path == "/internal/review"]
    assert [r["reason"] for r in reviews] == ["fallback", "rephrase"]
    assert reviews[0]["intent"] == "greet"  # best real intent, not nlu_fallback
    assert reviews[0]["language"] == "sv" and reviews[1]["text"] == "bla bla ja vet inte"
    assert all("sender_id" not in r and "conv-1" not in str(r) for r in reviews)
    # existing behaviour kept: every user message still goes to the coach relay
    assert len([p for p, _ in posted if p.startswith("/internal/conversations/")]) == 3


def _guesses(*intents: str) -> list[dict[str, Any]]:
    return [{"entity": f"dym_intent_{k}", "value": name} for k, name in enumerate(intents, 1)]


async def test_a_tapped_guess_is_sent_as_the_unclear_message_label(aiohttp_server: Any) -> None:
    calls: list[tuple[str, dict]] = []
    broker = await _broker(aiohttp_server, calls)
    unclear = _user("dom vill ha cash av mig", "nlu_fallback", 0.45)
    unclear["parse_data"]["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.45}, {"name": "help_debt", "confidence": 0.3},
        {"name": "fear_retaliation", "confidence": 0.25}]
    unclear["parse_data"]["entities"] += _guesses("help_debt", "fear_retaliation")
    broker.publish(unclear)
    broker.publish({"event": "action", "sender_id": "conv-1", "name": "utter_ask_rephrase"})
    broker.publish(_user("/help_debt", "help_debt", 1.0))
    broker.publish({"event": "action", "sender_id": "conv-1", "name": "utter_help_debt"})
    # a typed message after the guesses is no choice, even when it names an offered intent
    broker.publish(unclear)
    broker.publish({"event": "action", "sender_id": "conv-1", "name": "utter_ask_rephrase"})
    broker.publish(_user("skulder typ", "help_debt", 0.9))
    for _ in range(100):
        if len([c for c in calls if c[0] == "/internal/review"]) >= 3:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)
    await broker.close()
    posted = [body for path, body in calls if path == "/internal/review"]
    assert [p["reason"] for p in posted] == ["fallback", "user_choice", "fallback"]
    label = posted[1]
    assert label["text"] == "dom vill ha cash av mig" and label["intent"] == "help_debt"
    assert label["confidence"] == 0.3 and "conv-1" not in str(label)


async def test_a_button_press_reaches_the_coach_with_the_buttons_title(aiohttp_server: Any) -> None:
    """"/affirm" is relayed with the title of the button the bot offered ("tryckte: Ja, koppla
    mig" in the console); typed text and unknown payloads get no title."""
    relayed: list[dict] = []

    async def record(request: web.Request) -> web.Response:
        relayed.append(await request.json())
        return web.json_response({}, status=202)

    app = web.Application()
    app.router.add_post("/internal/conversations/{cid}/messages", record)
    server = await aiohttp_server(app)
    broker = EscalationRelayBroker(str(server.make_url("")), "tok", "http://127.0.0.1:9",
                                   "rasa")
    broker.publish({"event": "bot", "sender_id": "conv-2", "text": "Vill du?",
                    "data": {"buttons": [{"title": "Ja, koppla mig", "payload": "/affirm"},
                                         {"title": "Nej tack", "payload": "/deny"}]}})
    broker.publish(_user("/affirm", "affirm", 1.0) | {"sender_id": "conv-2"})
    broker.publish(_user("/deny", "deny", 1.0) | {"sender_id": "conv-3"})  # another chat
    broker.publish(_user("ja", "affirm", 0.9) | {"sender_id": "conv-2"})
    for _ in range(100):
        if len(relayed) >= 3:
            break
        await asyncio.sleep(0.05)
    await broker.close()
    assert [r.get("button_title") for r in relayed] == ["Ja, koppla mig", None, None]
