"""Unclaimed timeout: ONE honest notice (content file text); not accepting: the service is
silent (the Rasa action told the user); no case is lost either way."""

from __future__ import annotations

import asyncio

import pytest
from escalation_helpers import Env, login, wait_for

from bot import content
from bot.escalation import texts
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
    texts_ = _bot_texts(env, "conv-t1")
    assert texts_ == [content.text("utter_coach_timeout", "sv")]
    assert all(n in texts_[0] for n in NUMBERS)  # the content file's facts, rendered
    body = env.rasa.posted("conv-t1")[0]
    assert body == [{"event": "bot", "text": texts_[0]}]
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
    events = await env.store.run(env.store.events, opened["case_id"])
    assert [e.text for e in events if e.kind == "system"] == [texts.USER_TOLD_TIMEOUT]


@pytest.mark.parametrize("settings_overrides", [{"claim_timeout_seconds": 0.1}])
async def test_timeout_notice_in_users_language(env: Env) -> None:
    await env.create_coach("anna")
    coach = await env.make_client()
    await login(coach, "anna")
    client = await env.make_client()
    assert (await env.open_case(client, "conv-en", language="en"))["accepting"] is True
    await asyncio.sleep(0.15)
    assert await sweep_once(env.app) == 1
    assert _bot_texts(env, "conv-en") == [content.text("utter_coach_timeout", "en")]


@pytest.mark.parametrize(
    "settings_overrides", [{"sweep_interval_seconds": 0.05, "claim_timeout_seconds": 0}]
)
async def test_not_accepting_the_service_sends_nothing(env: Env) -> None:
    """No coach online: the Rasa action tells the user; the case is marked notified at once,
    the (running) sweeper never sends a second message, the coach sees why."""
    client = await env.make_client()
    opened = await env.open_case(client, "conv-t2", language="en")
    assert opened["accepting"] is False
    await asyncio.sleep(0.3)  # several sweeps, with a zero timeout
    assert await sweep_once(env.app) == 0
    assert env.rasa.posted("conv-t2") == []
    case = await env.store.run(env.store.get_case, opened["case_id"])
    assert case.unavailable_notified_at is not None and case.status == "waiting"
    events = await env.store.run(env.store.events, opened["case_id"])
    assert texts.USER_TOLD_UNAVAILABLE in [e.text for e in events if e.kind == "system"]
    # an idempotent repeat while a coach is now online changes nothing
    await env.create_coach("anna")
    coach = await env.make_client()
    await login(coach, "anna")
    again = await env.open_case(client, "conv-t2")
    assert again["case_id"] == opened["case_id"] and again["accepting"] is True
    assert await sweep_once(env.app) == 0
    assert env.rasa.posted("conv-t2") == []


@pytest.mark.parametrize("settings_overrides", [{"claim_timeout_seconds": 0}])
async def test_failed_notice_is_retried_not_lost(env: Env) -> None:
    await env.create_coach("anna")
    coach = await env.make_client()
    await login(coach, "anna")
    client = await env.make_client()
    env.rasa.fail = True
    opened = await env.open_case(client, "conv-t3")
    assert opened["accepting"] is True
    assert await sweep_once(env.app) == 0  # the attempt fails ...
    assert len(env.rasa.posted("conv-t3")) == 1
    case = await env.store.run(env.store.get_case, opened["case_id"])
    assert case.unavailable_notified_at is None  # ... and is released for the next pass
    env.rasa.fail = False
    assert await sweep_once(env.app) == 1
    assert await sweep_once(env.app) == 0
    assert len(_bot_texts(env, "conv-t3")) == 1


@pytest.mark.parametrize("settings_overrides", [{"claim_timeout_seconds": 0}])
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
    await wait_for(lambda: env.rasa.events("conv-t4") == [{"event": "pause"}])
