"""Internal API called by the Rasa side (custom actions, event broker); Bearer-token protected."""

from __future__ import annotations

import math
from typing import Any

from aiohttp import web

from bot.db.models import Case
from bot.escalation import keys, texts
from bot.escalation.common import (
    ApiError,
    event_json,
    field_str,
    in_hours_now,
    iso,
    read_json_object,
    text_ok,
)
from bot.escalation.service import publish_case
from bot.escalation.store import TRIGGERS

MAX_ID = 200


def _path_conversation_id(request: web.Request) -> str:
    """The id from the URL; ids no case can have are a plain 404 (never a database error)."""
    value = request.match_info["conversation_id"]
    if len(value) > MAX_ID or not text_ok(value):
        raise ApiError(404, "no_open_case", "No open case for this conversation")
    return value


async def _availability(app: web.Application) -> tuple[int, bool]:
    store, settings = app[keys.STORE], app[keys.SETTINGS]
    online = await store.run(store.coaches_online, settings.presence_ttl_seconds)
    return online, in_hours_now(app)


def _case_json(case: Case, online: int, open_now: bool) -> dict[str, Any]:
    return {
        "case_id": case.id,
        "conversation_id": case.conversation_id,
        "status": case.status,
        "priority": case.priority,
        "trigger": case.trigger,
        "channel": case.channel,
        "language": case.language,
        "created_at": iso(case.created_at),
        "claimed": case.claimed_by is not None,
        "claimed_at": iso(case.claimed_at),
        "coaches_online": online,
        "in_hours": open_now,
        "accepting": online > 0 and open_now,
    }


async def open_case(request: web.Request) -> web.Response:
    """POST /internal/cases: open (or return) the conversation's case; 201 new, 200 existing."""
    data = await read_json_object(request)
    conversation_id = field_str(data, "conversation_id", max_len=MAX_ID)
    channel = field_str(data, "channel", max_len=64)
    language = data.get("language")
    if language not in ("sv", "en"):
        raise ApiError(400, "invalid_field", "'language' must be 'sv' or 'en'")
    trigger = data.get("trigger")
    if trigger not in TRIGGERS:
        raise ApiError(400, "invalid_field", "'trigger' must be one of " + ", ".join(TRIGGERS))
    intents = data.get("intents_seen", [])
    if (
        not isinstance(intents, list)
        or len(intents) > 100
        or not all(isinstance(i, str) and 0 < len(i) <= 100 and text_ok(i) for i in intents)
    ):
        raise ApiError(400, "invalid_field", "'intents_seen' must be a list of short strings")
    summary = field_str(data, "summary", max_len=1000, allow_empty=True)
    assert conversation_id is not None and channel is not None and summary is not None

    app, store, settings = request.app, request.app[keys.STORE], request.app[keys.SETTINGS]
    result = await store.run(
        store.open_case, conversation_id, channel, language, trigger, intents, summary
    )
    online, open_now = await _availability(app)
    accepting = online > 0 and open_now
    estimate: int | None = None
    if accepting:
        ahead = await store.run(store.queue_position, result.case)
        estimate = math.ceil((ahead + 1) * settings.average_handling_seconds / online)
    if result.created or result.priority_raised:
        await publish_case(app, result.case)
    if not accepting:
        app[keys.SWEEP_WAKE].set()  # tell the user at once, not at the next sweep
    body = {
        "case_id": result.case.id,
        "status": result.case.status,
        "priority": result.case.priority,
        "coaches_online": online,
        "in_hours": open_now,
        "estimated_wait_seconds": estimate,
        "accepting": accepting,
    }
    return web.json_response(body, status=201 if result.created else 200)


async def user_message(request: web.Request) -> web.Response:
    """POST /internal/conversations/{id}/messages: a user message for the coach; 202 or 404."""
    conversation_id = _path_conversation_id(request)
    data = await read_json_object(request)
    settings = request.app[keys.SETTINGS]
    text = field_str(data, "text", max_len=settings.max_message_chars, allow_empty=True)
    intent = field_str(data, "intent", max_len=64, required=False, allow_empty=True)
    timestamp = data.get("timestamp")
    if timestamp is not None and (
        isinstance(timestamp, bool)
        or not isinstance(timestamp, (int, float))
        or not math.isfinite(timestamp)
    ):
        raise ApiError(400, "invalid_field", "'timestamp' must be a number")
    assert text is not None
    store, hub = request.app[keys.STORE], request.app[keys.HUB]
    result = await store.run(
        store.add_user_message,
        conversation_id,
        text,
        intent or None,
        float(timestamp) if timestamp is not None else None,
    )
    if result is None:
        raise ApiError(404, "no_open_case", "No open case for this conversation")
    await hub.send_case(result.case.id, {"type": "event", "event": event_json(result.event, {})})
    if text.strip().lower() in texts.LEAVE_WORDS:
        ev = await store.run(
            store.add_event,
            result.case.id,
            "system",
            "Användaren skrev ”avsluta” och har lämnat coachchatten.",
        )
        await hub.send_case(result.case.id, {"type": "event", "event": event_json(ev, {})})
    if result.priority_raised:
        await publish_case(request.app, result.case)
    return web.json_response(
        {"case_id": result.case.id, "priority": result.case.priority, "status": result.case.status},
        status=202,
    )


async def get_case(request: web.Request) -> web.Response:
    """GET /internal/conversations/{id}/case: the open case, else 404."""
    store = request.app[keys.STORE]
    case = await store.run(store.open_case_for, _path_conversation_id(request))
    if case is None:
        raise ApiError(404, "no_open_case", "No open case for this conversation")
    online, open_now = await _availability(request.app)
    return web.json_response(_case_json(case, online, open_now))
