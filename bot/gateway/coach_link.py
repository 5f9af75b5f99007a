"""The gateway's link to the escalation service, for what the chat page shows around the
conversation: the one-line coach status (online now / hours / numbers open day and night)
and typing dots both ways.

Both calls go to /internal/gateway/* with GATEWAY_CALLBACK_TOKEN; the gateway never holds the
internal token that opens cases. Both are best effort: the page works without them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp
from aiohttp import web

from bot.clients.escalation import EscalationUnavailable
from bot.gateway import keys
from bot.gateway.callback import authorised
from bot.gateway.vault import WEB_PREFIX

log = logging.getLogger(__name__)
STATUS_KEY = web.AppKey("coach_status", dict)
USER_TYPING_EVERY_SECONDS = 2.0


async def status(request: web.Request) -> web.Response:
    """GET /status: {"known", "accepting", "in_hours", "hours": {sv, en}}, cached a few
    seconds so a thousand open pages cost the escalation service one call."""
    app, settings = request.app, request.app[keys.SETTINGS]
    cached = app.get(STATUS_KEY)
    now = time.monotonic()
    if cached is None or now - cached["at"] > settings.status_cache_seconds:
        body: dict[str, Any] = {"known": False}
        if settings.callback_token:
            try:
                data = await app[keys.ESCALATION].availability()
                if data is not None:
                    body = {"known": True, "accepting": data.get("accepting") is True,
                            "in_hours": data.get("in_hours") is True,
                            "hours": {k: str(v) for k, v in
                                      (data.get("hours") or {}).items() if k in ("sv", "en")}}
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError,
                    EscalationUnavailable) as exc:
                log.info("coach status unavailable: %r", exc)
        cached = {"at": now, "body": body}
        app[STATUS_KEY] = cached
    return web.json_response(cached["body"], headers={"Cache-Control": "no-store"})


async def send_user_typing(app: web.Application, sender_id: str, on: bool) -> None:
    """Tell the escalation service the young person is typing (shown to their coach only)."""
    if not app[keys.SETTINGS].callback_token:
        return
    try:
        await app[keys.ESCALATION].typing(sender_id, on)
    except (aiohttp.ClientError, asyncio.TimeoutError, EscalationUnavailable) as exc:
        log.debug("typing not sent to the escalation service: %r", exc)


async def coach_typing(request: web.Request) -> web.Response:
    """POST /escalation/typing {"recipient_id", "on"}: the coach is (not) typing."""
    if not authorised(request):
        raise web.HTTPForbidden(text="callback token missing or wrong")
    try:
        data = await request.json()
    except (ValueError, UnicodeDecodeError) as exc:
        raise web.HTTPBadRequest(text="body is not JSON") from exc
    recipient = data.get("recipient_id") if isinstance(data, dict) else None
    if not isinstance(recipient, str) or not recipient.startswith(WEB_PREFIX):
        raise web.HTTPBadRequest(text="recipient_id missing")
    sent = await request.app[keys.HUB].send(
        recipient, {"type": "typing", "on": data.get("on") is True, "who": "coach"})
    return web.json_response({"status": "ok", "tabs": sent})
