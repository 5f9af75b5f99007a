"""Internal API called by the Rasa side (custom actions, event broker); Bearer-token protected."""

from __future__ import annotations

import math
import re
from typing import Any

from aiohttp import web

from bot.db.models import Case
from bot.escalation import keys, texts
from bot.escalation.common import (
    ApiError,
    field_str,
    iso,
    read_json_object,
    text_ok,
)
from bot.escalation.service import PRESENCE_STATES, CaseRequest
from bot.escalation.store import TRIGGERS
from bot.protocol import MAX_USER_MESSAGE_ID

MAX_ID = 200


def _path_conversation_id(request: web.Request) -> str:
    """The id from the URL; ids no case can have are a plain 404 (never a database error)."""
    value = request.match_info["conversation_id"]
    if len(value) > MAX_ID or not text_ok(value):
        raise ApiError(404, "no_open_case", "No open case for this conversation")
    return value


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


def parse_case_request(data: dict[str, Any]) -> CaseRequest:
    """Validate a case request; ApiError (400) says what is wrong."""
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
    client = field_str(data, "client", max_len=64, required=False)
    assert conversation_id is not None and channel is not None and summary is not None
    return CaseRequest(conversation_id, channel, language, trigger, list(intents), summary,
                       client)


async def open_case(request: web.Request) -> web.Response:
    """POST /internal/cases: open (or return) the conversation's case; 201 new, 200 existing."""
    data = await read_json_object(request)
    req = parse_case_request(data)
    # posted again from a caller's retry queue: the coach reads that the user was told so
    opened = await request.app[keys.CASES].open_case(req, queued=data.get("queued") is True)
    return web.json_response(opened.body(), status=201 if opened.result.created else 200)


async def user_message(request: web.Request) -> web.Response:
    """POST /internal/conversations/{id}/messages: a user message for the coach; 202 or 404.
    `message_id` (Rasa's) names it: posted again, it is stored and shown once."""
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
    # the title of the button the user pressed, when the text is its payload ("/affirm")
    button_title = field_str(data, "button_title", max_len=200, required=False,
                             allow_empty=True)
    message_id = field_str(data, "message_id", max_len=MAX_USER_MESSAGE_ID, required=False,
                           allow_empty=True)
    assert text is not None
    done = await request.app[keys.CASES].user_message(
        conversation_id, text, intent or None,
        float(timestamp) if timestamp is not None else None,
        button_title or None, message_id or None)
    if done is None:
        raise ApiError(404, "no_open_case", "No open case for this conversation")
    if done.left:
        return web.json_response(
            {"left": True, "case_id": done.case.id, "status": done.case.status}, status=202
        )
    return web.json_response(
        {
            "left": False,
            "case_id": done.case.id,
            "priority": done.case.priority,
            "status": done.case.status,
            "duplicate": done.duplicate,
        },
        status=202,
    )


_STATUS = re.compile(r"^[a-z_]{1,32}$")


def _message_ids(data: dict[str, Any]) -> list[str]:
    ids = data.get("message_ids", [])
    if not isinstance(ids, list) or len(ids) > 50 or not all(
            isinstance(i, str) and 0 < len(i) <= 64 and text_ok(i) for i in ids):
        raise ApiError(400, "invalid_field", "'message_ids' must be a list of short strings")
    return ids


async def delivery_failures(request: web.Request) -> web.Response:
    """POST /internal/gateway/conversations/{id}/delivery-failures (the gateway): an SMS the
    provider accepted did not reach the phone. The coach messages it carried are marked "not
    delivered" and the case gets a warning; 404 if no case of the conversation shows it."""
    conversation_id = _path_conversation_id(request)
    data = await read_json_object(request)
    ids = _message_ids(data)
    status = field_str(data, "status", max_len=32)
    code = field_str(data, "error_code", max_len=16, required=False, allow_empty=True)
    assert status is not None
    if not _STATUS.match(status) or (code and not code.isalnum()):
        raise ApiError(400, "invalid_field", "'status' or 'error_code' is malformed")
    store, hub = request.app[keys.STORE], request.app[keys.HUB]
    result = await store.run(store.mark_undelivered, conversation_id, ids, status)
    if result.case is None:
        raise ApiError(404, "no_case", "No case shows this conversation")
    case = result.case
    if result.already:  # the same report again: nothing new for the coach
        return web.json_response({"case_id": case.id, "marked": 0})
    for ev in result.changed:
        await hub.send_case(case.id, {"type": "delivery", "event_id": ev.id,
                                      "delivery": "failed"})
    text = texts.SMS_NOT_DELIVERED.format(
        status=status, code=f", felkod {code}" if code else "",
        what=texts.SMS_NOT_DELIVERED_COACH if result.changed else texts.SMS_NOT_DELIVERED_BOT)
    await request.app[keys.CASES].system_note(
        case.id, text, {"warning": "sms_not_delivered", "status": status, "error_code": code,
                        "message_ids": [ev.data.get("message_id") for ev in result.changed]})
    return web.json_response({"case_id": case.id, "marked": len(result.changed)})


async def user_presence(request: web.Request) -> web.Response:
    """POST /internal/gateway/conversations/{id}/presence {"reason": ...} (the gateway, with
    GATEWAY_CALLBACK_TOKEN): what it knows about
    the young person without a message (page open again, no page open, quick exit, SMS
    STOP). An explicit field, never a message text: 202 with the case's state, 404 if the
    conversation has no open case."""
    conversation_id = _path_conversation_id(request)
    data = await read_json_object(request)
    reason = data.get("reason")
    if not isinstance(reason, str) or reason not in PRESENCE_STATES:
        raise ApiError(400, "invalid_field",
                       "'reason' must be one of " + ", ".join(sorted(PRESENCE_STATES)))
    store = request.app[keys.STORE]
    case = await store.run(store.open_case_for, conversation_id)
    if case is None:
        raise ApiError(404, "no_open_case", "No open case for this conversation")
    case = await request.app[keys.CASES].presence(case, reason)
    return web.json_response({"case_id": case.id, "status": case.status,
                              "presence": PRESENCE_STATES[reason]}, status=202)


async def get_case(request: web.Request) -> web.Response:
    """GET /internal/conversations/{id}/case: the open case, else 404."""
    store = request.app[keys.STORE]
    case = await store.run(store.open_case_for, _path_conversation_id(request))
    if case is None:
        raise ApiError(404, "no_open_case", "No open case for this conversation")
    online, open_now = await request.app[keys.CASES].availability()
    return web.json_response(_case_json(case, online, open_now))


async def availability(request: web.Request) -> web.Response:
    """GET /internal/gateway/availability: the chat page's one-line status (a coach online now,
    the hours from COACH_HOURS). Whether one is online, never how many or who."""
    settings = request.app[keys.SETTINGS]
    online, open_now = await request.app[keys.CASES].availability()
    return web.json_response({
        "accepting": online > 0 and open_now, "in_hours": open_now,
        "hours": {lang: settings.hours_text(lang) for lang in ("sv", "en")},
    })


async def user_typing(request: web.Request) -> web.Response:
    """POST /internal/gateway/conversations/{id}/typing {"on": bool}: show the coach who
    holds the case that the young person is typing. No claimed case: nothing to show."""
    data = await read_json_object(request)
    store = request.app[keys.STORE]
    case = await store.run(store.open_case_for, _path_conversation_id(request))
    if case is None or case.status != "claimed":
        return web.json_response({"shown": False})
    await request.app[keys.HUB].send_case(case.id, {"type": "typing",
                                                   "on": data.get("on") is True})
    return web.json_response({"shown": True})
