"""The escalation service's /metrics: open cases by priority, the longest wait, coaches online
and coach hours, read from the database (SQLite, and PostgreSQL with TEST_DATABASE_URL) when
scraped, so they move when a case opens, waits, is claimed, and when a coach goes online."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from escalation_helpers import Env, coach_client, post_json

from bot.hours import parse_coach_hours
from tests.support.metrics import label_values, sample


async def scrape(env: Env, client: Any) -> str:
    resp = await client.get("/metrics")
    assert resp.status == 200, await resp.text()
    return await resp.text()


async def test_queue_gauges_follow_the_cases(env: Env) -> None:
    """(make_settings: coach hours all day, every day)"""
    client = await env.make_client()
    empty = await scrape(env, client)
    for priority in ("1", "2", "3"):  # present before any case: alerts need no new series
        assert sample(empty, "sluta_open_cases", priority=priority, status="waiting") == 0
        assert sample(empty, "sluta_longest_wait_seconds", priority=priority) == 0
    assert sample(empty, "sluta_coaches_online") == 0
    assert sample(empty, "sluta_coach_hours_open") == 1

    conversation = "web-metrics-conversation-0001"
    opened = await env.open_case(client, conversation, trigger="emergency_danger")
    # three minutes later (the case's created_at is the database's real time)
    env.clock["now"] = datetime.now(timezone.utc) + timedelta(minutes=3)
    waiting = await scrape(env, client)
    assert sample(waiting, "sluta_open_cases", priority="1", status="waiting") == 1
    assert sample(waiting, "sluta_open_cases", priority="3", status="waiting") == 0
    assert 180 <= sample(waiting, "sluta_longest_wait_seconds", priority="1") < 240
    env.clock["now"] = None
    assert conversation not in waiting and conversation not in label_values(waiting)

    coach, csrf = await coach_client(env, "metrics-anna")
    assert (await post_json(coach, "/api/presence", csrf, {"status": "online"})).status == 200
    assert (await post_json(coach, f"/api/cases/{opened['case_id']}/claim", csrf)).status == 200
    claimed = await scrape(env, client)
    assert sample(claimed, "sluta_open_cases", priority="1", status="waiting") == 0
    assert sample(claimed, "sluta_open_cases", priority="1", status="claimed") == 1
    assert sample(claimed, "sluta_longest_wait_seconds", priority="1") == 0
    assert sample(claimed, "sluta_coaches_online") == 1


@pytest.mark.parametrize("settings_overrides", [{"coach_hours": parse_coach_hours(
    "mon=,tue=,wed=,thu=,fri=,sat=,sun=")}])
async def test_outside_coach_hours_the_gauge_says_so(env: Env) -> None:
    client = await env.make_client()
    assert sample(await scrape(env, client), "sluta_coach_hours_open") == 0
    # nginx relays with proxy headers: refused (nginx also answers /metrics itself with 404)
    assert (await client.get("/metrics", headers={"X-Forwarded-For": "198.51.100.4"})
            ).status == 403
