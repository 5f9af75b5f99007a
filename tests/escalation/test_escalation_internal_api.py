"""Internal API (called by the Rasa side): auth, idempotency, priority, bad input."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
from escalation_helpers import Env, login


async def test_internal_api_requires_bearer_token(env: Env) -> None:
    client = await env.make_client()
    for method, path in [
        ("POST", "/internal/cases"),
        ("POST", "/internal/conversations/c1/messages"),
        ("GET", "/internal/conversations/c1/case"),
    ]:
        for token in (None, "wrong"):
            resp = await env.internal(client, method, path, {}, token=token)
            assert resp.status == 401
            assert (await resp.json())["error"] == "unauthorized"


async def test_open_case_is_idempotent_per_conversation(env: Env) -> None:
    client = await env.make_client()
    first = await env.internal(
        client,
        "POST",
        "/internal/cases",
        {
            "conversation_id": "conv-1",
            "channel": "rest",
            "language": "sv",
            "trigger": "request_human",
            "intents_seen": ["greet"],
            "summary": "Vill prata",
        },
    )
    assert first.status == 201
    body = await first.json()
    assert body["status"] == "waiting" and body["case_id"]
    assert set(body) >= {
        "case_id",
        "status",
        "coaches_online",
        "in_hours",
        "estimated_wait_seconds",
        "accepting",
    }
    again = await env.open_case(client, "conv-1")
    assert again["case_id"] == body["case_id"]
    got = await env.internal(client, "GET", "/internal/conversations/conv-1/case")
    assert got.status == 200
    assert (await got.json())["case_id"] == body["case_id"]


async def test_concurrent_opens_create_one_case(env: Env) -> None:
    client = await env.make_client()
    payload = {
        "conversation_id": "conv-race",
        "channel": "rest",
        "language": "sv",
        "trigger": "fallback",
        "intents_seen": [],
        "summary": "",
    }
    resps = await asyncio.gather(
        *(env.internal(client, "POST", "/internal/cases", payload) for _ in range(6))
    )
    statuses = sorted(r.status for r in resps)
    ids = {(await r.json())["case_id"] for r in resps}
    assert statuses == [200] * 5 + [201]
    assert len(ids) == 1


async def test_more_urgent_trigger_raises_priority(env: Env) -> None:
    client = await env.make_client()
    first = await env.open_case(client, "conv-2", trigger="request_human")
    assert first["priority"] == 3
    resp = await env.internal(
        client,
        "POST",
        "/internal/cases",
        {
            "conversation_id": "conv-2",
            "channel": "rest",
            "language": "sv",
            "trigger": "crisis_suicidal",
            "intents_seen": ["crisis_suicidal"],
            "summary": "",
        },
    )
    assert resp.status == 200
    assert (await resp.json())["priority"] == 1
    # a less urgent trigger never lowers it
    again = await env.open_case(client, "conv-2", trigger="fear_retaliation")
    assert again["priority"] == 1


async def test_user_message_stored_and_crisis_raises_priority(env: Env) -> None:
    client = await env.make_client()
    opened = await env.open_case(client, "conv-3", trigger="fear_retaliation")
    assert opened["priority"] == 2
    resp = await env.internal(
        client,
        "POST",
        "/internal/conversations/conv-3/messages",
        {"text": "hej", "intent": None, "timestamp": 1700000000.5},
    )
    assert resp.status == 202
    resp = await env.internal(
        client,
        "POST",
        "/internal/conversations/conv-3/messages",
        {"text": "ja orkar inte leva", "intent": "crisis_suicidal", "timestamp": 1700000001},
    )
    assert resp.status == 202
    assert (await resp.json())["priority"] == 1
    events = await env.store.run(env.store.events, opened["case_id"])
    assert [e.text for e in events if e.kind == "user"] == ["hej", "ja orkar inte leva"]
    assert any(e.kind == "status" and e.text == "priority_raised" for e in events)


async def test_unknown_conversation_is_404(env: Env) -> None:
    client = await env.make_client()
    resp = await env.internal(
        client,
        "POST",
        "/internal/conversations/nope/messages",
        {"text": "hej", "intent": None, "timestamp": 1.0},
    )
    assert resp.status == 404
    assert (await resp.json())["error"] == "no_open_case"
    resp = await env.internal(client, "GET", "/internal/conversations/nope/case")
    assert resp.status == 404


@pytest.mark.parametrize(
    "body, code",
    [
        (b"{not json", "invalid_json"),
        (b"[1, 2]", "invalid_json"),
        (b"\xff\xfe", "invalid_json"),
        (
            b'{"conversation_id": "c", "channel": "rest", "language": "de", "trigger": "fallback",'
            b' "intents_seen": [], "summary": ""}',
            "invalid_field",
        ),
        (
            b'{"conversation_id": "c", "channel": "rest", "language": "sv", "trigger": "hello",'
            b' "intents_seen": [], "summary": ""}',
            "invalid_field",
        ),
        (
            b'{"conversation_id": "", "channel": "rest", "language": "sv", "trigger": "fallback",'
            b' "intents_seen": [], "summary": ""}',
            "invalid_field",
        ),
        (
            b'{"conversation_id": "c", "channel": "rest", "language": "sv", "trigger": "fallback",'
            b' "intents_seen": "greet", "summary": ""}',
            "invalid_field",
        ),
        (
            b'{"conversation_id": "c", "channel": "rest", "language": "sv", "trigger": "fallback",'
            b' "intents_seen": [], "summary": "' + b"x" * 1001 + b'"}',
            "invalid_field",
        ),
    ],
)
async def test_bad_case_input_is_400(env: Env, body: bytes, code: str) -> None:
    client = await env.make_client()
    resp = await client.post(
        "/internal/cases",
        data=body,
        headers={"Authorization": "Bearer test-internal-token", "Content-Type": "application/json"},
    )
    assert resp.status == 400
    assert (await resp.json())["error"] == code


async def test_bad_message_input_and_oversize_body(env: Env) -> None:
    client = await env.make_client()
    await env.open_case(client, "conv-4")
    for payload in (
        {"text": 5},
        {"text": "x", "timestamp": True},
        {"text": "x", "timestamp": "now"},
        {"text": "x", "intent": 3},
    ):
        resp = await env.internal(
            client, "POST", "/internal/conversations/conv-4/messages", payload
        )
        assert resp.status == 400, payload
    huge = {"text": "x" * (70 * 1024), "intent": None, "timestamp": 1.0}
    resp = await env.internal(client, "POST", "/internal/conversations/conv-4/messages", huge)
    assert resp.status == 413
    assert (await resp.json())["error"] == "too_large"


async def test_accepting_reflects_presence(env: Env) -> None:
    client = await env.make_client()
    nobody = await env.open_case(client, "conv-5")
    assert nobody["coaches_online"] == 0
    assert nobody["accepting"] is False and nobody["estimated_wait_seconds"] is None
    await env.create_coach("anna")
    coach = await env.make_client()
    await login(coach, "anna")
    online = await env.open_case(client, "conv-6")
    assert online["coaches_online"] == 1 and online["in_hours"] is True
    assert online["accepting"] is True
    assert isinstance(online["estimated_wait_seconds"], int)
    assert online["estimated_wait_seconds"] > 0


@pytest.mark.parametrize("settings_overrides", [{"close_on_holidays": True}])
async def test_holiday_means_not_in_hours(env: Env) -> None:
    """Långfredagen 2025 (18 April), 10:00 in Stockholm: hours say open, the holiday closes."""
    await env.create_coach("anna")
    coach = await env.make_client()
    await login(coach, "anna")
    client = await env.make_client()
    env.clock["now"] = datetime(2025, 4, 18, 8, 0, tzinfo=timezone.utc)
    closed = await env.open_case(client, "conv-h1")
    assert closed["in_hours"] is False and closed["accepting"] is False
    env.clock["now"] = datetime(2025, 4, 17, 8, 0, tzinfo=timezone.utc)  # skärtorsdag: open
    open_ = await env.open_case(client, "conv-h2")
    assert open_["in_hours"] is True and open_["accepting"] is True


NASTY_BODIES = [
    b"",
    b"null",
    b'"text"',
    b"1e999",
    b"[" * 5000 + b"]" * 5000,
    b'{"conversation_id": "a\\u0000b", "channel": "rest", "language": "sv",'
    b' "trigger": "fallback", "intents_seen": [], "summary": ""}',
    b'{"conversation_id": "a", "channel": "rest", "language": "sv",'
    b' "trigger": "fallback", "intents_seen": ["\\ud800"], "summary": ""}',
    b'{"conversation_id": "a", "channel": "rest", "language": "sv",'
    b' "trigger": "fallback", "intents_seen": [], "summary": "\\ud800"}',
    b'{"conversation_id": ["a"], "channel": {}, "language": null, "trigger": 1}',
]


async def test_nasty_input_never_gives_500(env: Env) -> None:
    client = await env.make_client()
    await env.open_case(client, "conv-n")
    headers = {"Authorization": "Bearer test-internal-token", "Content-Type": "application/json"}
    for body in NASTY_BODIES:
        for path in ("/internal/cases", "/internal/conversations/conv-n/messages"):
            resp = await client.post(path, data=body, headers=headers)
            assert 400 <= resp.status < 500, (path, body[:60], resp.status)
    for msg in (
        b'{"text": "a\\u0000b"}',
        b'{"text": "\\udfff"}',
        b'{"text": "x", "intent": "\\u0000"}',
    ):
        resp = await client.post(
            "/internal/conversations/conv-n/messages", data=msg, headers=headers
        )
        assert resp.status == 400, msg
    for cid in ("a%00b", "x" * 300, "%ED%A0%80"):
        resp = await client.get(f"/internal/conversations/{cid}/case", headers=headers)
        assert resp.status == 404, cid
