"""The durable relay to the coach: a user message reaches the case once, in the order it was
said, whether the relay broker posts it (again and again), or the service finds it in Rasa's
tracker (FakeRasa stands in for the tracker API) because the relay never came."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest
from escalation_helpers import Env, coach_client, post_json
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from bot.db.engine import alembic_config, make_engine, upgrade_database
from bot.db.models import CaseEvent, epoch
from bot.escalation.reconcile import GRACE_SECONDS, Reconciler
from bot.escalation.store import Store


def relay(text: str, timestamp: float, message_id: str | None = None,
          intent: str | None = None) -> dict[str, Any]:
    """The body the relay broker posts for one user event."""
    body: dict[str, Any] = {"text": text, "intent": intent, "timestamp": timestamp}
    if message_id:
        body["message_id"] = message_id
    return body


def user_event(text: str, timestamp: float, message_id: str,
               intent: str = "inform") -> dict[str, Any]:
    """A user event as Rasa's tracker API returns it."""
    return {"event": "user", "text": text, "timestamp": timestamp, "message_id": message_id,
            "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}


async def post(env: Env, client: Any, conversation_id: str, body: dict[str, Any]) -> Any:
    return await env.internal(client, "POST",
                              f"/internal/conversations/{conversation_id}/messages", body)


async def user_texts(env: Env, case_id: str) -> list[str]:
    return [e.text for e in await env.store.run(env.store.events, case_id) if e.kind == "user"]


async def live_events(ws: aiohttp.ClientWebSocketResponse, quiet: float = 0.5) -> list[dict]:
    """Every case event the socket gets until it has been quiet for `quiet` seconds."""
    got: list[dict] = []
    while True:
        try:
            msg = await asyncio.wait_for(ws.receive_json(), timeout=quiet)
        except asyncio.TimeoutError:
            return got
        if msg.get("type") == "event":
            got.append(msg["event"])


async def opened_at(env: Env, case_id: str) -> float:
    """When the case opened, as Unix time (Rasa's event timestamps)."""
    return epoch((await env.store.run(env.store.get_case, case_id)).created_at)


async def watched_case(env: Env, conversation_id: str) -> tuple[Any, str, Any]:
    """An open case claimed by a coach whose console socket is open on it."""
    client, csrf = await coach_client(env, "anna")
    opened = await env.open_case(client, conversation_id)
    case_id = opened["case_id"]
    assert (await post_json(client, f"/api/cases/{case_id}/claim", csrf)).status == 200
    ws = await client.ws_connect(f"/ws/cases/{case_id}?csrf={csrf}")
    assert (await ws.receive_json())["type"] == "ready"
    await live_events(ws, 0.2)
    return client, case_id, ws


async def test_the_same_relay_posted_twice_is_stored_and_shown_once(env: Env) -> None:
    client, case_id, ws = await watched_case(env, "conv-twice")
    now = time.time()
    first = await post(env, client, "conv-twice", relay("e nån där?", now, "m-1"))
    again = await post(env, client, "conv-twice", relay("e nån där?", now, "m-1"))
    assert first.status == again.status == 202
    assert (await first.json())["duplicate"] is False
    assert (await again.json())["duplicate"] is True
    # without Rasa's message id the time it was said names it
    for _ in range(2):
        assert (await post(env, client, "conv-twice", relay("hallå", now + 1))).status == 202
    assert await user_texts(env, case_id) == ["e nån där?", "hallå"]
    assert [e["text"] for e in await live_events(ws)] == ["e nån där?", "hallå"]


async def test_a_repeated_crisis_message_or_leave_word_acts_once(env: Env) -> None:
    client = await env.make_client()
    opened = await env.open_case(client, "conv-acts")
    case_id = opened["case_id"]
    now = time.time()
    crisis = relay("ja orkar inte leva", now, "m-crisis", "crisis_suicidal")
    for _ in range(2):
        assert (await post(env, client, "conv-acts", crisis)).status == 202
    events = await env.store.run(env.store.events, case_id)
    assert [e.text for e in events if e.kind == "status"].count("priority_raised") == 1
    # Rasa is down: the leave word is stored, the case stays open, the coach is told once;
    # the broker posts it again (502 is retried) and nothing happens twice
    env.rasa.fail = True
    leave = relay("avsluta", now + 1, "m-leave")
    assert (await post(env, client, "conv-acts", leave)).status == 502
    retried = await post(env, client, "conv-acts", leave)
    assert retried.status == 202 and (await retried.json())["duplicate"] is True
    resumes = [c for c in env.rasa.calls if c["method"] == "POST"
               and any(e.get("event") == "resume" for e in c["json"])]
    assert len(resumes) == 1
    events = await env.store.run(env.store.events, case_id)
    assert [e.text for e in events if e.kind == "user"] == ["ja orkar inte leva", "avsluta"]
    assert len([e for e in events if (e.data or {}).get("warning") == "resume_failed"]) == 1


async def test_relays_that_arrive_out_of_order_end_in_the_order_said(env: Env) -> None:
    """Two Rasa instances relay one user's messages from their own queues: the later one
    may arrive first. The case (and the coach's page) shows them as they were said."""
    client, case_id, ws = await watched_case(env, "conv-order")
    now = time.time()
    await post(env, client, "conv-order", relay("tre", now - 1, "m-3"))
    await post(env, client, "conv-order", relay("ett", now - 3, "m-1"))
    await post(env, client, "conv-order", relay("två", now - 2, "m-2"))
    assert await user_texts(env, case_id) == ["ett", "två", "tre"]
    live = [e for e in await live_events(ws) if e["kind"] == "user"]
    # the console places each by its time: sorted by `at`, the order said
    assert [e["text"] for e in sorted(live, key=lambda e: e["at"])] == ["ett", "två", "tre"]
    case = await (await client.get(f"/api/cases/{case_id}")).json()
    assert [e["text"] for e in case["events"] if e["kind"] == "user"] == ["ett", "två", "tre"]


async def test_reconciliation_fills_a_lost_relay_from_the_tracker_once(env: Env) -> None:
    client, case_id, ws = await watched_case(env, "conv-gap")
    t0 = await opened_at(env, case_id)
    before = [
        user_event("hej", t0 - 60, "m-old"),  # before the message that led to the case
        {"event": "bot", "text": "Vill du prata med en coach?", "timestamp": t0 - 31,
         "data": {"buttons": [{"title": "Ja", "payload": "/affirm"}]}},
    ]
    # the turn that opened the case is not stored yet: "hej" is not taken for its message
    env.rasa.trackers["conv-gap"] = list(before)
    assert await Reconciler(env.app).run_once(now=t0 + 10) == 0
    env.rasa.trackers["conv-gap"] = [
        *before,
        user_event("/affirm", t0 - 30, "m-trigger", "affirm"),  # led to the case
        {"event": "action", "name": "action_escalate", "timestamp": t0 + 0.1},
        user_event("kan du hjälpa mig", t0 + 1, "m-relayed"),
        user_event("ja orkar inte leva", t0 + 2, "m-lost", "crisis_suicidal"),
        user_event("e du kvar?", t0 + 9, "m-young"),  # the broker still has time
    ]
    at = t0 + 10  # the passes run ten seconds after the case opened
    # the broker relayed one of them; the Rasa process that took the next one was killed
    await post(env, client, "conv-gap", relay("kan du hjälpa mig", t0 + 1, "m-relayed"))
    await live_events(ws, 0.2)

    reconciler = Reconciler(env.app)
    assert await reconciler.run_once(now=at) == 2
    assert await user_texts(env, case_id) == ["/affirm", "kan du hjälpa mig",
                                              "ja orkar inte leva"]
    live = await live_events(ws)
    assert [e["text"] for e in live if e["kind"] == "user"] == ["tryckte: Ja", "ja orkar inte leva"]
    assert all(e["data"]["late"] for e in live if e["kind"] == "user")
    assert (await env.store.run(env.store.get_case, case_id)).priority == 1  # raised once

    # the next pass and the broker's late retry change nothing
    assert await reconciler.run_once(now=at) == 0
    late = await post(env, client, "conv-gap",
                      relay("ja orkar inte leva", t0 + 2, "m-lost", "crisis_suicidal"))
    assert (await late.json())["duplicate"] is True
    assert await live_events(ws) == []
    # the young message, once past the grace time
    assert await reconciler.run_once(now=t0 + 9 + GRACE_SECONDS) == 1
    assert (await user_texts(env, case_id))[-1] == "e du kvar?"
    events = await env.store.run(env.store.events, case_id)
    assert [e.text for e in events if e.kind == "status"].count("priority_raised") == 1


async def test_reconciliation_skips_relays_stored_before_relay_keys(env: Env) -> None:
    """A case open across the upgrade holds relays without a key: found by their time."""
    client = await env.make_client()
    opened = await env.open_case(client, "conv-legacy")
    t0 = await opened_at(env, opened["case_id"])
    await env.store.run(env.store.add_event, opened["case_id"], "user", "gammalt", None,
                        {"timestamp": t0 + 1})
    env.rasa.trackers["conv-legacy"] = [user_event("gammalt", t0 + 1, "m-legacy")]
    assert await Reconciler(env.app).run_once(now=t0 + 10) == 0
    assert await user_texts(env, opened["case_id"]) == ["gammalt"]


async def test_a_reconciled_leave_word_closes_the_case(env: Env) -> None:
    client = await env.make_client()
    opened = await env.open_case(client, "conv-leave")
    t0 = await opened_at(env, opened["case_id"])
    env.rasa.trackers["conv-leave"] = [user_event("avsluta", t0 + 1, "m-bye")]
    assert await Reconciler(env.app).run_once(now=t0 + 10) == 1
    case = await env.store.run(env.store.get_case, opened["case_id"])
    assert case.status == "closed" and case.outcome == "user_left"
    assert await Reconciler(env.app).run_once(now=t0 + 10) == 0  # closed: nothing to do


async def test_reconciliation_waits_while_rasa_is_down(env: Env) -> None:
    client = await env.make_client()
    opened = await env.open_case(client, "conv-down")
    t0 = await opened_at(env, opened["case_id"])
    env.rasa.trackers["conv-down"] = [user_event("hallå?", t0 + 1, "m-1")]
    env.rasa.fail = True
    reconciler = Reconciler(env.app)
    assert await reconciler.run_once(now=t0 + 10) == 0 and reconciler.rasa_down
    env.rasa.fail = False
    assert await reconciler.run_once(now=t0 + 10) == 1 and not reconciler.rasa_down
    assert await user_texts(env, opened["case_id"]) == ["hallå?"]


async def test_quiet_cases_are_compared_less_often(env: Env) -> None:
    client = await env.make_client()
    opened = await env.open_case(client, "conv-quiet")
    reconciler = Reconciler(env.app)
    later = time.time() + 3600  # nothing happened in the case for an hour
    assert await reconciler.run_once(now=later) == 0
    gets = [c for c in env.rasa.calls if c["method"] == "GET"]
    env.rasa.trackers["conv-quiet"] = [user_event("nu då?", later - 5, "m-q")]
    assert await reconciler.run_once(now=later) == 0  # compared a moment ago
    assert [c for c in env.rasa.calls if c["method"] == "GET"] == gets
    reconciler.checked[opened["case_id"]] -= 61
    assert await reconciler.run_once(now=later) == 1


def test_the_relay_key_is_unique_per_case(db_url: str) -> None:
    """Migration 0005 on SQLite and PostgreSQL: one key once per case, keyless rows free."""
    engine = make_engine(db_url)
    try:
        upgrade_database(engine)
        store = Store(engine)
        a = store.open_case("conv-a", "callback", "sv", "request_human", [], "").case
        b = store.open_case("conv-b", "callback", "sv", "request_human", [], "").case
        with store.sessions.begin() as s:
            s.add_all([CaseEvent(case_id=a.id, kind="user", text="x", data={},
                                 relay_key="m:1"),
                       CaseEvent(case_id=b.id, kind="user", text="x", data={},
                                 relay_key="m:1"),
                       CaseEvent(case_id=a.id, kind="user", text="y", data={}),
                       CaseEvent(case_id=a.id, kind="user", text="z", data={})])
        with pytest.raises(IntegrityError), store.sessions.begin() as s:
            s.add(CaseEvent(case_id=a.id, kind="user", text="x", data={}, relay_key="m:1"))
        from alembic import command

        with engine.begin() as conn:  # and back
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0004")
        assert "relay_key" not in {c["name"] for c in inspect(engine).get_columns("case_events")}
        upgrade_database(engine)
    finally:
        engine.dispose()


async def test_a_young_message_that_led_to_the_case_is_not_mistaken_for_an_older_one(
        env: Env) -> None:
    """The message that led to the case is still within the broker's grace time: the one
    before it must not take its place."""
    client = await env.make_client()
    opened = await env.open_case(client, "conv-young")
    t0 = await opened_at(env, opened["case_id"])
    env.rasa.trackers["conv-young"] = [
        user_event("hej", t0 - 60, "m-old"),
        user_event("ja", t0 - 0.5, "m-yes", "affirm"),
        {"event": "action", "name": "action_escalate", "timestamp": t0 + 0.1},
    ]
    reconciler = Reconciler(env.app)
    assert await reconciler.run_once(now=t0 + 1) == 0
    assert await reconciler.run_once(now=t0 + GRACE_SECONDS) == 1
    assert await user_texts(env, opened["case_id"]) == ["ja"]
