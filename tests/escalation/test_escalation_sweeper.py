"""Unclaimed timeout / out of hours: ONE honest message with the 24/7 numbers; no case lost."""

from __future__ import annotations

import asyncio

import pytest
from escalation_helpers import Env, login, wait_for

from bot.escalation.sweeper import sweep_once

NUMBERS = ("112", "90101", "116 111", "114 14")


def _bot_texts(env: Env, conversation_id: str) -> list[str]:
    """Bot texts Rasa accepted (and so delivered to the user)."""
    return [
        ev["text"] for ev in env.rasa.trackers.get(conversation_id, []) if ev.get("event") == "bot"
    ]


@pytest.mark.parametrize("settings_overrides", [{"claim_timeout_seconds": 0.3}])
async def test_timeout_message_sent_once_and_case_stays_open(env: Env) -> None:
    await env.create_coach("anna")
    coach = await env.make_client()
    await login(coach, "anna")
    client = await env.make_client()
    opened = await env.open_case(client, "conv-t1")
    assert opened["accepting"] is True
    assert await sweep_once(env.app) == 0  # a coach is online and the timeout has not passed
    await asyncio.sleep(0.35)
    assert await sweep_once(env.app) == 1
    assert await sweep_once(env.app) == 0
    texts = _bot_texts(env, "conv-t1")
    assert len(texts) == 1
    assert all(n in texts[0] for n in NUMBERS)
    assert "meddelande" in texts[0] and "coach" in texts[0]
    body = env.rasa.posted("conv-t1")[0]
    assert body == [{"event": "bot", "text": texts[0]}]
    # the case is still there, the user can leave a message, a coach can still claim it
    got = await env.internal(client, "GET", "/internal/conversations/conv-t1/case")
    assert got.status == 200 and (await got.json())["status"] == "waiting"
    resp = await env.internal(
        client,
        "POST",
        "/internal/conversations/conv-t1/messages",
        {"text": "ring mig imorn", "intent": None, "timestamp": 3.0},
    )
    assert resp.status == 202
    queue = await (await coach.get("/api/queue")).json()
    assert queue["waiting"][0]["unavailable_notified"] is True


@pytest.mark.parametrize("settings_overrides", [{"sweep_interval_seconds": 0.05}])
async def test_no_coach_online_notifies_at_once_in_users_language(env: Env) -> None:
    """The background task runs by itself; an English user gets English text, once."""
    client = await env.make_client()
    opened = await env.open_case(client, "conv-t2", language="en")
    assert opened["accepting"] is False
    await wait_for(lambda: bool(_bot_texts(env, "conv-t2")))
    await asyncio.sleep(0.2)  # several more sweeps
    texts = _bot_texts(env, "conv-t2")
    assert len(texts) == 1
    assert "No coach is on duty right now" in texts[0]
    assert all(n in texts[0] for n in NUMBERS)


async def test_failed_notice_is_retried_not_lost(env: Env) -> None:
    client = await env.make_client()
    env.rasa.fail = True
    opened = await env.open_case(client, "conv-t3")  # no coach online: the sweeper is woken
    await wait_for(lambda: bool(env.rasa.posted("conv-t3")))  # ... and its attempt fails
    for _ in range(100):
        case = await env.store.run(env.store.get_case, opened["case_id"])
        if case.unavailable_notified_at is None:
            break
        await asyncio.sleep(0.01)
    assert await sweep_once(env.app) == 0
    env.rasa.fail = False
    assert await sweep_once(env.app) == 1
    assert await sweep_once(env.app) == 0
    assert len(_bot_texts(env, "conv-t3")) == 1


async def test_claimed_and_closed_cases_are_not_notified(env: Env) -> None:
    await env.create_coach("anna")
    coach = await env.make_client()
    csrf = await login(coach, "anna")
    client = await env.make_client()
    opened = await env.open_case(client, "conv-t4")
    await coach.post(f"/api/cases/{opened['case_id']}/claim", headers={"X-CSRF-Token": csrf})
    await coach.post("/api/presence", json={"status": "away"}, headers={"X-CSRF-Token": csrf})
    assert await sweep_once(env.app) == 0
    assert _bot_texts(env, "conv-t4") == []
